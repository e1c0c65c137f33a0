"""The server through PgBouncer in transaction pooling mode, the supported set-up: nothing of a
session may outlive a transaction (no prepared statements, no session-level locks)."""

from __future__ import annotations

import concurrent.futures

import httpx
import psycopg
import pytest
from sqlalchemy import make_url, text

from server.pg_admin import pg_engine
from server.registry import Registry
from server.secrets_box import KEY_ENV, new_key
from tests.helpers.pg_accounts import connect_as, main_server_dsn, make_pg_account, placed_accounts
from tests.helpers.pgbouncer import PgBouncer, skip_unless_installed
from tests.helpers.postgres import ADMIN_URL, skip_unless_reachable
from tests.helpers.server_process import ThreadedServer
from tests.server.api import check_in, login, pull_all, push
from tests.server.conftest import world_of


@pytest.fixture
def bouncer():
    skip_unless_reachable()
    skip_unless_installed()
    target = make_url(ADMIN_URL)
    # Two server connections for many clients: every transaction may land on another one.
    with PgBouncer(target.host or "127.0.0.1", target.port or 5432, pool_size=2) as bouncer:
        yield bouncer


def test_the_server_works_through_pgbouncer(tmp_path, bouncer, monkeypatch):
    monkeypatch.setenv(KEY_ENV, new_key())
    with placed_accounts(tmp_path, main_server_dsn(pgbouncer=bouncer.address)) as placement:
        account = make_pg_account(tmp_path, placement, families=20)
        location = make_url(account["db_location"])
        assert (location.host, location.port) == ("127.0.0.1", bouncer.port)  # desks' requests go through PgBouncer

        registry = Registry(tmp_path)
        try:
            url = registry.account_db_url(registry.account_by_slug("acme"))
        finally:
            registry.close()
        with pytest.raises(psycopg.OperationalError, match="authentication failed"):  # PgBouncer checks the password
            connect_as(make_url(url).set(password="not-it").render_as_string(hide_password=False)).close()

        with ThreadedServer(tmp_path) as server, httpx.Client(base_url=server.url, timeout=15) as client:
            desks = [login(client) for _ in range(3)]
            world = world_of(pull_all(client, desks[0]["headers"]))
            assert len(world["student_ids"]) >= 24
            head = client.get("/v1/sync/pull", params={"after": 0, "limit": 1}, headers=desks[0]["headers"]).json()["head"]

            def work(i: int) -> list[int]:
                desk = desks[i % 3]
                statuses = []
                with httpx.Client(base_url=server.url, timeout=15) as c:
                    for n in range(4):  # the same statements again and again: psycopg would prepare them by now
                        student = world["student_ids"][(i * 4 + n) % len(world["student_ids"])]
                        statuses.append(push(c, desk, [check_in(desk, i * 10 + n + 1, student, world["location_id"])]).status_code)
                        statuses.append(c.get("/v1/sync/pull", params={"after": head}, headers=desk["headers"]).status_code)
                        statuses.append(c.get("/v1/sync/wait", params={"after": 0, "timeout": 1}, headers=desk["headers"]).status_code)
                return statuses

            with concurrent.futures.ThreadPoolExecutor(6) as pool:
                statuses = [s for result in pool.map(work, range(6)) for s in result]
            assert statuses == [200] * len(statuses)
            news = pull_all(client, desks[1]["headers"], after=head)
            assert sorted(c["type"] for c in news) == ["check_in"] * 24
            assert len({c["usn"] for c in news}) == 24  # one change number each, none lost or repeated

    assert "prepared statement" not in bouncer.log


def test_a_registry_in_postgresql(tmp_path, monkeypatch):
    """The registry may live in PostgreSQL too (servers on several machines share it)."""
    from tests.helpers.postgres import temporary_database

    with temporary_database() as url:
        monkeypatch.setenv("FRONTDESK_REGISTRY_URL", url)
        from tests.helpers.server_process import make_account

        make_account(tmp_path, families=5)
        assert not (tmp_path / "registry.sqlite").exists()
        with ThreadedServer(tmp_path) as server, httpx.Client(base_url=server.url, timeout=10) as client:
            desk = login(client)
            assert desk["body"]["desk_code"] == "D1"
            assert login(client)["body"]["desk_code"] == "D2"
            refreshed = client.post("/v1/auth/refresh", json={"refresh_token": desk["refresh_token"], "desk_id": desk["desk_id"], "desk_secret": desk["desk_secret"]})
            assert refreshed.status_code == 200
        engine = pg_engine(url)
        try:
            with engine.connect() as conn:
                assert conn.execute(text("SELECT count(*) FROM desk")).scalar_one() == 2
        finally:
            engine.dispose()
