"""On PostgreSQL the account database itself refuses to change or remove audit events, and the hash
chain stays whole while several server processes write the same account at once."""

from __future__ import annotations

import concurrent.futures

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from server.account_db import AccountDatabase, audit
from server.audit_verify import verify_chain
from server.backup import backup
from server.cli import main
from server.registry import Registry
from server.secrets_box import KEY_ENV, new_key
from sync.core.ids import new_id
from tests.helpers.pg_accounts import connect_as, main_server_dsn, make_pg_account, placed_accounts
from tests.helpers.postgres import temporary_database
from tests.helpers.server_process import ServerProcess
from tests.server.api import check_in, login, pull_all, push
from tests.server.conftest import world_of

_COLUMNS = "id, at, staff_id, desk_id, action, record_type, record_id, detail, chain_no, prev_hash, hash"
REWRITES = {
    "update": ("UPDATE audit_event SET action = 'login.failed'", "append-only"),
    "delete": ("DELETE FROM audit_event", "append-only"),
    "truncate": ("TRUNCATE audit_event", "append-only"),
    "upsert": (f"INSERT INTO audit_event ({_COLUMNS}) SELECT {_COLUMNS} FROM audit_event "
               "ON CONFLICT (id) DO UPDATE SET action = 'forged'", "append-only"),
    "merge": ("MERGE INTO audit_event a USING audit_event b ON a.id = b.id WHEN MATCHED THEN UPDATE SET action = 'forged'",
              "append-only"),
    "merge delete": ("MERGE INTO audit_event a USING audit_event b ON a.id = b.id WHEN MATCHED THEN DELETE", "append-only"),
    "second insert of an id": (f"INSERT INTO audit_event ({_COLUMNS}) SELECT id, at, staff_id, desk_id, 'forged', record_type, "
                               "record_id, detail, chain_no + 100, prev_hash, hash FROM audit_event", "audit_event_pkey"),
    "insert at a taken place": (f"INSERT INTO audit_event ({_COLUMNS}) SELECT 'other-id', at, staff_id, desk_id, 'forged', "
                                "record_type, record_id, detail, chain_no, prev_hash, hash FROM audit_event",
                                "ux_audit_event_chain_no"),
}  # fmt: skip


def test_every_rewrite_of_the_audit_log_is_refused_on_postgresql():
    with temporary_database() as url:
        adb = AccountDatabase(url, create=True)
        try:
            with adb.write_session() as db:
                audit(db, "login.ok", staff_id="s1", desk_id="d1", address="127.0.0.1")
                db.commit()
            for name, (sql, says) in REWRITES.items():
                with adb.engine.connect() as conn, pytest.raises(DBAPIError, match=says):
                    conn.execute(text(sql))
                    pytest.fail(f"{name} was not refused")
            with adb.engine.connect() as conn:
                assert conn.execute(text("SELECT action FROM audit_event")).scalars().all() == ["login.ok"]
            assert verify_chain(adb.engine).ok
        finally:
            adb.close()


def test_verify_audit_finds_an_edit_made_with_the_trigger_disabled_on_postgresql():
    with temporary_database() as url:
        adb = AccountDatabase(url, create=True)
        try:
            with adb.write_session() as db:
                for n in range(3):
                    audit(db, "login.ok", staff_id="s1", n=n)
                audit(db, "odd.detail", counts={10: "ten", 9: "nine"}, number=1e16)  # read back as stored text
                db.commit()
            assert verify_chain(adb.engine).ok
            with adb.engine.begin() as conn:  # the owner can: that is what the chain is for
                conn.execute(text("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only"))
                conn.execute(text("UPDATE audit_event SET detail = '{\"n\": 7}' WHERE chain_no = 2"))
            v = verify_chain(adb.engine)
            assert v.bad is not None and v.bad.chain_no == 2 and "does not match its hash" in v.bad.reason
            assert v.missing_guards == ["audit_event_append_only"]
        finally:
            adb.close()


@pytest.fixture
def two_servers(tmp_path, monkeypatch):
    """acme in PostgreSQL, served by two server processes at once."""
    monkeypatch.setenv(KEY_ENV, new_key())
    with placed_accounts(tmp_path, main_server_dsn()) as placement:
        make_pg_account(tmp_path, placement, families=5)
        with ServerProcess(tmp_path) as one, ServerProcess(tmp_path) as two:  # the key goes along in their environment
            yield tmp_path, [one.url, two.url]


def test_the_chain_stays_whole_while_two_server_processes_write_one_account(two_servers):
    """Desks push check-ins (the bulk way) and refused changes (the ORM's way) to both processes at
    once while others fail to sign in: every entry lands in one unbroken chain."""
    data_dir, urls = two_servers
    with httpx.Client(base_url=urls[0], timeout=30) as c:
        world = world_of(pull_all(c, login(c)["headers"]))

    def desk(n: int) -> int:
        with httpx.Client(base_url=urls[n % 2], timeout=30) as client:
            session = login(client)
            written = 0
            for seq in range(1, 31, 3):
                student = world["student_ids"][(n + seq) % len(world["student_ids"])]
                batch = [check_in(session, seq, student, world["location_id"]),
                         check_in(session, seq + 1, student, world["location_id"], type="card.assign"),
                         check_in(session, seq + 2, student, world["location_id"])]  # fmt: skip
                assert [r["status"] for r in push(client, session, batch).json()["results"]] == ["applied", "rejected", "applied"]
                r = client.post("/v1/auth/login", json={"account": "acme", "username": "alex", "password": "nope",
                                                        "desk_id": new_id()})  # fmt: skip
                assert r.status_code in (401, 429)  # refused or, after a few, throttled: audited either way
                written += 4
            return written

    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        assert sum(pool.map(desk, range(6))) == 6 * 40

    registry = Registry(data_dir)
    try:
        url = registry.account_direct_url(registry.account_by_slug("acme"))
    finally:
        registry.close()
    with connect_as(url) as conn:
        numbers = [n for (n,) in conn.execute("SELECT chain_no FROM audit_event ORDER BY chain_no")]
    assert numbers == list(range(1, len(numbers) + 1)) and len(numbers) > 6 * 40
    assert main(["verify-audit", "acme", "--data-dir", str(data_dir)]) == 0
    with connect_as(url) as conn:
        head = conn.execute("SELECT audit_no, audit_hash FROM change_counter").fetchone()
    [entry] = backup(data_dir).manifest["accounts"]  # pg_dump's snapshot: nothing is written now
    assert entry["kind"] == "postgresql" and entry["audit_head"] == {"chain_no": head[0], "hash": head[1]} and head[0] == numbers[-1]
