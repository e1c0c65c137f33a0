"""Accounts placed in PostgreSQL: a database and a login role of their own, the password kept
encrypted in the registry, no way into another account's database, and desks syncing over HTTP."""

from __future__ import annotations

import httpx
import psycopg
import pytest
from sqlalchemy import make_url

from server.accounts import AdminError
from server.cli import main
from server.pg_admin import NAME_PREFIX
from server.registry import Registry
from server.secrets_box import KEY_ENV, SecretBox, SecretKeyError, box_from_env, new_key
from tests.helpers.pg_accounts import PASSWORD, connect_as, main_server_dsn, make_pg_account, placed_accounts, placement_of
from tests.helpers.postgres import ADMIN_URL
from tests.helpers.server_process import ThreadedServer
from tests.server.api import check_in, login, pull_all, push
from tests.server.conftest import world_of


@pytest.fixture
def key(monkeypatch) -> str:
    value = new_key()
    monkeypatch.setenv(KEY_ENV, value)
    return value


@pytest.fixture
def placement(tmp_path, key):
    with placed_accounts(tmp_path, main_server_dsn()) as placement:
        yield placement


def _admin():
    return psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=3)


def _databases() -> set[str]:
    with _admin() as conn:
        return {r[0] for r in conn.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", (NAME_PREFIX + "%",))}


def test_create_account_makes_a_database_and_a_login_role_of_its_own(tmp_path, placement, key, capsys):
    assert main(["create-account", "acme", "--name", "Acme Gym", "--data-dir", str(tmp_path),
                 "--placement", "postgresql", "--pg-server", main_server_dsn()]) == 0  # fmt: skip
    assert "Created account 'acme'" in capsys.readouterr().out
    pg = placement_of(tmp_path, "acme")
    with _admin() as conn:
        owner, public_may_connect = conn.execute(
            "SELECT pg_get_userbyid(datdba), has_database_privilege('public', datname, 'CONNECT') FROM pg_database WHERE datname = %s",
            (pg.database,),
        ).fetchone()
        can_login, is_super = conn.execute("SELECT rolcanlogin, rolsuper FROM pg_roles WHERE rolname = %s", (pg.role,)).fetchone()
    assert owner == pg.role and can_login and not is_super and not public_may_connect

    # The registry keeps the URL without password, and the password only encrypted with the server key.
    registry = Registry(tmp_path)
    try:
        account = registry.account_by_slug("acme")
        url = registry.account_db_url(account)
    finally:
        registry.close()
    password = make_url(url).password
    assert password and make_url(account.db_location).password is None and pg.password != password
    assert SecretBox(key).decrypt(pg.password) == password
    assert password.encode() not in (tmp_path / "registry.sqlite").read_bytes()
    with connect_as(url) as conn:  # the role signs in with it, and owns the account's tables
        assert conn.execute("SELECT tableowner FROM pg_tables WHERE tablename = 'staff'").fetchone()[0] == pg.role
        assert conn.execute("SELECT usn FROM change_counter").fetchone()[0] == 0
    # (A wrong password is refused where PostgreSQL checks them: see test_postgres_pgbouncer.)


def test_one_accounts_role_cannot_open_another_accounts_database(tmp_path, placement):
    from server.admin import create_account

    create_account(tmp_path, "alpha", placement=placement)
    create_account(tmp_path, "beta", placement=placement)
    registry = Registry(tmp_path)
    try:
        alpha, beta = (registry.account_db_url(registry.account_by_slug(s)) for s in ("alpha", "beta"))
    finally:
        registry.close()
    assert make_url(alpha).database != make_url(beta).database
    with connect_as(alpha) as conn:
        conn.execute("SELECT count(*) FROM staff")
    into_beta = make_url(alpha).set(database=make_url(beta).database).render_as_string(hide_password=False)
    with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
        connect_as(into_beta).close()
    with connect_as(beta) as conn:  # beta's own role still gets in
        conn.execute("SELECT count(*) FROM staff")


def test_without_the_server_key_nothing_is_made(tmp_path, placement, monkeypatch):
    from server.admin import create_account

    monkeypatch.delenv(KEY_ENV)
    before = _databases()
    with pytest.raises(AdminError, match=KEY_ENV):
        create_account(tmp_path, "acme", placement=placement)
    assert _databases() == before
    with pytest.raises(SecretKeyError, match="not a valid key"):
        box_from_env("not-a-key")
    # Another key cannot open a password, and says what to do.
    token = SecretBox(new_key()).encrypt("s3cret")
    with pytest.raises(SecretKeyError, match="encrypted with another key"):
        SecretBox(new_key()).decrypt(token)
    old, new = new_key(), new_key()
    assert SecretBox(f"{new},{old}").decrypt(SecretBox(old).encrypt("s3cret")) == "s3cret"  # key rotation


def test_a_desk_syncs_with_an_account_in_postgresql_over_http(tmp_path, placement):
    make_pg_account(tmp_path, placement, families=10)
    with ThreadedServer(tmp_path) as server, httpx.Client(base_url=server.url, timeout=10) as client:
        a, b = login(client), login(client)
        everything = pull_all(client, a["headers"])
        world = world_of(everything)
        cursor = max(c["usn"] for c in everything)
        assert pull_all(client, b["headers"], after=cursor) == []

        mutation = check_in(a, 1, world["student_ids"][0], world["location_id"])
        r = push(client, a, [mutation])
        assert r.status_code == 200 and r.json()["results"][0]["status"] == "applied", r.text
        wait = client.get("/v1/sync/wait", params={"after": cursor, "timeout": 5}, headers=b["headers"])
        assert wait.json()["changed"] is True
        news = pull_all(client, b["headers"], after=cursor)
        assert [(c["type"], c["data"]["student_id"]) for c in news] == [("check_in", world["student_ids"][0])]
        # Pushed again (its answer was lost): the same result, nothing new to pull.
        again = push(client, a, [mutation])
        assert again.status_code == 200 and again.json()["results"] == r.json()["results"]
        assert pull_all(client, b["headers"], after=news[-1]["usn"]) == []
        bad = client.post("/v1/auth/login", json={"account": "acme", "username": "alex", "password": "nope",
                                                  "desk_id": a["desk_id"], "desk_name": "x"})  # fmt: skip
        assert bad.status_code == 401
        assert login(client, password=PASSWORD)["staff_id"] == a["staff_id"]
