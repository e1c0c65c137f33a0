"""Attendance marks take the bulk way (server.push_marks) on PostgreSQL too, through PgBouncer:
the same results, rows and audit as on SQLite, exactly once each."""

from __future__ import annotations

import concurrent.futures

import httpx
import pytest
from sqlalchemy import make_url

from server.registry import Registry
from server.secrets_box import KEY_ENV, new_key
from sync.core.ids import new_id
from sync.core.schema import attendance_id
from tests.helpers.pg_accounts import connect_as, main_server_dsn, make_pg_account, placed_accounts
from tests.helpers.pgbouncer import PgBouncer, skip_unless_installed
from tests.helpers.postgres import ADMIN_URL, skip_unless_reachable
from tests.helpers.server_process import ThreadedServer
from tests.server.api import login, pull_all, push
from tests.server.conftest import world_of
from tests.server.test_push_bulk_marks import mark, push_mixed, register_with_rejections


@pytest.fixture
def pg(tmp_path, monkeypatch):
    """acme in PostgreSQL behind PgBouncer, a server on it, alex signed in; `sql` reads its database."""
    skip_unless_reachable()
    skip_unless_installed()
    monkeypatch.setenv(KEY_ENV, new_key())
    target = make_url(ADMIN_URL)
    with PgBouncer(target.host or "127.0.0.1", target.port or 5432, pool_size=2) as bouncer, \
            placed_accounts(tmp_path, main_server_dsn(pgbouncer=bouncer.address)) as placement:  # fmt: skip
        make_pg_account(tmp_path, placement, families=5)
        registry = Registry(tmp_path)
        try:
            url = registry.account_direct_url(registry.account_by_slug("acme"))
        finally:
            registry.close()

        def sql(statement: str, *args) -> list[tuple]:
            with connect_as(url) as conn:
                return conn.execute(statement, args).fetchall()

        with ThreadedServer(tmp_path) as server, httpx.Client(base_url=server.url, timeout=15) as client:
            session = login(client)
            yield {"client": client, "session": session, "world": world_of(pull_all(client, session["headers"])),
                   "sql": sql, "url": server.url}  # fmt: skip


def test_a_register_with_rejections_on_postgresql(pg):
    client, session, sql = pg["client"], pg["session"], pg["sql"]
    s, students = pg["world"]["session_id"], pg["world"]["student_ids"]
    batch = [
        *register_with_rejections(session, pg["world"]),
        mark(session, 6, s, students[3], desk_id=new_id()),  # another desk's: not kept, but audited
    ]
    results = push(client, session, batch).json()["results"]
    assert [(r["seq"], r["status"], r["code"]) for r in results] == [
        (1, "applied", None), (2, "rejected", "not_found"), (3, "rejected", "not_found"),
        (4, "rejected", "invalid"), (5, "applied", None), (6, "rejected", "forbidden"),
    ]  # fmt: skip
    assert sorted(sql("SELECT student_id, status FROM attendance")) == sorted([(students[0], "present"), (students[2], "late")])
    assert sql("SELECT count(*) FROM attendance_mark") == [(2,)]
    assert sql("SELECT seq, status, code FROM applied_mutation ORDER BY seq") == [(r["seq"], r["status"], r["code"]) for r in results[:5]]
    # The audit rows are the ORM's: the detail as JSON (not a string of it), timestamps as timestamps.
    audited = sql("SELECT action, detail, at FROM audit_event WHERE action LIKE 'mutation.%%' ORDER BY (detail->>'seq')::int")
    assert [(a, d["seq"]) for a, d, _ in audited] == [(f"mutation.{r['status']}", r["seq"]) for r in results]
    applied = audited[0][1]
    assert applied["written"] == [["attendance_mark", batch[0]["payload"]["mark_id"]], ["attendance", attendance_id(s, students[0])]]
    assert applied["usn"] == results[0]["usn"] and applied["pushed_by"] == session["staff_id"] and applied["source"] == "desk"
    assert audited[5][1]["claimed_desk_id"] == batch[5]["desk_id"]
    assert all(at is not None and at.tzinfo is None for _, _, at in audited)
    usns = [u for (u,) in sql("SELECT usn FROM attendance UNION ALL SELECT usn FROM attendance_mark")]
    assert len(set(usns)) == 4 and max(usns) == results[4]["usn"] == sql("SELECT usn FROM change_counter")[0][0]
    assert push(client, session, batch).json()["results"] == results  # a replay: the first answers, nothing written
    assert sql("SELECT count(*) FROM applied_mutation") == [(5,)]


def test_marks_and_check_ins_mixed_on_postgresql(pg):
    client, session, sql = pg["client"], pg["session"], pg["sql"]
    s, students = pg["world"]["session_id"], pg["world"]["student_ids"]
    batch, results = push_mixed(client, session, pg["world"])
    assert sql("SELECT status, mark_id, usn FROM attendance WHERE id = %s", attendance_id(s, students[0])) == [
        ("late", batch[3]["payload"]["mark_id"], results[3]["usn"])
    ]
    assert sql("SELECT count(*) FROM attendance_mark") == [(5,)]
    news = pull_all(client, session["headers"], after=results[0]["usn"] - 2)
    assert {c["type"] for c in news} >= {"attendance", "attendance_mark", "check_in"}


def test_the_same_register_pushed_at_once_is_recorded_once(pg):
    """Two requests race with one batch: each answers with the first result (or 409, then the
    retry does), and every row exists once."""
    session, sql = pg["session"], pg["sql"]
    s, students = pg["world"]["session_id"], pg["world"]["student_ids"]
    batch = [mark(session, n + 1, s, students[n]) for n in range(6)]

    def send(_: int) -> list[dict]:
        with httpx.Client(base_url=pg["url"], timeout=15) as c:
            for _attempt in range(20):
                r = push(c, session, batch)
                if r.status_code != 409:
                    assert r.status_code == 200, r.text
                    return r.json()["results"]
        raise AssertionError("still busy")

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(send, range(4)))
    assert all(a == answers[0] for a in answers)
    assert sql("SELECT count(*) FROM applied_mutation") == [(6,)]
    assert sql("SELECT count(*) FROM attendance_mark") == [(6,)]
    assert sql("SELECT count(*) FROM audit_event WHERE action = 'mutation.applied'") == [(6,)]
