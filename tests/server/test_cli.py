"""`frontdesk-server` as an admin runs it: real subprocesses, real files."""

from __future__ import annotations

import io
import os
import stat
import subprocess
import sys

import httpx
import pytest

from server import admin
from server.cli import main
from tests.helpers.clock import pinned_today
from tests.helpers.server_process import REPO_ROOT, ServerProcess, account_db_path
from tests.server.api import check_in, login, pull_all, push, query


def cli(*args: str, password: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FRONTDESK_")}
    if password is not None:
        env["FRONTDESK_PASSWORD"] = password
    return subprocess.run(
        [sys.executable, "-m", "server.cli", *args],
        cwd=REPO_ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=30,
    )


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    """A data dir set up only through the command line."""
    d = tmp_path_factory.mktemp("cli")
    for args, password in (
        (("create-account", "tumble", "--name", "Tumble Town", "--data-dir", str(d)), None),
        (("seed-demo", "tumble", "--today", pinned_today().isoformat(), "--data-dir", str(d)), None),
        (("add-staff", "tumble", "alex", "--group", "front-desk", "--display-name", "Alex Rivera", "--data-dir", str(d)), "pony express"),
    ):
        result = cli(*args, password=password)
        assert result.returncode == 0, result.stderr
    return d


def test_create_account_registers_it_with_its_own_database(demo_dir):
    assert admin.find_account(demo_dir, "tumble").name == "Tumble Town"
    db = account_db_path(demo_dir, "tumble")
    assert db.parent == demo_dir / "accounts" and db.exists()


def test_seed_demo_counts(demo_dir):
    db = account_db_path(demo_dir, "tumble")
    count = lambda table: query(db, f"SELECT count(*) FROM {table}")[0][0]  # noqa: E731
    assert count("location") == 2
    assert count("family") == 300
    assert 450 <= count("student") <= 560
    assert 36 <= count("class_schedule") <= 44
    today = pinned_today().isoformat()
    codes = {r[0] for r in query(db, "SELECT l.code FROM class_session s JOIN location l ON l.id = s.location_id WHERE s.date = ?", today)}
    assert codes == {"DT", "NS"}


def test_add_staff_takes_the_password_from_the_environment(demo_dir):
    db = account_db_path(demo_dir, "tumble")
    assert query(db, "SELECT username, display_name, \"group\", active FROM staff") == [("alex", "Alex Rivera", "front-desk", 1)]
    [(password_hash,)] = query(db, "SELECT password_hash FROM staff_credential")
    assert password_hash.startswith("$argon2id$") and "pony express" not in password_hash


def test_admin_mistakes_exit_1_with_a_message(demo_dir, monkeypatch, capsys):
    # In-process (the same main() the console script runs): a subprocess each would be slow.
    monkeypatch.setenv("FRONTDESK_PASSWORD", "pw")
    cases = [
        (("create-account", "tumble", "--name", "Again"), "already exists"),
        (("create-account", "Bad Slug!", "--name", "X"), "slug"),
        (("add-staff", "nowhere", "sam", "--group", "owner"), "no account"),
        (("add-staff", "tumble", "alex", "--group", "owner"), "already has"),
        (("seed-demo", "tumble"), "already has data"),
    ]
    for args, message in cases:
        assert main([*args, "--data-dir", str(demo_dir)]) == 1, args
        assert message in capsys.readouterr().err.lower(), args


def test_add_staff_without_a_password_refuses(demo_dir, monkeypatch):
    monkeypatch.delenv("FRONTDESK_PASSWORD", raising=False)
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    with pytest.raises(SystemExit, match="FRONTDESK_PASSWORD"):
        main(["add-staff", "tumble", "kim", "--group", "manager", "--data-dir", str(demo_dir)])
    assert query(account_db_path(demo_dir, "tumble"), "SELECT count(*) FROM staff WHERE username = 'kim'") == [(0,)]


def test_data_dir_comes_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("FRONTDESK_DATA_DIR", str(tmp_path / "from-env"))
    assert main(["create-account", "envy", "--name", "Envy"]) == 0
    assert admin.account_exists(tmp_path / "from-env", "envy")


def test_serve_survives_sigkill_and_restart(demo_dir):
    with ServerProcess(demo_dir) as server, httpx.Client(base_url=server.url, timeout=10) as client:
        key = demo_dir / "secret.key"
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
        s = login(client, account="tumble", password="pony express")
        changes = pull_all(client, s["headers"])
        student = next(c["id"] for c in changes if c["type"] == "student")
        location = next(c["id"] for c in changes if c["type"] == "location")
        m = check_in(s, 1, student, location)
        [first] = push(client, s, [m]).json()["results"]
        assert first["status"] == "applied"

        server.kill()
        with pytest.raises(httpx.TransportError):
            client.get("/v1/health")
        port = server.port
        server.start()
        assert server.port == port

        # The access token still verifies (same signing key), the check-in is there, the push is remembered.
        assert push(client, s, [m]).json()["results"] == [first]
        pulled = client.get("/v1/sync/pull", params={"after": first["usn"] - 1}, headers=s["headers"]).json()
        assert [(c["type"], c["id"]) for c in pulled["changes"]] == [("check_in", m["payload"]["check_in_id"])]
        r = client.post("/v1/auth/refresh", json={"refresh_token": s["refresh_token"], "desk_id": s["desk_id"], "desk_secret": s["desk_secret"]})
        assert r.status_code == 200
    assert server.proc.poll() is not None
