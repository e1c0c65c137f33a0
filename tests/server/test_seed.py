"""Demo data: realistic sizes, classes every day at both gyms, deterministic content."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from zoneinfo import ZoneInfo

import pytest

from server import admin
from server.sessions import WINDOW_DAYS
from tests.helpers.server_process import account_db_path
from tests.server.api import query

CHICAGO = ZoneInfo("America/Chicago")


def _account(tmp_path, slug="demo"):
    admin.create_account(tmp_path, slug, name="Demo Gym")
    return account_db_path(tmp_path, slug)


def test_full_demo_account_has_realistic_sizes(tmp_path):
    db = _account(tmp_path)
    today = dt.date(2026, 3, 11)  # a Wednesday
    summary = admin.seed_demo(tmp_path, "demo", today=today)
    assert query(db, "SELECT name, code, timezone FROM location ORDER BY code") == [
        ("Downtown", "DT", "America/Chicago"),
        ("Northside", "NS", "America/Chicago"),
    ]
    n = {t: query(db, f"SELECT count(*) FROM {t}")[0][0] for t in ("family", "student", "contact", "class_schedule", "class_session", "enrollment", "alert")}
    assert n["family"] == 300
    assert 450 <= n["student"] <= 560
    assert n["contact"] >= 300
    assert 36 <= n["class_schedule"] <= 44
    # Every class once a week, from this Monday to as far ahead as the nightly planning reaches from today.
    weeks = (today - dt.timedelta(days=today.weekday()) + dt.timedelta(days=WINDOW_DAYS + 2) - today).days // 7
    assert weeks * n["class_schedule"] < n["class_session"] == summary.sessions < (weeks + 1) * n["class_schedule"]
    assert query(db, "SELECT min(date), max(date) FROM class_session") == [
        ("2026-03-09", (today + dt.timedelta(days=WINDOW_DAYS)).isoformat())]
    assert query(db, "SELECT count(*) FROM class_session WHERE planned_date = date AND NOT cancelled AND NOT changed") == [
        (n["class_session"],)]
    assert (summary.families, summary.students, summary.classes) == (n["family"], n["student"], n["class_schedule"])
    per_student = Counter(r[0] for r in query(db, "SELECT student_id FROM enrollment"))
    assert len(per_student) == n["student"] and set(per_student.values()) <= {1, 2}
    assert {r[0] for r in query(db, "SELECT kind FROM alert")} >= {"medical", "allergy", "waiver"}
    assert query(db, "SELECT count(*) FROM contact WHERE is_primary AND (email = '' OR phone = '')") == [(0,)]
    assert query(db, "SELECT count(*) FROM student WHERE family_id NOT IN (SELECT id FROM family)") == [(0,)]
    usns = [r[0] for r in query(db, " UNION ALL ".join(f"SELECT usn FROM {t}" for t in ("location", "program", "family", "contact", "student", "class_schedule", "class_session", "enrollment", "alert", "ledger_entry", "ledger_allocation")))]
    assert sorted(usns) == list(range(summary.first_usn, summary.last_usn + 1))
    assert query(db, "SELECT usn FROM change_counter") == [(summary.last_usn,)]


@pytest.mark.parametrize("offset", range(7))
def test_every_day_has_classes_at_both_locations(tmp_path, offset):
    today = dt.date(2026, 3, 9) + dt.timedelta(days=offset)
    db = _account(tmp_path)
    admin.seed_demo(tmp_path, "demo", families=10, today=today)
    rows = query(
        db,
        "SELECT l.code, s.starts_at, s.ends_at, c.start_time FROM class_session s "
        "JOIN location l ON l.id = s.location_id JOIN class_schedule c ON c.id = s.schedule_id WHERE s.date = ?",
        today.isoformat(),
    )
    assert {r[0] for r in rows} == {"DT", "NS"}
    for _code, starts_at, ends_at, start_time in rows:
        local = dt.datetime.fromisoformat(starts_at).replace(tzinfo=dt.UTC).astimezone(CHICAGO)
        assert local.date() == today
        assert local.time() == dt.time.fromisoformat(start_time)
        assert dt.time(9) <= local.time() <= dt.time(19, 30)
        assert dt.datetime.fromisoformat(ends_at) > dt.datetime.fromisoformat(starts_at)
    # Every day from Monday, this week and the nine ahead.
    dates = {r[0] for r in query(db, "SELECT DISTINCT date FROM class_session")}
    monday = today - dt.timedelta(days=today.weekday())
    assert dates == {(monday + dt.timedelta(days=i)).isoformat() for i in range((today - monday).days + WINDOW_DAYS + 1)}


def test_sessions_follow_daylight_saving_time(tmp_path):
    db = _account(tmp_path)
    admin.seed_demo(tmp_path, "demo", families=5, today=dt.date(2026, 3, 4))  # DST starts Sunday 8 March
    before = query(db, "SELECT s.starts_at FROM class_session s JOIN class_schedule c ON c.id = s.schedule_id WHERE s.date = '2026-03-02' AND c.start_time = '09:30:00.000000'")
    after = query(db, "SELECT s.starts_at FROM class_session s JOIN class_schedule c ON c.id = s.schedule_id WHERE s.date = '2026-03-09' AND c.start_time = '09:30:00.000000'")
    assert before and after
    assert {r[0][11:16] for r in before} == {"15:30"}  # CST, UTC-6
    assert {r[0][11:16] for r in after} == {"14:30"}  # CDT, UTC-5


def test_same_seed_same_content_new_ids(tmp_path):
    a, b, c = _account(tmp_path, "a"), _account(tmp_path, "b"), _account(tmp_path, "c")
    day = dt.date(2026, 1, 5)
    admin.seed_demo(tmp_path, "a", families=15, seed=7, today=day)
    admin.seed_demo(tmp_path, "b", families=15, seed=7, today=day)
    admin.seed_demo(tmp_path, "c", families=15, seed=8, today=day)
    sql = "SELECT first_name, last_name, birth_date FROM student ORDER BY usn"
    assert query(a, sql) == query(b, sql) != query(c, sql)
    assert not {r[0] for r in query(a, "SELECT id FROM student")} & {r[0] for r in query(b, "SELECT id FROM student")}


def test_a_small_seed_has_the_families_and_locations_asked_for(tmp_path):
    _account(tmp_path)
    summary = admin.seed_demo(tmp_path, "demo", families=20, today=dt.date(2026, 12, 8))
    assert summary.families == 20 and summary.locations == 2


def test_seeding_twice_is_refused(tmp_path):
    _account(tmp_path)
    admin.seed_demo(tmp_path, "demo", families=3, today=dt.date(2026, 12, 8))
    with pytest.raises(admin.AdminError, match="already has data"):
        admin.seed_demo(tmp_path, "demo", families=3, today=dt.date(2026, 12, 8))


def test_ensure_sessions_adds_only_the_missing_weeks(tmp_path):
    db = _account(tmp_path)
    admin.seed_demo(tmp_path, "demo", families=3, today=dt.date(2026, 3, 11))
    classes = query(db, "SELECT count(*) FROM class_schedule")[0][0]
    before = query(db, "SELECT count(*), max(usn) FROM class_session")[0]
    assert admin.ensure_sessions(tmp_path, "demo", today=dt.date(2026, 3, 11)) == 0
    added = admin.ensure_sessions(tmp_path, "demo", today=dt.date(2026, 3, 18))  # a week later
    assert added == classes  # one more week at the far end
    end = (dt.date(2026, 3, 11) + dt.timedelta(days=WINDOW_DAYS)).isoformat()
    after = query(db, "SELECT count(*), min(usn) FROM class_session WHERE date > ?", end)[0]
    assert after[0] == added and after[1] > before[1]
