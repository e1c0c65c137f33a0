"""Exactly once under faults: whatever breaks between desk and server, each change lands once.

The desk talks to the real server through tests/helpers/fault_proxy.py, which cuts requests,
drops answers after the server committed, and truncates them. The (desk_id, seq) and mutation id
constraints of the account database, not only the code, refuse a second copy.
"""

from __future__ import annotations

import sqlite3

import pytest

from tests.helpers.fault_proxy import FaultProxy
from tests.helpers.server_process import account_db_path
from tests.sync.conftest import server_rows
from tests.sync.test_engine import assert_server_has_exactly, desk_online, engines, picks  # noqa: F401

PUSH = "/v1/sync/push"


@pytest.fixture
def proxy(live_server):
    with FaultProxy(live_server.port) as p:
        yield p


async def _five_check_ins(store) -> None:
    p = picks(store)
    for student in p.student_ids[:5]:
        await store.check_in(student, p.location_id, p.session_ids[0])


def _applied_on_server(data_dir, store) -> int:
    return server_rows(data_dir, "SELECT count(*) FROM applied_mutation WHERE desk_id = ?", store.desk_id)[0][0]


@pytest.mark.asyncio
@pytest.mark.parametrize("fault", ["cut_response", "truncate_response"])
async def test_an_answer_lost_after_the_server_committed_is_not_applied_twice(
    proxy, server_account, desks, http, engines, fault
):
    store, _, engine = await desk_online(desks, http, proxy.url, server_account)
    await _five_check_ins(store)
    proxy.fail_next(fault, path=PUSH)
    status = await engine.sync_now()
    assert status.error is not None and not status.online  # the desk never heard the answer...
    assert _applied_on_server(server_account["data_dir"], store) == 5  # ...but the server has applied all five
    assert store.pending_count() == 5  # so the desk still counts them as not sent

    status = await engine.sync_now()  # sent again: the server answers with its first results
    assert (status.pending, status.rejected, status.error) == (0, 0, None)
    assert_server_has_exactly(server_account["data_dir"], store)
    assert proxy.injected[fault] == 1


@pytest.mark.asyncio
async def test_a_request_cut_half_way_applies_nothing_and_goes_through_on_the_next_try(
    proxy, server_account, desks, http, engines
):
    store, _, engine = await desk_online(desks, http, proxy.url, server_account)
    await _five_check_ins(store)
    proxy.fail_next("cut_request", path=PUSH)
    status = await engine.sync_now()
    assert status.error is not None
    assert _applied_on_server(server_account["data_dir"], store) == 0
    status = await engine.sync_now()
    assert (status.pending, status.error) == (0, None)
    assert_server_has_exactly(server_account["data_dir"], store)


@pytest.mark.asyncio
async def test_every_push_failing_once_in_turn_still_lands_each_change_once(proxy, server_account, desks, http, engines):
    """Faults on pushes and pulls, many rounds: the outbox drains and nothing is doubled."""
    store, _, engine = await desk_online(desks, http, proxy.url, server_account, push_batch=7)
    engines.append(engine)
    p = picks(store)
    for i, student in enumerate(p.student_ids[:20]):
        await store.check_in(student, p.location_id, p.session_ids[i % len(p.session_ids)])
        await store.mark_attendance(p.session_ids[0], student, ("present", "late", "absent")[i % 3])
    for fault in ("cut_response", "cut_request", "truncate_response", "cut_response"):
        proxy.fail_next(fault, path=PUSH)
    proxy.fail_next("truncate_response", path="/v1/sync/pull")
    for _ in range(20):
        if (await engine.sync_now()).pending == 0 and proxy.planned() == 0 and engine.status.error is None:
            break
    assert store.pending_count() == 0 and proxy.planned() == 0
    assert_server_has_exactly(server_account["data_dir"], store)


def test_the_database_itself_refuses_a_second_copy(server_account):
    """Even code that skipped the lookups could not record a mutation twice."""
    con = sqlite3.connect(account_db_path(server_account["data_dir"], "acme"))
    try:
        row = ("m-1", "desk-1", 1, "staff", "check_in", "applied", "2025-01-01 00:00:00")
        sql = ("INSERT INTO applied_mutation (mutation_id, desk_id, seq, staff_id, type, status, applied_at)"
               " VALUES (?, ?, ?, ?, ?, ?, ?)")  # fmt: skip
        con.execute(sql, row)
        with pytest.raises(sqlite3.IntegrityError):
            con.execute(sql, ("m-2", *row[1:]))  # same desk and seq
        with pytest.raises(sqlite3.IntegrityError):
            con.execute(sql, (row[0], "desk-1", 2, *row[3:]))  # same mutation id
    finally:
        con.close()
