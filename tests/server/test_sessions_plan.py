"""The session planner: weekly meetings become sessions on a rolling window, on the location's day.

Every test pins the clock: nothing here depends on the day, hour or zone the tests run in.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from server import admin, setup
from server.sessions import GONE, WINDOW_DAYS
from sync.core.clock import PinnedClock
from sync.core.ids import new_id
from tests.helpers.server_process import account_db_path
from tests.server.api import query

CHICAGO = ZoneInfo("America/Chicago")


def at(*args: int) -> PinnedClock:
    return PinnedClock(dt.datetime(*args, tzinfo=CHICAGO), frozen=True)


@pytest.fixture
def school(tmp_path):
    admin.create_account(tmp_path, "acme", name="Acme Gym")
    admin.add_staff(tmp_path, "acme", "kim", "pw", group="coach", display_name="Kim Park")
    admin.add_staff(tmp_path, "acme", "lou", "pw", group="coach", display_name="Lou Diaz")
    setup.add_location(tmp_path, "acme", "Downtown", "DT", timezone="America/Chicago")
    return tmp_path


def sessions(data_dir, where: str = "1", *args) -> list[tuple]:
    return query(account_db_path(data_dir, "acme"),
                 f"SELECT date, starts_at, cancelled, note, changed FROM class_session WHERE {where} ORDER BY starts_at", *args)


def test_a_class_on_two_weekdays_gets_every_meeting_nine_weeks_ahead_from_the_locations_today(school):
    # Sunday 23:59 in Chicago is already Monday in UTC: "today" is the location's Sunday.
    clock = at(2026, 3, 1, 23, 59)
    setup.add_class(school, "acme", "DT", "Level 1", "Mon 16:00 60; Sun 9:30 45", clock=clock, instructors=["kim", "lou"])
    rows = sessions(school)
    dates = [dt.date.fromisoformat(r[0]) for r in rows]
    assert dates[0] == dt.date(2026, 3, 1) and dates[-1] <= dt.date(2026, 3, 1) + dt.timedelta(days=WINDOW_DAYS)
    assert {d.weekday() for d in dates} == {0, 6} and len(dates) == 2 * 9 + 1
    # Clocks go forward on 8 March: the wall-clock time stays, the UTC time moves.
    assert [r[1][11:16] for r in rows if r[0] in ("2026-03-02", "2026-03-09")] == ["22:00", "21:00"]
    coach = query(account_db_path(school, "acme"), "SELECT coach FROM class_schedule")
    assert coach == [("Kim Park, Lou Diaz",)]


def test_one_minute_past_midnight_the_window_starts_that_day(school):
    setup.add_class(school, "acme", "DT", "Tots", "Sun 9:00 45", clock=at(2026, 3, 2, 0, 1))  # a Monday
    assert sessions(school)[0][0] == "2026-03-08"


def test_a_closure_cancels_made_sessions_lists_their_families_and_none_is_made_on_it(school):
    clock = at(2026, 11, 16, 10, 0)
    class_id = setup.add_class(school, "acme", "DT", "Level 2", "Thu 16:00 60", clock=clock)
    with setup.setting_up(school, "acme", clock) as s:
        s.enroll_new_students(class_id, [("Emma", "Lee"), ("Noah", "Kim")], start=dt.date(2026, 9, 1))
    out = setup.add_closure(school, "acme", "DT", "Thanksgiving", dt.date(2026, 11, 26), dt.date(2026, 11, 27), clock=clock)
    assert [(c.date, c.class_name, c.families) for c in out.cancelled] == [(dt.date(2026, 11, 26), "Level 2", ("Kim", "Lee"))]
    assert sessions(school, "date = '2026-11-26'") == [("2026-11-26", "2026-11-26 22:00:00.000000", 1, "Closed: Thanksgiving", 0)]
    # A class added later makes nothing on the closed days.
    setup.add_class(school, "acme", "DT", "Ninja", "Fri 17:00 60", clock=clock)
    assert sessions(school, "date = '2026-11-27'") == []
    # The closure removed: the cancelled session is on again, and the Friday comes back.
    with setup.setting_up(school, "acme", clock) as s:
        s.update("closure", out.id, active=False)
    assert [r[2] for r in sessions(school, "date IN ('2026-11-26', '2026-11-27')")] == [0, 0]


def test_a_session_moved_by_hand_stays_and_is_not_made_again_when_the_class_changes(school):
    clock = at(2026, 4, 6, 8, 0)  # Monday
    with setup.setting_up(school, "acme", clock) as s:
        class_id = s.add_class("DT", "Level 3", "Tue 16:00 60").id
    sid = query(account_db_path(school, "acme"), "SELECT id FROM class_session WHERE date = '2026-04-07'")[0][0]
    setup.change_session(school, "acme", sid, clock=clock, date=dt.date(2026, 4, 8), start="17:30", instructor="lou",
                         note="Gym floor repairs")  # fmt: skip
    with setup.setting_up(school, "acme", clock) as s:
        s.update("class", class_id, times="Tue 16:15 60")  # the whole class moves a quarter hour
    rows = sessions(school, "date <= '2026-04-14'")
    assert rows == [
        ("2026-04-08", "2026-04-08 22:30:00.000000", 0, "Gym floor repairs", 1),  # as staff set it
        ("2026-04-14", "2026-04-14 21:15:00.000000", 0, "", 0),  # follows the class
    ]
    assert query(account_db_path(school, "acme"), "SELECT instructor_id IS NOT NULL, planned_date FROM class_session "
                 "WHERE id = ?", sid) == [(1, "2026-04-07")]  # fmt: skip


def test_a_dropped_weekday_removes_its_sessions_but_keeps_one_that_was_attended(school):
    clock = at(2026, 4, 6, 8, 0)
    with setup.setting_up(school, "acme", clock) as s:
        class_id = s.add_class("DT", "Swim", "Tue 16:00 60; Thu 16:00 60").id
    db = account_db_path(school, "acme")
    thursday = query(db, "SELECT id FROM class_session WHERE date = '2026-04-09'")[0][0]
    with setup.setting_up(school, "acme", clock) as s:  # someone was marked in Thursday's already
        student = s.enroll_new_students(class_id, [("Ava", "Cruz")], start=dt.date(2026, 4, 1))[0]
        from sync.core.schema import Attendance, attendance_id

        s.db.add(Attendance(id=attendance_id(thursday, student), usn=1, session_id=thursday, student_id=student,
                            status="present", mark_id=new_id(), marked_at=dt.datetime(2026, 4, 6), staff_id="x"))  # fmt: skip
    with setup.setting_up(school, "acme", clock) as s:
        s.update("class", class_id, times="Tue 16:00 60")
    thursdays = sessions(school, "strftime('%w', date) = '4'")
    assert thursdays == [("2026-04-09", "2026-04-09 21:00:00.000000", 1, GONE, 0)]
    gone = query(db, "SELECT count(*) FROM tombstone WHERE type = 'class_session'")[0][0]
    assert gone == 8  # the other Thursdays of the window, each with a tombstone for the desks


def test_the_term_bounds_the_sessions_and_the_nightly_plan_adds_one_week_a_week(school):
    clock = at(2026, 1, 5, 9, 0)
    setup.add_class(school, "acme", "DT", "Spring", "Wed 10:00 60", clock=clock, term=(dt.date(2026, 1, 14), dt.date(2026, 2, 4)))
    assert [r[0] for r in sessions(school)] == ["2026-01-14", "2026-01-21", "2026-01-28", "2026-02-04"]
    setup.add_class(school, "acme", "DT", "Ongoing", "Mon 10:00 60", clock=clock)
    before = len(sessions(school))
    assert setup.plan(school, "acme", clock=clock).changed is False  # nothing new on the same day
    plan = setup.plan(school, "acme", clock=at(2026, 1, 12, 9, 0))  # a week later
    assert (plan.added, len(sessions(school))) == (1, before + 1)


def test_bad_set_up_is_refused_in_words_and_writes_nothing(school):
    with pytest.raises(admin.AdminError, match="not a day of the week"):
        setup.add_class(school, "acme", "DT", "Odd", "Funday 16:00 60")
    with pytest.raises(admin.AdminError, match="already has the code DT"):
        setup.add_location(school, "acme", "Other", "dt")
    with pytest.raises(admin.AdminError, match="not a time zone"):
        setup.add_location(school, "acme", "Moon", "MB", timezone="Moon/Base")
    with pytest.raises(admin.AdminError, match="youngest age is above"):
        setup.add_class(school, "acme", "DT", "Odd", "Mon 16:00 60", ages=(9, 6))
    with pytest.raises(admin.AdminError, match="No staff member"):
        setup.add_class(school, "acme", "DT", "Odd", "Mon 16:00 60", instructors=["nobody"])
    assert query(account_db_path(school, "acme"), "SELECT count(*) FROM class_schedule") == [(0,)]


def test_class_today_builds_a_class_with_students_on_a_brand_new_account(tmp_path):
    admin.create_account(tmp_path, "fresh", name="Fresh")
    clock = at(2026, 6, 3, 23, 50)  # late: the class still falls today
    class_id, session_id, students = setup.class_today(tmp_path, "fresh", 3, clock=clock)
    db = account_db_path(tmp_path, "fresh")
    assert query(db, "SELECT date FROM class_session WHERE id = ?", session_id) == [("2026-06-03",)]
    assert query(db, "SELECT count(*) FROM enrollment WHERE schedule_id = ?", class_id) == [(3,)] and len(students) == 3


def test_the_nightly_round_plans_every_account_once_a_day(school):
    from server.nightly import Nightly
    from server.settings import Settings
    from server.state import ServerState

    admin.create_account(school, "other", name="Other")
    setup.add_location(school, "other", "Uptown", "UP", timezone="America/Los_Angeles")
    setup.add_class(school, "acme", "DT", "Level 1", "Mon 16:00 60", clock=at(2026, 5, 4, 12, 0))
    setup.add_class(school, "other", "UP", "Swim", "Mon 10:00 30", clock=at(2026, 5, 4, 12, 0))
    state = ServerState.open(Settings(data_dir=school))
    try:
        clock = PinnedClock(dt.datetime(2026, 5, 11, 12, tzinfo=CHICAGO))
        rung: list[str] = []
        nightly = Nightly(state, clock, ring=rung.append)
        assert nightly.round() == 2 and nightly.round() == 0  # once a day
        assert len(rung) == 2  # both had a new week: their desks are told
        for slug in ("acme", "other"):
            assert query(account_db_path(school, slug), "SELECT count(*) FROM class_session") == [(11,)]  # ten, and one week more
    finally:
        state.close()


def test_a_location_moved_to_another_zone_moves_its_sessions_wall_clocks_and_admin_changes_are_audited(school):
    clock = at(2026, 6, 1, 8, 0)
    setup.add_class(school, "acme", "DT", "Level 1", "Tue 16:00 60", clock=clock)
    with setup.setting_up(school, "acme", clock) as s:
        s.update("location", s.location_id("DT"), timezone="America/Denver")
    assert {r[1][11:16] for r in sessions(school)} == {"22:00"}  # 4 PM in Denver (MDT, UTC-6)
    actions = [r[0] for r in query(account_db_path(school, "acme"), "SELECT action FROM audit_event ORDER BY at")]
    assert {"admin.location.add", "admin.class.add", "admin.location.update", "sessions.planned"} <= set(actions)


def test_the_planner_on_an_account_in_postgresql(tmp_path, monkeypatch):
    from server.secrets_box import KEY_ENV, new_key
    from tests.helpers.pg_accounts import main_server_dsn, placed_accounts

    monkeypatch.setenv(KEY_ENV, new_key())
    with placed_accounts(tmp_path, main_server_dsn()) as placement:
        admin.create_account(tmp_path, "pgacme", name="PG Gym", placement=placement)
        clock = at(2026, 3, 2, 9, 0)
        setup.add_location(tmp_path, "pgacme", "Downtown", "DT")
        class_id = setup.add_class(tmp_path, "pgacme", "DT", "Level 1", "Mon 16:00 60; Wed 16:00 60", clock=clock)
        out = setup.add_closure(tmp_path, "pgacme", "DT", "Spring break", dt.date(2026, 3, 9), dt.date(2026, 3, 13), clock=clock)
        assert [c.date for c in out.cancelled] == [dt.date(2026, 3, 9), dt.date(2026, 3, 11)]
        with setup.setting_up(tmp_path, "pgacme", clock) as s:
            s.update("class", class_id, times="Mon 16:00 60")  # Wednesdays dropped: removed, with tombstones
            from sqlmodel import func, select

            from server.account_db import Tombstone
            from sync.core.schema import ClassSession

            s.db.flush()
            assert s.db.exec(select(func.count()).select_from(Tombstone)).one() == 9  # the open Wednesdays
            assert s.db.exec(select(func.count()).select_from(ClassSession)).one() == 10
