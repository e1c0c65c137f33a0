"""Enrollment at the counter over real HTTP: two desks, a manager and the front desk, the server's order.

Enroll to full, the waitlist, the last-place race between two offline desks, a drop that offers the
place to the first waiting student (nobody enrolled without a person), transfer, overfill with the
permission (audited) and without it (refused), and places counted per session.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sqlite3

import pytest

from server import admin
from server.main import create_app
from server.settings import Settings
from sync.client import ApiClient
from sync.core.clock import PinnedClock
from sync.engine import SyncEngine
from sync.enroll_desk import ClassFull, EnrollDesk
from sync.errors import RejectedError
from sync.core.ids import new_id
from sync.core.permissions import BUILTIN_GROUPS, mutation_allowed
from sync.setup_desk import SetUpDesk
from tests.helpers.clock import pinned_moment, pinned_today
from tests.helpers.server_process import ThreadedServer, account_db_path
from tests.sync.conftest import FAST, sign_in

# The desks' pinned moment (any day: FRONTDESK_TEST_NOW), the server on the same clock. The classes
# meet on the weekday after it, so their next session is tomorrow and the one after a week later.
TODAY = pinned_today()
TUE = TODAY + dt.timedelta(days=1)  # "Tuesday": the next Level 2 session
NEXT_TUE = TUE + dt.timedelta(days=7)
WED = TODAY + dt.timedelta(days=2)
DAY = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")[TUE.weekday()]
BORN = dt.date(TODAY.year - 7, 1, 1)  # seven years old today


@contextlib.contextmanager
def school_at(data_dir):
    """A new account with a manager (morgan, may overfill) and a front desk (fran), served on the desks' clock."""
    admin.create_account(data_dir, "fresh", name="Fresh Gym")
    admin.add_staff(data_dir, "fresh", "morgan", "pw manager", group="manager", display_name="Morgan Lee")
    admin.add_staff(data_dir, "fresh", "fran", "pw front desk", group="front-desk", display_name="Fran Diaz")
    app = create_app(Settings(data_dir=data_dir), clock=PinnedClock(pinned_moment(), frozen=True))
    with ThreadedServer(app=app) as server:
        yield {"slug": "fresh", "url": server.url, "data_dir": data_dir}


@pytest.fixture
def school(tmp_path):
    with school_at(tmp_path / "server") as running:
        yield running


async def _desk(desks, http, school, name, username, password):
    store = desks(name)
    client = ApiClient(http, school["url"])
    await sign_in(client, store, {**school, "username": username, "password": password})
    engine = SyncEngine(store, client, **FAST)
    await engine.sync_now()
    return store, engine


def _audit(data_dir, action):
    con = sqlite3.connect(account_db_path(data_dir, "fresh"))
    try:
        return [json.loads(d) for (d,) in con.execute("SELECT detail FROM audit_event WHERE action = ?", (action,))]
    finally:
        con.close()


async def _set_up(store):
    setup = SetUpDesk(store)
    loc = await setup.add("location", name="Downtown", code="DT", timezone="America/Chicago")
    level2 = await setup.add("class", location_id=loc, name="Level 2", times=f"{TUE.weekday()} 16:00 60", capacity=2, age_min=6, age_max=8,
                             instructor_ids=[store.staff_id])  # fmt: skip
    level3 = await setup.add("class", location_id=loc, name="Level 3", times=f"{WED.weekday()} 16:00 60", capacity=5)
    kids = {name: new_id() for name in ("Ava", "Mia", "Noah", "Ella", "Liam")}
    await store.record("family.create", {"family_id": new_id(), "name": "Lee", "students": [
        {"student_id": sid, "first_name": name, "last_name": "Lee", "birth_date": BORN.isoformat()} for name, sid in kids.items()]})  # fmt: skip
    return loc, level2, level3, kids


@pytest.mark.asyncio
async def test_the_last_place_goes_in_server_order_and_the_later_desk_is_told_in_plain_words(school, desks, http):
    a, engine_a = await _desk(desks, http, school, "a", "morgan", "pw manager")
    _loc, level2, level3, kids = await _set_up(a)
    await engine_a.sync_now()
    b, engine_b = await _desk(desks, http, school, "b", "fran", "pw front desk")
    ea, eb = EnrollDesk(a), EnrollDesk(b)

    # The next session is the class's Tuesday, from the clock; Level 2 shows what is left as you choose.
    assert ea.next_session(level2) == TUE
    await ea.enroll(kids["Ava"], level2)
    assert ea.choice(level2).words == f"Level 2: {DAY} 4:00 PM (60 min) with Morgan Lee; 1 of 2 places left"
    await engine_a.sync_now()
    await engine_b.sync_now()

    # Both desks offline, each enrolling into the one place left: both look fine where they are made.
    mia = await ea.enroll(kids["Mia"], level2)
    noah = await eb.enroll(kids["Noah"], level2)
    assert ea.choice(level2).places_left == 0 and eb.choice(level2).places_left == 0
    assert (await engine_a.sync_now()).pending == 0
    assert (await engine_b.sync_now()).pending == 0
    await engine_a.sync_now()

    # The server's order decided: Mia has the place, Noah waits; never two over capacity in silence.
    for desk in (ea, eb):
        view = desk.class_view(level2)
        assert [m.name for m in view.enrolled] == ["Ava Lee", "Mia Lee"]
        assert [(m.name, m.status) for m in view.waitlist] == [("Noah Lee", "waitlist")]
        assert view.choice.places_left == 0
    [told] = [r for r in b.rejected() if r.mutation_id == noah]
    assert told.summary == f"Noah Lee was put on the waitlist of Level 2 ({DAY} 4:00 PM (60 min)): the last place was taken first"
    assert "Call the family" in told.message
    assert mia not in [r.mutation_id for r in b.rejected()]
    await eb.keep_waiting(noah)  # the family was called: it leaves "needs attention"
    await engine_b.sync_now()
    assert noah not in [r.mutation_id for r in b.rejected()]

    # A full class refuses at the desk and offers the waitlist; nothing is recorded by the refusal.
    with pytest.raises(ClassFull, match=f"Level 2 is full from {TUE:%a %b} {TUE.day}"):
        await eb.enroll(kids["Ella"], level2)
    ella = await eb.join_waitlist(kids["Ella"], level2)
    await engine_b.sync_now()
    assert [m.name for m in eb.class_view(level2).waitlist] == ["Noah Lee", "Ella Lee"]

    # A drop opens a place: the first waiting student is offered it, and nobody is enrolled by it.
    [ava] = [m for m in ea.class_view(level2).enrolled if m.name == "Ava Lee"]
    await ea.drop(ava.enrollment_id, TUE, reason="Moving away")
    await engine_a.sync_now()
    await engine_b.sync_now()
    view = eb.class_view(level2, NEXT_TUE)
    assert [m.name for m in view.enrolled] == ["Mia Lee"]
    assert [(m.name, m.status) for m in view.waitlist] == [("Noah Lee", "offered"), ("Ella Lee", "waitlist")]
    [offer] = [r for r in b.rejected() if r.mutation_id == noah]
    assert offer.summary == f"A place opened in Level 2 ({DAY} 4:00 PM (60 min)) for Noah Lee: call the family"
    # Noah's family declines: the place passes to Ella, still only offered.
    await eb.pass_place(noah, reason="Family chose Saturdays")
    await engine_b.sync_now()
    assert [(m.name, m.status) for m in eb.class_view(level2, NEXT_TUE).waitlist] == [("Ella Lee", "offered")]
    await eb.enroll_from_waitlist(ella)
    await engine_b.sync_now()
    assert [m.name for m in eb.class_view(level2, NEXT_TUE).enrolled] == ["Ella Lee", "Mia Lee"]

    # Over capacity: the front desk may not (refused by the server, whatever the desk does) ...
    await eb.enroll(kids["Liam"], level2, overfill_reason="Sibling of Mia")
    await engine_b.sync_now()
    refused = [r for r in b.rejected() if r.type == "enrollment.add"]
    assert [r.code for r in refused] == ["forbidden"] and "capacity" in refused[0].message
    await b.discard_rejected(refused[0].mutation_id, "Asked the manager")
    await engine_b.sync_now()
    # ... a manager may, with the reason kept and audited.
    liam = await ea.enroll(kids["Liam"], level2, overfill_reason="Sibling of Mia")
    await engine_a.sync_now()
    assert not [r for r in a.rejected() if r.type.startswith("enrollment")]
    assert [m.note for m in ea.class_view(level2, NEXT_TUE).enrolled if m.enrollment_id == liam] == ["over capacity: Sibling of Mia"]
    [entry] = _audit(school["data_dir"], "enrollment.overfill")
    assert (entry["reason"], entry["student_id"], entry["class_id"]) == ("Sibling of Mia", kids["Liam"], level2)

    # Transfer: one step, the old class ends the day before the new one starts; Level 2's place opens.
    new = await ea.transfer(mia, level3, WED + dt.timedelta(days=7))
    await engine_a.sync_now()
    mine = [(c.name, m.enrollment_id, m.note) for m, c in ea.enrollments_of(kids["Mia"])]
    ends, starts = WED + dt.timedelta(days=6), WED + dt.timedelta(days=7)
    assert mine == [("Level 2", mia, f"starts {TUE:%b} {TUE.day}; last day {ends:%b} {ends.day}"), ("Level 3", new, f"starts {starts:%b} {starts.day}")]
    assert [m.end_date for m in ea.class_view(level2, TUE).enrolled if m.enrollment_id == mia] == [WED + dt.timedelta(days=6)]


@pytest.mark.asyncio
async def test_places_are_counted_per_session_and_age_is_a_warning_not_a_block(school, desks, http):
    a, engine_a = await _desk(desks, http, school, "a", "morgan", "pw manager")
    _loc, level2, level3, kids = await _set_up(a)
    ea = EnrollDesk(a)
    await a.record("class.update", {"id": level2, "changes": {"capacity": 1}})
    # Ava comes this Tuesday only; Mia starts next week: both fit in one place, per session.
    ava = await ea.enroll(kids["Ava"], level2, TUE)
    await ea.drop(ava, TUE, reason="Trying it out")
    await ea.enroll(kids["Mia"], level2, NEXT_TUE)
    with pytest.raises(ClassFull):
        await ea.enroll(kids["Noah"], level2, TUE)  # this Tuesday is free, but not the ones after
    await engine_a.sync_now()
    assert not a.rejected() and a.pending_count() == 0
    # A seven-year-old fits Level 2 (6–8); a class for ages 9–12 warns and still enrolls.
    assert ea.warnings(kids["Ava"], level2) == []
    await a.record("class.update", {"id": level3, "changes": {"age_min": 9, "age_max": 12}})
    assert ea.warnings(kids["Noah"], level3) == ["Noah is 7; Level 3 is for ages 9–12."]
    await ea.enroll(kids["Noah"], level3)
    await engine_a.sync_now()
    assert not a.rejected()
    # A capacity raised offers the place to the first waiting, nobody enrolled by it.
    ella = await ea.join_waitlist(kids["Ella"], level2, NEXT_TUE)
    await a.record("class.update", {"id": level2, "changes": {"capacity": 2}})
    await engine_a.sync_now()
    assert [(m.enrollment_id, m.status) for m in ea.class_view(level2).waitlist] == [(ella, "offered")]


def test_coaches_may_not_enroll_and_only_managers_overfill():
    assert not mutation_allowed(BUILTIN_GROUPS["coach"], "enrollment.add")
    assert not mutation_allowed(BUILTIN_GROUPS["coach"], "waitlist.enroll")
    assert mutation_allowed(BUILTIN_GROUPS["front-desk"], "enrollment.transfer")
    assert "enrollment.overfill" not in BUILTIN_GROUPS["front-desk"]
    assert "enrollment.overfill" in BUILTIN_GROUPS["manager"]


@pytest.mark.asyncio
async def test_a_transfer_into_a_full_class_is_refused_whole(school, desks, http):
    a, engine_a = await _desk(desks, http, school, "a", "morgan", "pw manager")
    _loc, level2, level3, kids = await _set_up(a)
    ea = EnrollDesk(a)
    await a.record("class.update", {"id": level3, "changes": {"capacity": 1}})
    await ea.enroll(kids["Ava"], level3)
    mia = await ea.enroll(kids["Mia"], level2)
    with pytest.raises(ClassFull):
        await ea.transfer(mia, level3)
    with pytest.raises(RejectedError, match="already in that class"):
        await ea.transfer(mia, level2, NEXT_TUE, overfill_reason="x")
    await engine_a.sync_now()
    assert [m.name for m in ea.class_view(level2).enrolled] == ["Mia Lee"]
