"""The shard map: new accounts go to the least loaded PostgreSQL server, and `move-account`
moves one to another server while the service runs, its desks keeping their sync cursors."""

from __future__ import annotations

import threading
import time

import httpx
import psycopg
import pytest

from server.cli import main
from server.placement import Placement, PlacementError, least_loaded
from server.pg_admin import PgServer
from server.registry import Registry
from server.secrets_box import KEY_ENV, new_key
from tests.helpers.pg_accounts import connect_as, main_server_dsn, make_pg_account, placed_accounts, placement_of
from tests.helpers.pg_cluster import TempCluster, Unavailable
from tests.helpers.postgres import skip_unless_reachable
from tests.helpers.server_process import ThreadedServer, make_account
from tests.server.api import check_in, login, pull_all, push
from tests.server.conftest import world_of


@pytest.fixture(scope="module")
def second_server():
    """A second PostgreSQL server of our own (a cluster in a temp dir), beside the one on 5432."""
    skip_unless_reachable()
    cluster = TempCluster()
    try:
        cluster.start()
    except Unavailable as exc:
        pytest.skip(str(exc))
    try:
        yield f"{cluster.admin_dsn}?name=second"
    finally:
        cluster.stop()


@pytest.fixture
def key(monkeypatch):
    monkeypatch.setenv(KEY_ENV, new_key())


@pytest.fixture
def shard_map(tmp_path, key, second_server):
    with placed_accounts(tmp_path, main_server_dsn(), second_server) as placement:
        yield placement


def test_least_loaded_is_the_one_with_fewest_accounts_first_listed_among_equals():
    a, b, c = (PgServer(n, f"postgresql+psycopg://postgres@{n}/postgres") for n in ("a", "b", "c"))
    assert least_loaded([a, b, c], {}) is a
    assert least_loaded([a, b, c], {"a": 2, "b": 1, "c": 1}) is b
    assert least_loaded([a, b, c], {"a": 0, "b": 1, "c": 0, "gone": 0}) is a
    with pytest.raises(PlacementError, match="same name"):
        Placement.of("postgresql", ["postgresql://x@h:5432/postgres", "postgresql://y@h:5432/template1"]).servers  # noqa: B018
    parsed = PgServer.parse("postgresql://postgres:pw@db1:5433/postgres?pgbouncer=db1:6432&name=one")
    assert (parsed.name, parsed.pool, "pgbouncer" in parsed.admin_url) == ("one", ("db1", 6432), False)
    assert "pw" not in repr(parsed)


def test_new_accounts_go_to_the_least_loaded_server(tmp_path, shard_map, second_server, capsys):
    args = ["--data-dir", str(tmp_path), "--placement", "postgresql", f"--pg-server={main_server_dsn()}", f"--pg-server={second_server}"]
    for slug in ("alpha", "beta", "gamma"):
        assert main(["create-account", slug, "--name", slug.title(), *args]) == 0
    assert [placement_of(tmp_path, s).server for s in ("alpha", "beta", "gamma")] == ["main", "second", "main"]
    assert main(["shards", *args]) == 0
    out = capsys.readouterr().out
    assert "main\t2 accounts" in out and "second\t1 accounts" in out
    # Each database is really on its server.
    beta = placement_of(tmp_path, "beta")
    with psycopg.connect(shard_map.server("second").admin_url.replace("+psycopg", ""), autocommit=True) as conn:
        assert conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (beta.database,)).fetchone()


def _pull(client: httpx.Client, desk: dict, after: int) -> list[dict]:
    return pull_all(client, desk["headers"], after=after)


def test_move_account_keeps_the_data_and_the_desks_cursors(tmp_path, shard_map, second_server):
    make_pg_account(tmp_path, shard_map, families=10)
    before = placement_of(tmp_path, "acme")
    assert before.server == "main"
    with ThreadedServer(tmp_path) as server, httpx.Client(base_url=server.url, timeout=15) as client:
        a, b = login(client), login(client)
        everything = _pull(client, a, 0)
        world, students = world_of(everything), world_of(everything)["student_ids"]
        cursor_a = max(c["usn"] for c in everything)
        r = push(client, b, [check_in(b, 1, students[0], world["location_id"])])
        assert r.status_code == 200, r.text

        refused: list[int] = []
        done = threading.Event()

        def knock() -> None:  # a desk keeps syncing while the account moves
            while not done.is_set():
                refused.append(client.get("/v1/sync/pull", params={"after": cursor_a}, headers=a["headers"]).status_code)
                time.sleep(0.05)

        knocker = threading.Thread(target=knock)
        knocker.start()
        try:
            assert main(["move-account", "acme", "--to", "second", "--pause", "0.6", "--data-dir", str(tmp_path),
                         "--pg-server", main_server_dsn(), "--pg-server", second_server]) == 0  # fmt: skip
        finally:
            done.set()
            knocker.join(10)
        assert 503 in refused and set(refused) <= {200, 503}  # "busy, try again" while it moved, nothing else

        after = placement_of(tmp_path, "acme")
        assert after.server == "second" and after.database != before.database
        # Desk a pulls from where it was: b's check-in, and nothing it already had.
        news = _pull(client, a, cursor_a)
        assert [(c["type"], c["data"]["student_id"]) for c in news] == [("check_in", students[0])]
        assert _pull(client, b, news[-1]["usn"]) == []
        # Both go on writing, with change numbers after the old ones.
        r = push(client, a, [check_in(a, 1, students[1], world["location_id"])])
        assert r.status_code == 200 and r.json()["results"][0]["usn"] == news[-1]["usn"] + 1, r.text
        assert [c["data"]["student_id"] for c in _pull(client, b, news[-1]["usn"])] == [students[1]]
        assert len(_pull(client, a, 0)) == len(everything) + 2

    # The old database and its role are gone from the first server.
    with psycopg.connect(shard_map.server("main").admin_url.replace("+psycopg", ""), autocommit=True) as conn:
        assert conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (before.database,)).fetchone() is None
        assert conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (before.role,)).fetchone() is None
    registry = Registry(tmp_path)
    try:
        url = registry.account_db_url(registry.account_by_slug("acme"))
        assert registry.moving() == {}
    finally:
        registry.close()
    with connect_as(url) as conn:
        assert conn.execute("SELECT count(*) FROM audit_event WHERE action = 'account.moved'").fetchone()[0] == 1


def test_an_account_in_sqlite_moves_to_postgresql(tmp_path, shard_map, second_server):
    make_account(tmp_path, families=5)
    with ThreadedServer(tmp_path) as server, httpx.Client(base_url=server.url, timeout=15) as client:
        desk = login(client)
        everything = _pull(client, desk, 0)
        head = max(c["usn"] for c in everything)
        assert main(["move-account", "acme", "--to", "second", "--pause", "0", "--data-dir", str(tmp_path),
                     "--pg-server", second_server]) == 0  # fmt: skip
        assert placement_of(tmp_path, "acme").server == "second"
        assert _pull(client, desk, head) == []
        assert sorted(c["id"] for c in _pull(client, desk, 0)) == sorted(c["id"] for c in everything)
    assert main(["move-account", "acme", "--to", "second", "--data-dir", str(tmp_path),
                 "--pg-server", second_server]) == 1  # fmt: skip
