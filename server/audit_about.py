"""What an audit page's entries are about, in names: the student, the class, the location, the family,
the staff member a change was made to. The desk words each entry from these ("Alex checked Emma Lee
in to Level 2 Gymnastics at 4:02 pm", desk.presenters.audit_log) without a cache of its own, and a
desk that never pulled the record still reads a name, not an id.

A few queries per page (one per kind of record, in chunks), never per entry. An entry whose
records are gone (deleted since) has fewer names; nothing here fails because of what an entry holds.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlmodel import Session, col, select

from server.account_db import AuditEvent
from sync.core.schema import Attendance, AttendanceMark, CheckIn, ClassSchedule, ClassSession, Family, Location, Staff, Student

_CHUNK = 500
_HELD = ("check_in", "attendance_mark", "attendance")  # records that name a student and a class


def _refs(row: AuditEvent) -> list[tuple[str, str]]:
    refs = [(row.record_type, row.record_id)] if row.record_type and row.record_id else []
    written = row.detail.get("written") if isinstance(row.detail, dict) else None
    if isinstance(written, list):
        refs += [(w[0], w[1]) for w in written if isinstance(w, list) and len(w) == 2 and all(isinstance(x, str) for x in w)]
    return refs


def _rows(db: Session, model: Any, ids: Iterable[str]) -> dict[str, Any]:
    ids = sorted(set(ids))
    found: dict[str, Any] = {}
    for i in range(0, len(ids), _CHUNK):
        found |= {r.id: r for r in db.exec(select(model).where(col(model.id).in_(ids[i : i + _CHUNK])))}
    return found


def about(db: Session, rows: Sequence[AuditEvent]) -> dict[str, dict[str, str]]:
    """Entry id -> names: any of student, class, location, status, family, staff (the one changed)."""
    refs = {r.id: _refs(r) for r in rows}
    wanted: dict[str, set[str]] = {}
    for pairs in refs.values():
        for kind, rid in pairs:
            wanted.setdefault(kind, set()).add(rid)
    held = {**_rows(db, CheckIn, wanted.get("check_in", ())), **_rows(db, AttendanceMark, wanted.get("attendance_mark", ())),
            **_rows(db, Attendance, wanted.get("attendance", ()))}  # fmt: skip
    students = _rows(db, Student, {*wanted.get("student", ()), *(h.student_id for h in held.values())})
    sessions = _rows(db, ClassSession, {*wanted.get("class_session", ()), *(h.session_id for h in held.values() if h.session_id)})
    schedules = _rows(db, ClassSchedule, {s.schedule_id for s in sessions.values()})
    locations = _rows(db, Location, {*(getattr(h, "location_id", None) or "" for h in held.values()),
                                     *(s.location_id for s in sessions.values())} - {""})  # fmt: skip
    families = _rows(db, Family, {*wanted.get("family", ()), *(s.family_id for s in students.values())})
    staff = _rows(db, Staff, wanted.get("staff", ()))

    out: dict[str, dict[str, str]] = {}
    for entry_id, pairs in refs.items():
        names: dict[str, str] = {}
        for kind, rid in pairs:
            h = held.get(rid) if kind in _HELD else None
            student = students.get(h.student_id if h is not None else rid if kind == "student" else "")
            session = sessions.get((h.session_id or "") if h is not None else rid if kind == "class_session" else "")
            schedule = schedules.get(session.schedule_id) if session is not None else None
            location = locations.get((getattr(h, "location_id", None) or (session.location_id if session else "")) or "")
            family = families.get(student.family_id if student is not None else rid if kind == "family" else "")
            person = staff.get(rid) if kind == "staff" else None
            for key, value in (("student", student and f"{student.first_name} {student.last_name}".strip()),
                               ("class", schedule and schedule.name), ("location", location and location.name),
                               ("status", h is not None and kind != "check_in" and getattr(h, "status", None)),
                               ("family", family and family.name), ("staff", person and person.display_name)):  # fmt: skip
                if value and key not in names:
                    names[key] = value
        out[entry_id] = names
    return out
