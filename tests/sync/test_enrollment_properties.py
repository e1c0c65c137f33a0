"""Property: random enroll / drop / transfer / waitlist sequences at two desks that sync in random
orders (so the server applies them in random orders) never take more places than a class has,
except by an audited overfill, and leave the desks and the server with the same enrollments.

One server and two desks (a manager who may overfill, a front desk who may not) for the whole
run; each example makes its own classes and students, so examples do not see each other.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from sync import db
from sync.client import ApiClient
from sync.engine import SyncEngine
from sync.enroll_desk import ClassFull, EnrollDesk
from sync.errors import RejectedError
from sync.core.ids import new_id
from sync.core.schema import Enrollment
from sync.setup_desk import SetUpDesk
from tests.helpers.clock import pinned_today
from tests.helpers.server_process import account_db_path
from tests.sync.conftest import FAST, sign_in
from tests.sync.test_enrollment import school_at

TODAY = pinned_today()
WEEKS = 4  # the horizon looked at: every meeting of the next four weeks
STUDENTS = 6

Step = st.one_of(
    st.tuples(st.just("enroll"), st.sampled_from("ab"), st.integers(0, STUDENTS - 1), st.integers(0, 1), st.integers(0, 2),
              st.booleans()),
    st.tuples(st.just("drop"), st.sampled_from("ab"), st.integers(0, 20), st.integers(-1, 14)),
    st.tuples(st.just("transfer"), st.sampled_from("ab"), st.integers(0, 20), st.integers(0, 14), st.booleans()),
    st.tuples(st.just("take_offer"), st.sampled_from("ab"), st.integers(0, 20)),
    st.tuples(st.just("pass"), st.sampled_from("ab"), st.integers(0, 20)),
    st.tuples(st.just("sync"), st.sampled_from("ab")),
)


@pytest.fixture(scope="module")
def running(tmp_path_factory):
    with school_at(tmp_path_factory.mktemp("server")) as school:
        yield school


@pytest.fixture
def pair(desks):
    """The two desks, opened once for every example (each example signs them in again)."""
    return {"a": desks("a"), "b": desks("b")}


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(capacities=st.tuples(st.integers(1, 3), st.integers(1, 3)), steps=st.lists(Step, min_size=4, max_size=24))
def test_places_are_never_over_capacity_without_an_audited_overfill_and_all_end_equal(running, pair, capacities, steps):
    asyncio.run(_run(running, pair, capacities, steps))


async def _run(school, pair, capacities, steps):
    async with httpx.AsyncClient(timeout=httpx.Timeout(10.0, connect=2.0)) as http:
        stores, engines = {}, {}
        for name, (user, pw) in {"a": ("morgan", "pw manager"), "b": ("fran", "pw front desk")}.items():
            store = pair[name]
            client = ApiClient(http, school["url"])
            await sign_in(client, store, {**school, "username": user, "password": pw})
            stores[name], engines[name] = store, SyncEngine(store, client, **FAST)
        a = stores["a"]
        setup = SetUpDesk(a)
        locs = setup.locations()
        loc = locs[0].id if locs else await setup.add("location", name="Downtown", code="DT", timezone="America/Chicago")
        days = [(TODAY + dt.timedelta(days=1)).weekday(), (TODAY + dt.timedelta(days=2)).weekday()]
        classes = [await setup.add("class", location_id=loc, name=f"Class {i}", times=f"{days[i]} 16:00 60", capacity=c)
                   for i, c in enumerate(capacities)]  # fmt: skip
        kids = [new_id() for _ in range(STUDENTS)]
        await a.record("family.create", {"family_id": new_id(), "name": "Lee", "students": [
            {"student_id": k, "first_name": f"Kid{i}", "last_name": "Lee"} for i, k in enumerate(kids)]})  # fmt: skip
        for name in "ab":
            await engines[name].sync_now()

        for step in steps:
            kind, name = step[0], step[1]
            desk = EnrollDesk(stores[name])
            if kind == "sync":
                await engines[name].sync_now()
                continue
            mine = _rows(stores[name], classes)
            try:
                if kind == "enroll":
                    _, _, kid, c, week, overfill = step
                    start = desk.next_session(classes[c]) + dt.timedelta(weeks=week)
                    try:
                        await desk.enroll(kids[kid], classes[c], start, overfill_reason="Sibling" if overfill else "")
                    except ClassFull:
                        await desk.join_waitlist(kids[kid], classes[c], start)
                elif kind == "drop" and (enrolled := [e for e in mine if e.status == "enrolled"]):
                    row = enrolled[step[2] % len(enrolled)]
                    await desk.drop(row.id, TODAY + dt.timedelta(days=step[3]), reason="Moved")
                elif kind == "transfer" and (enrolled := [e for e in mine if e.status == "enrolled"]):
                    row = enrolled[step[2] % len(enrolled)]
                    other = classes[1 - classes.index(row.schedule_id)]
                    await desk.transfer(row.id, other, TODAY + dt.timedelta(days=step[3]), overfill_reason="Coach asked" if step[4] else "")
                elif kind in ("take_offer", "pass") and (queue := [e for e in mine if e.status in ("waitlist", "offered")]):
                    row = queue[step[2] % len(queue)]
                    if kind == "pass":
                        await desk.pass_place(row.id, "No answer")
                    else:
                        await desk.enroll_from_waitlist(row.id)
            except RejectedError:
                pass  # the desk said no at once (a full class, a student no longer there): nothing recorded
        for _ in range(2):
            for name in "ab":
                await engines[name].sync_now()

        server = _server_rows(school["data_dir"], classes)
        overfills = _overfill_audits(school["data_dir"])
        for cls_id, capacity in zip(classes, capacities):
            rows = [r for r in server if r[1] == cls_id and r[2] in ("enrolled", "offered")]
            for week in range(WEEKS):
                day = TODAY + dt.timedelta(days=1 + classes.index(cls_id) + 7 * week)
                here = [r for r in rows if r[3] <= day.isoformat() and (r[4] is None or r[4] >= day.isoformat())]
                regular = [r for r in here if not r[5]]
                assert len(regular) <= capacity, (day, here)
                for r in here:
                    if r[5]:  # each place over capacity has its audit entry, by a manager
                        assert r[0] in overfills, r
        for name in "ab":
            assert stores[name].pending_count() == 0
            desk_rows = sorted((e.id, e.schedule_id, e.status, e.start_date.isoformat(),
                                e.end_date.isoformat() if e.end_date else None, bool(e.overfill_reason))
                               for e in _rows(stores[name], classes))  # fmt: skip
            assert desk_rows == server, name


def _rows(store, classes) -> list[Enrollment]:
    with db.read_session(store.cache.engine) as s:
        rows = s.exec(select(Enrollment).where(Enrollment.schedule_id.in_(classes))).all()  # type: ignore[attr-defined]
        return sorted(rows, key=lambda e: e.id)


def _server_rows(data_dir, classes) -> list[tuple]:
    con = sqlite3.connect(account_db_path(data_dir, "fresh"))
    try:
        marks = ",".join("?" * len(classes))
        rows = con.execute(f"SELECT id, schedule_id, status, start_date, end_date, overfill_reason != '' FROM enrollment "
                           f"WHERE schedule_id IN ({marks})", classes).fetchall()  # fmt: skip
        return sorted((i, c, s, str(a), str(b) if b else None, bool(o)) for i, c, s, a, b, o in rows)
    finally:
        con.close()


def _overfill_audits(data_dir) -> set[str]:
    con = sqlite3.connect(account_db_path(data_dir, "fresh"))
    try:
        return {r for (r,) in con.execute("SELECT record_id FROM audit_event WHERE action = 'enrollment.overfill'")}
    finally:
        con.close()
