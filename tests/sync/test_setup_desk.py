"""Set-up at a desk: recorded through the outbox (offline too), applied by the server, sessions back by pull."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from server import admin
from server.main import create_app
from server.settings import Settings
from sync.core.class_times import Meeting
from sync.client import ApiClient
from sync.core.clock import PinnedClock
from sync.engine import SyncEngine
from sync.errors import RejectedError
from sync.setup_desk import SetUpDesk
from tests.helpers.server_process import ThreadedServer
from tests.sync.conftest import FAST, sign_in

CHICAGO = ZoneInfo("America/Chicago")
NOW = dt.datetime(2026, 11, 16, 9, 0, tzinfo=CHICAGO)  # a Monday


@pytest.fixture
def new_account(tmp_path):
    data_dir = tmp_path / "server"
    admin.create_account(data_dir, "fresh", name="Fresh Gym")
    admin.add_staff(data_dir, "fresh", "morgan", "pw manager", group="manager", display_name="Morgan Lee")
    app = create_app(Settings(data_dir=data_dir), clock=PinnedClock(NOW, frozen=True))
    with ThreadedServer(app=app) as server:
        yield {"slug": "fresh", "username": "morgan", "password": "pw manager", "url": server.url, "data_dir": data_dir}


@pytest.mark.asyncio
async def test_a_school_set_up_offline_at_a_desk_reaches_the_server_and_its_sessions_come_back(new_account, desks, http):
    store = desks("a")
    client = ApiClient(http, new_account["url"])
    await sign_in(client, store, new_account)
    engine = SyncEngine(store, client, **FAST)
    await engine.sync_now()  # brings the staff list (instructors) of a brand-new account
    setup = SetUpDesk(store)
    assert setup.locations() == [] and [s.display_name for s in setup.instructors()] == ["Morgan Lee"]

    # Nothing is sent yet: all of it is in the outbox and on the screen at once.
    loc = await setup.add("location", name="Downtown", code="dt", timezone="America/Chicago", hours="Mon 9:00-20:00")
    prog = await setup.add("program", name="Recreational Gymnastics")
    room = await setup.add("room", location_id=loc, name="Main floor", capacity=30)
    tue = await setup.add("class", location_id=loc, name="Level 1", program_id=prog, room_id=room, times="1 16:00 60",
                          age_min=6, age_max=9, instructor_ids=[store.staff_id], tuition_cents=8500)  # fmt: skip
    await setup.add("class", location_id=loc, name="Tiny Tumblers", program_id=prog, times="3 9:30 45", age_min=2, age_max=4)
    await setup.add("closure", location_id=loc, name="Thanksgiving", start_date=dt.date(2026, 11, 26))
    with pytest.raises(RejectedError, match="already has the code DT"):
        await setup.add("location", name="Again", code="DT")
    assert [c.name for c in setup.classes(loc)] == ["Level 1", "Tiny Tumblers"]
    assert setup.classes(loc)[0].coach == "Morgan Lee" and setup.classes(loc)[0].when == "Tue 4:00 PM (60 min)"
    assert store.pending_count() == 6

    # The week view: what is on for a six-year-old, and on Thursdays.
    assert [(e.cls.name, e.weekday) for e in setup.week(loc, age=6)] == [("Level 1", 1)]
    assert [(e.cls.name, e.start) for e in setup.week(loc, weekday=3)] == [("Tiny Tumblers", dt.time(9, 30))]
    assert setup.week(loc, age=12) == [] and [e.cls.name for e in setup.week(loc, text="tiny")] == ["Tiny Tumblers"]

    status = await engine.sync_now()
    assert status.error is None and store.pending_count() == 0 and not store.rejected()
    # The server planned the sessions; the Thanksgiving Thursday is cancelled, listed for calls.
    tuesdays = store.sessions_on(loc, dt.date(2026, 11, 17))
    assert [s.name for s in tuesdays] == ["Level 1"]
    cancelled = setup.cancelled_sessions(loc, dt.date(2026, 11, 26), dt.date(2026, 11, 26))
    assert [(c.class_name, c.note) for c in cancelled] == [("Tiny Tumblers", "Closed: Thanksgiving")]

    # One session moved, and the class edited; both round-trip.
    await setup.change_session(tuesdays[0].id, start_time=dt.time(17, 0), note="Floor repairs")
    await setup.update("class", tue, capacity=16, times="1 16:00 60;4 16:00 60")
    status = await engine.sync_now()
    assert status.error is None and not store.rejected()
    row = next(c for c in setup.classes(loc) if c.id == tue)
    assert (row.capacity, row.meetings) == (16, (Meeting(1, dt.time(16), 60), Meeting(4, dt.time(16), 60)))
    assert [s.name for s in store.sessions_on(loc, dt.date(2026, 11, 20))] == ["Level 1"]  # the new Friday
    moved = store.sessions_on(loc, dt.date(2026, 11, 17))[0]
    assert moved.starts_at.astimezone(CHICAGO).time() == dt.time(17, 0)

    # Students enrolled (here by the admin API) count against the class's capacity on the lists.
    from server.setup import setting_up

    with setting_up(new_account["data_dir"], "fresh") as s:
        s.enroll_new_students(tue, [("Emma", "Lee"), ("Noah", "Kim")], start=dt.date(2026, 11, 1))
    await engine.sync_now()
    row = next(c for c in setup.classes(loc, today=dt.date(2026, 11, 16)) if c.id == tue)
    assert (row.enrolled, row.capacity) == (2, 16)
    cancelled = setup.cancelled_sessions(loc, dt.date(2026, 11, 26), dt.date(2026, 11, 26))
    assert [c.families for c in cancelled] == [()]  # the Thursday class had nobody; Level 1 meets Tue and Fri
