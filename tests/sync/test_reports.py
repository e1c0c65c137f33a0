"""Report queries against a real desk cache: rows as a pull brings them, marks as the desk writes them."""

from __future__ import annotations

import datetime as dt

import pytest

from sync.queries import NotFound
from sync.store import DeskStore
from tests.sync.data import DAY, World

YESTERDAY = DAY - dt.timedelta(days=1)


async def mark_the_day(store: DeskStore, demo: World) -> None:
    ids = demo.ids
    await store.mark_attendance(ids["sess_tumbling"], ids["emmett"], "present")
    await store.mark_attendance(ids["sess_tumbling"], ids["zoe"], "absent")
    await store.mark_attendance(ids["sess_tumbling"], ids["zoe"], "late")  # the latest mark counts
    await store.mark_attendance(ids["sess_yesterday"], ids["liam"], "absent")
    await store.check_in(ids["emma"], ids["downtown"], ids["sess_ninja"])
    await store.check_in(ids["zoe"], ids["downtown"], ids["sess_ninja"])  # a drop-in
    await store.check_in(ids["zoe"], ids["downtown"], ids["sess_ninja"])  # twice: counted once


@pytest.mark.asyncio
async def test_attendance_by_class_counts_each_session_in_the_range(store: DeskStore, demo: World):
    await mark_the_day(store, demo)
    report = store.attendance_report(demo.ids["downtown"], YESTERDAY, DAY)
    assert report.location_name == "Downtown" and (report.start, report.end) == (YESTERDAY, DAY)
    assert [c.name for c in report.classes] == ["Cheer", "Ninja", "Tumbling"]
    tumbling = report.classes[2]
    assert [s.date for s in tumbling.sessions] == [YESTERDAY, DAY]
    yesterday, today = tumbling.sessions
    # Liam's enrollment ended yesterday (inclusive); Amy's starts tomorrow.
    assert (yesterday.enrolled, yesterday.present, yesterday.late, yesterday.absent, yesterday.unmarked) == (3, 0, 0, 1, 2)
    assert (today.enrolled, today.present, today.late, today.absent, today.unmarked) == (2, 1, 1, 0, 0)
    assert today.starts_at.hour == 16 and today.starts_at.tzinfo is not None  # the location's clock
    ninja = report.classes[1].sessions[0]
    assert (ninja.enrolled, ninja.present, ninja.checked_in) == (1, 2, 2)
    cheer = report.classes[0].sessions[0]
    assert (cheer.enrolled, cheer.present, cheer.unmarked) == (0, 0, 0)


@pytest.mark.asyncio
async def test_the_range_and_the_location_limit_the_report(store: DeskStore, demo: World):
    await mark_the_day(store, demo)
    only_yesterday = store.attendance_report(demo.ids["downtown"], YESTERDAY, YESTERDAY)
    assert [(c.name, len(c.sessions)) for c in only_yesterday.classes] == [("Tumbling", 1)]
    assert store.attendance_report(demo.ids["tokyo"], YESTERDAY, DAY).classes == ()
    assert store.attendance_report(demo.ids["downtown"], DAY + dt.timedelta(days=1), DAY + dt.timedelta(days=30)).classes == ()
    with pytest.raises(NotFound):
        store.attendance_report("no-such-location", YESTERDAY, DAY)


@pytest.mark.asyncio
async def test_student_history_lists_enrolled_marked_and_drop_in_sessions(store: DeskStore, demo: World):
    await mark_the_day(store, demo)
    month = (DAY - dt.timedelta(days=30), DAY)
    liam = store.student_history(demo.ids["liam"], *month)
    assert liam.student_name == "Liam O'Brien" and liam.family_name == "O'Brien"
    assert [(r.date, r.class_name, r.status) for r in liam.rows] == [(YESTERDAY, "Tumbling", "absent")]
    zoe = store.student_history(demo.ids["zoe"], *month)
    assert [(r.date, r.class_name, r.status, r.checked_in) for r in zoe.rows] == [
        (YESTERDAY, "Tumbling", None, False),
        (DAY, "Tumbling", "late", False),
        (DAY, "Ninja", "present", True),  # a drop-in: checked in, not enrolled
    ]
    assert (zoe.count("late"), zoe.count("present"), zoe.count(None)) == (1, 1, 1)
    assert store.student_history(demo.ids["amy"], *month).rows == ()  # enrolled from tomorrow
    assert store.student_history(demo.ids["zoe"], YESTERDAY, YESTERDAY).rows[0].date == YESTERDAY
    with pytest.raises(NotFound):
        store.student_history("no-such-student", *month)


@pytest.mark.asyncio
async def test_reports_say_how_current_their_data_is(store: DeskStore, demo: World):
    fresh = store.data_as_of()
    assert (fresh.last_sync, fresh.pending) == (None, 0)
    await mark_the_day(store, demo)
    store.cache.set_last_sync(dt.datetime(2025, 3, 10, 21, 0))
    as_of = store.data_as_of()
    assert as_of.last_sync == dt.datetime(2025, 3, 10, 21, 0, tzinfo=dt.UTC)
    assert as_of.pending == store.pending_count() == 6
