from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import text, update
from sqlmodel import Session

from sync.cache import Cache, sync_state
from sync.core.ids import new_id, utcnow
from sync.core.mutations import ATTENDANCE_MARK, AttendancePayload
from sync.outbox import Outbox
from sync.core.schema import Attendance, AttendanceMark, Family, Location, Student, attendance_id
from sync.core.wire import Change, Mutation, MutationResult
from tests.sync.data import change, tombstone, world


@pytest.fixture
def cache(tmp_path: Path):
    c = Cache(tmp_path / "cache.sqlite3")
    try:
        yield c
    finally:
        c.close()


def fts(cache: Cache, query: str) -> list[tuple[str, str, str]]:
    with cache.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT first_name, last_name, family_name FROM student_fts WHERE student_fts MATCH :q ORDER BY rowid"),
            {"q": query},
        )
        return [tuple(r) for r in rows]


def get(cache: Cache, cls, id_):
    with Session(cache.engine) as s:
        return s.get(cls, id_)


def test_pull_inserts_updates_and_deletes_by_id_and_keeps_the_cursor(cache: Cache):
    w = world()
    cache.apply_pull(w.changes(), cursor=40)
    assert cache.cursor() == 40
    family = get(cache, Family, w.ids["fam_lee"])
    assert (family.name, family.usn) == ("Lee", 3)

    renamed = Family(id=w.ids["fam_lee"], name="Lee-Park")
    gone = next(r for r in w.records if r.id == w.ids["emmett"])
    cache.apply_pull([change(renamed, 41), tombstone(gone, 42)], cursor=42)
    assert cache.cursor() == 42
    assert (get(cache, Family, w.ids["fam_lee"]).name, get(cache, Family, w.ids["fam_lee"]).usn) == ("Lee-Park", 41)
    assert get(cache, Student, w.ids["emmett"]) is None
    assert get(cache, Student, w.ids["emma"]).last_name == "Lee"  # untouched rows stay


def test_a_page_is_one_transaction(cache: Cache):
    cache.apply_pull([], cursor=5)
    location = Location(id=new_id(), name="Uptown", code="UP")
    broken = Change(type="student", id=new_id(), usn=7, data={"first_name": "No family"})
    with pytest.raises(ValidationError):
        cache.apply_pull([change(location, 6), broken], cursor=7)
    assert get(cache, Location, location.id) is None
    assert cache.cursor() == 5


def test_unknown_record_types_from_a_newer_server_are_skipped(cache: Cache):
    location = Location(id=new_id(), name="Uptown", code="UP")
    stored = cache.apply_pull([Change(type="hologram", id="x", usn=1, data={}), change(location, 2)], cursor=2)
    assert stored == 1
    assert get(cache, Location, location.id).name == "Uptown"


def test_fts_follows_students_and_families(cache: Cache):
    fam = Family(id=new_id(), name="Okafor")
    kid = Student(id=new_id(), family_id=fam.id, first_name="Ada", last_name="Okafor-Smith")
    cache.apply_pull([change(kid, 1)], cursor=1)  # the student before its family
    assert fts(cache, '"ada"*') == [("Ada", "Okafor-Smith", "")]
    cache.apply_pull([change(fam, 2)], cursor=2)
    assert fts(cache, '{family_name}: "okafor"') == [("Ada", "Okafor-Smith", "Okafor")]

    cache.apply_pull([change(Student(id=kid.id, family_id=fam.id, first_name="Adaeze", last_name="Okafor"), 3)], cursor=3)
    assert fts(cache, '"ada"') == []
    assert fts(cache, '"adaeze"') == [("Adaeze", "Okafor", "Okafor")]
    cache.apply_pull([change(Family(id=fam.id, name="Obi"), 4)], cursor=4)
    assert fts(cache, '{family_name}: "obi"') == [("Adaeze", "Okafor", "Obi")]
    cache.apply_pull([tombstone(fam, 5)], cursor=5)
    assert fts(cache, '"adaeze"') == [("Adaeze", "Okafor", "")]
    cache.apply_pull([tombstone(kid, 6)], cursor=6)
    assert fts(cache, '"adaeze"') == []
    with cache.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM student_fts").scalar() == 0


def test_fts_folds_accents(cache: Cache):
    fam = Family(id=new_id(), name="Müller")
    cache.apply_pull([change(fam, 1), change(Student(id=new_id(), family_id=fam.id, first_name="Zoë", last_name="Müller"), 2)], cursor=2)
    assert fts(cache, '"zoe"* "muller"*') == [("Zoë", "Müller", "Müller")]


def _mark(outbox: Outbox, session_id: str, student_id: str, status: str) -> Mutation:
    payload = AttendancePayload(mark_id=new_id(), session_id=session_id, student_id=student_id, status=status)  # type: ignore[arg-type]
    return outbox.append("staff", ATTENDANCE_MARK, payload.model_dump(mode="json"))


def test_pending_work_is_reapplied_on_top_of_a_pull(tmp_path: Path):
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    cache = Cache(tmp_path / "cache.sqlite3", pending=outbox.pending)
    try:
        w = world()
        cache.apply_pull(w.changes(), cursor=100)
        session_id, student_id = w.ids["sess_tumbling"], w.ids["zoe"]
        ours = _mark(outbox, session_id, student_id, "absent")
        cache.reapply([ours])
        # Another desk's mark reaches the server first and comes down in a pull.
        theirs = AttendanceMark(id=new_id(), usn=101, session_id=session_id, student_id=student_id, status="present",
                                staff_id="other", desk_id="other-desk", made_at=utcnow())  # fmt: skip
        register = Attendance(id=attendance_id(session_id, student_id), usn=102, session_id=session_id, student_id=student_id,
                              status="present", mark_id=theirs.id, marked_at=theirs.made_at, staff_id="other")  # fmt: skip
        cache.apply_pull([change(theirs, 101), change(register, 102)], cursor=102)
        row = get(cache, Attendance, register.id)
        assert (row.status, row.mark_id, row.usn) == ("absent", ours.payload["mark_id"], None)  # ours still shows

        # Once the server has ours (applied after theirs), the pull brings the server's truth.
        outbox.record_results([MutationResult(id=ours.id, seq=ours.seq, status="applied", usn=103)])
        mine = AttendanceMark(id=ours.payload["mark_id"], usn=103, session_id=session_id, student_id=student_id,
                              status="absent", staff_id="staff", desk_id=outbox.desk_id, made_at=ours.made_at)  # fmt: skip
        register.status, register.mark_id, register.usn = "absent", mine.id, 104
        cache.apply_pull([change(mine, 103), change(register, 104)], cursor=104)
        row = get(cache, Attendance, register.id)
        assert (row.status, row.usn) == ("absent", 104)
    finally:
        cache.close()
        outbox.close()


def test_forget_takes_back_a_rejected_mark_and_restores_the_confirmed_one(tmp_path: Path):
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    cache = Cache(tmp_path / "cache.sqlite3", pending=outbox.pending)
    try:
        w = world()
        session_id, student_id = w.ids["sess_tumbling"], w.ids["zoe"]
        confirmed = AttendanceMark(id=new_id(), usn=50, session_id=session_id, student_id=student_id, status="late",
                                   staff_id="other", desk_id="d", made_at=utcnow())  # fmt: skip
        register = Attendance(id=attendance_id(session_id, student_id), usn=51, session_id=session_id, student_id=student_id,
                              status="late", mark_id=confirmed.id, marked_at=confirmed.made_at, staff_id="other")  # fmt: skip
        cache.apply_pull([*w.changes(), change(confirmed, 50), change(register, 51)], cursor=51)
        bad = _mark(outbox, session_id, student_id, "absent")
        cache.reapply([bad])
        assert get(cache, Attendance, register.id).status == "absent"
        outbox.record_results([MutationResult(id=bad.id, seq=bad.seq, status="rejected", code="forbidden", message="no")])
        cache.forget([bad])
        row = get(cache, Attendance, register.id)
        assert (row.status, row.mark_id) == ("late", confirmed.id)
        assert get(cache, AttendanceMark, bad.payload["mark_id"]) is None
    finally:
        cache.close()
        outbox.close()


def test_a_cache_from_another_schema_is_rebuilt_empty(tmp_path: Path):
    path = tmp_path / "cache.sqlite3"
    first = Cache(path)
    first.apply_pull(world().changes(), cursor=30)
    first.set_last_sync(dt.datetime(2025, 1, 1))
    with first.engine.begin() as conn:
        conn.execute(update(sync_state).values(schema_version="0:old"))
    first.close()
    second = Cache(path)
    try:
        assert second.rebuilt
        assert (second.cursor(), second.last_sync()) == (0, None)
        with second.engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM student").scalar() == 0
    finally:
        second.close()


def test_a_corrupt_cache_is_rebuilt(tmp_path: Path):
    path = tmp_path / "cache.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    cache = Cache(path)
    try:
        assert cache.rebuilt and cache.cursor() == 0
    finally:
        cache.close()


def test_an_intact_cache_is_kept(tmp_path: Path):
    path = tmp_path / "cache.sqlite3"
    first = Cache(path)
    first.apply_pull([], cursor=9)
    first.close()
    again = Cache(path)
    try:
        assert not again.rebuilt and again.cursor() == 9
    finally:
        again.close()


def test_pulled_rows_are_checked_like_record_from_wire():
    from sync.pull_apply import row as _row
    from sync.core.schema import TYPE_OF_RECORD, record_from_wire

    for record in world().records:
        c = change(record, 7)
        assert _row(c.type, c) == record_from_wire(TYPE_OF_RECORD[type(record)], {**c.data, "usn": 7}).model_dump()
    with pytest.raises(ValidationError):
        _row("class_session", Change(type="class_session", id="x", usn=1, data={"date": "not a date"}))
