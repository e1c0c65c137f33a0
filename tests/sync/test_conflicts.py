"""Conflict rules of DESIGN.md with two desks working offline on the same records.

- Attendance is a register per (student, session): the mark pushed last (server order) is the
  current one, whatever the desk clocks say; every mark stays in history.
- Check-ins are facts: both desks' check-ins are kept, neither overwrites the other.
(There is no editable record type with a mutation yet, so per-field last-writer-wins has no test.)
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.sync.conftest import server_rows
from tests.sync.test_engine import desk_online, picks

HOURS = dt.timedelta(hours=5)


async def _offline_mark(store, session, student, status, clock_shift):
    store.clock.advance(seconds=clock_shift.total_seconds())  # this desk's clock is off
    await store.mark_attendance(session, student, status)


@pytest.mark.asyncio
@pytest.mark.parametrize("first", ["a", "b"])
async def test_the_mark_the_server_got_last_is_current_whatever_the_clocks_say(
    live_server, server_account, desks, http, first
):
    a, _, engine_a = await desk_online(desks, http, live_server.url, server_account, "a")
    b, _, engine_b = await desk_online(desks, http, live_server.url, server_account, "b")
    p = picks(a)
    session, student = p.session_ids[0], p.student_ids[0]
    # Offline, both mark the same child; the desk that will send first has the clock hours *ahead*.
    shift = {"a": HOURS if first == "a" else -HOURS, "b": HOURS if first == "b" else -HOURS}
    await _offline_mark(a, session, student, "present", shift["a"])
    await _offline_mark(b, session, student, "absent", shift["b"])
    order = [(a, engine_a), (b, engine_b)] if first == "a" else [(b, engine_b), (a, engine_a)]
    for _store, engine in order:
        assert (await engine.sync_now()).pending == 0
    for _store, engine in order:
        await engine.sync_now()  # both pull what the other sent

    last = "absent" if first == "a" else "present"
    data = server_account["data_dir"]
    assert server_rows(data, "SELECT status FROM attendance WHERE session_id = ? AND student_id = ?", session, student) == [(last,)]
    history = server_rows(
        data, "SELECT status, usn FROM attendance_mark WHERE session_id = ? AND student_id = ? ORDER BY usn", session, student
    )
    assert [s for s, _ in history] == (["present", "absent"] if first == "a" else ["absent", "present"])
    for store in (a, b):  # both desks show the same current mark
        [row] = [r for r in store.roster(session) if r.student_id == student]
        assert row.status == last


@pytest.mark.asyncio
async def test_check_ins_from_two_offline_desks_are_both_kept(live_server, server_account, desks, http):
    a, _, engine_a = await desk_online(desks, http, live_server.url, server_account, "a")
    b, _, engine_b = await desk_online(desks, http, live_server.url, server_account, "b")
    p = picks(a)
    session, student = p.session_ids[0], p.student_ids[0]
    one = await a.check_in(student, p.location_id, session)
    two = await b.check_in(student, p.location_id, session)
    assert not one.already and not two.already  # neither desk could know of the other
    for engine in (engine_a, engine_b, engine_a):
        await engine.sync_now()
    rows = server_rows(server_account["data_dir"], "SELECT id FROM check_in WHERE student_id = ? AND session_id = ?", student, session)
    assert sorted(r[0] for r in rows) == sorted([one.check_in_id, two.check_in_id])
    marks = server_rows(server_account["data_dir"], "SELECT count(*) FROM attendance_mark WHERE student_id = ? AND session_id = ?", student, session)
    assert marks == [(2,)]  # and both "present" marks are in the register's history
