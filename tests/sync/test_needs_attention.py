"""Nothing blocks the queue: a refused change waits in "needs attention" until staff send it again
or let it go, and letting it go is in the server's audit log."""

from __future__ import annotations

import json

import pytest
from sqlmodel import Session

from server.account_db import AccountDatabase, next_usn
from sync.core.mutations import CHECK_IN, OUTBOX_DISCARD
from sync.outbox import DISCARDED, RETRIED
from sync.outbox import mutations as outbox_table
from sync.core.schema import Student
from tests.helpers.server_process import account_db_path
from tests.sync.conftest import server_rows
from tests.sync.test_engine import desk_online, engines, picks  # noqa: F401 (engines: a fixture)

GHOST = "local-only-student"


async def _a_refused_check_in(store, engine, server_account):
    """A check-in of a child only this desk knows, between two good ones; returns the picks."""
    p = picks(store)
    with Session(store.cache.engine) as s:
        family_id = s.get(Student, p.student_ids[0]).family_id
        s.add(Student(id=GHOST, family_id=family_id, first_name="Ghost", last_name="Child"))
        s.commit()
    session = p.session_ids[0]
    await store.check_in(p.student_ids[0], p.location_id, session)
    await store.check_in(GHOST, p.location_id, session)
    await store.check_in(p.student_ids[1], p.location_id, session)
    status = await engine.sync_now()
    assert (status.pending, status.rejected) == (0, 1)
    return p, family_id


def _states(store) -> list[tuple[int, str, str]]:
    with store.outbox.engine.connect() as conn:
        rows = conn.execute(outbox_table.select().order_by(outbox_table.c.seq)).mappings()
        return [(r["seq"], r["type"], r["state"]) for r in rows]


@pytest.mark.asyncio
async def test_send_again_after_the_fix_applies_it_once_and_clears_the_list(live_server, server_account, desks, http, engines):
    store, _, engine = await desk_online(desks, http, live_server.url, server_account)
    engines.append(engine)
    p, family_id = await _a_refused_check_in(store, engine, server_account)
    [refused] = store.rejected()

    # The office puts the child on file on the server; the desk sends the check-in again.
    adb = AccountDatabase(f"sqlite:///{account_db_path(server_account['data_dir'], 'acme')}")
    try:
        with adb.write_session() as db:
            db.add(Student(id=GHOST, family_id=family_id, first_name="Ghost", last_name="Child", usn=next_usn(db)))
            db.commit()
    finally:
        adb.close()
    await store.retry_rejected(refused.mutation_id)
    assert store.rejected() == [] and store.pending_count() == 1
    assert any(r.student_id == GHOST and r.checked_in for r in store.roster(p.session_ids[0]))  # shows at once
    status = await engine.sync_now()
    assert (status.pending, status.rejected, status.error) == (0, 0, None)

    assert _states(store) == [(1, CHECK_IN, "applied"), (2, CHECK_IN, RETRIED), (3, CHECK_IN, "applied"),
                              (4, CHECK_IN, "applied")]  # fmt: skip
    assert server_rows(server_account["data_dir"], "SELECT count(*) FROM check_in WHERE student_id = ?", GHOST) == [(1,)]
    with pytest.raises(LookupError):
        await store.retry_rejected(refused.mutation_id)  # already dealt with: nothing is sent twice


@pytest.mark.asyncio
async def test_sent_again_and_refused_again_comes_back_and_blocks_nothing(live_server, server_account, desks, http, engines):
    store, _, engine = await desk_online(desks, http, live_server.url, server_account)
    engines.append(engine)
    p, _ = await _a_refused_check_in(store, engine, server_account)
    await store.retry_rejected(store.rejected()[0].mutation_id)
    await store.mark_attendance(p.session_ids[0], p.student_ids[2], "late")  # behind the retried one
    status = await engine.sync_now()
    assert (status.pending, status.rejected) == (0, 1)
    [again] = store.rejected()
    assert again.seq == 4 and again.code == "not_found"
    assert server_rows(server_account["data_dir"], "SELECT status FROM attendance WHERE student_id = ?", p.student_ids[2]) == [("late",)]


@pytest.mark.asyncio
async def test_letting_a_change_go_is_audited_on_the_server(live_server, server_account, desks, http, engines):
    store, _, engine = await desk_online(desks, http, live_server.url, server_account)
    engines.append(engine)
    await _a_refused_check_in(store, engine, server_account)
    [refused] = store.rejected()
    await store.discard_rejected(refused.mutation_id, "Child left the school")
    assert store.rejected() == [] and store.pending_count() == 1  # the discard itself is on its way
    status = await engine.sync_now()
    assert (status.pending, status.rejected) == (0, 0)
    assert [s[1:] for s in _states(store)][-2:] == [(CHECK_IN, "applied"), (OUTBOX_DISCARD, "applied")]
    assert (2, CHECK_IN, DISCARDED) in _states(store)

    [(staff_id, desk_id, detail)] = server_rows(
        server_account["data_dir"], "SELECT staff_id, desk_id, detail FROM audit_event WHERE action = 'mutation.discarded'"
    )
    detail = json.loads(detail)
    assert (staff_id, desk_id) == (server_account["staff_id"], store.desk_id)
    assert detail["mutation_id"] == refused.mutation_id and detail["seq"] == 2 and detail["type"] == CHECK_IN
    assert detail["reason"] == "Child left the school" and detail["code"] == "not_found"
    assert detail["server_status"] == "rejected" and detail["payload"]["student_id"] == GHOST
    # Nothing but the audit: no check-in of the child appeared.
    assert server_rows(server_account["data_dir"], "SELECT count(*) FROM check_in WHERE student_id = ?", GHOST) == [(0,)]
