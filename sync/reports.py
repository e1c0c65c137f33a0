"""Report queries over the desk's cache: attendance by class, a student's attendance history.

They answer from the local cache, so they work offline; each answer says how current it is
(`as_of`: the last successful sync, and how many changes made here are not yet on the server).
Plain dataclasses out: printing/ lays them out, the desk never sees a row.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from sync.queries import NotFound, local, zone_of
from sync.core.schema import Attendance, CheckIn, ClassSchedule, ClassSession, Enrollment, Family, Location, Student


@dataclass(frozen=True)
class DataAsOf:
    last_sync: dt.datetime | None  # aware UTC; None: this desk has never synced
    pending: int  # changes made at this desk that the server does not have yet


@dataclass(frozen=True)
class SessionAttendance:
    date: dt.date
    starts_at: dt.datetime  # aware, location time
    cancelled: bool
    enrolled: int
    present: int
    late: int
    absent: int
    checked_in: int

    @property
    def unmarked(self) -> int:
        return max(self.enrolled - self.present - self.late - self.absent, 0)


@dataclass(frozen=True)
class ClassAttendance:
    schedule_id: str
    name: str
    level: str
    coach: str
    sessions: tuple[SessionAttendance, ...]


@dataclass(frozen=True)
class AttendanceByClass:
    location_name: str
    timezone: str
    start: dt.date
    end: dt.date
    classes: tuple[ClassAttendance, ...]


@dataclass(frozen=True)
class HistoryRow:
    date: dt.date
    starts_at: dt.datetime  # aware, location time
    class_name: str
    location_name: str
    status: str | None  # present, late, absent; None: enrolled, not marked
    checked_in: bool
    cancelled: bool


@dataclass(frozen=True)
class StudentHistory:
    student_name: str
    family_name: str
    start: dt.date
    end: dt.date
    rows: tuple[HistoryRow, ...]

    def count(self, status: str | None) -> int:
        return sum(1 for r in self.rows if r.status == status and not r.cancelled)


def attendance_by_class(s: Session, location_id: str, start: dt.date, end: dt.date) -> AttendanceByClass:
    location = s.get(Location, location_id)
    if location is None:
        raise NotFound(f"no location {location_id}")
    zone = zone_of(s, location_id)
    rows = s.exec(
        select(ClassSession, ClassSchedule)
        .join(ClassSchedule, col(ClassSchedule.id) == ClassSession.schedule_id)
        .where(ClassSession.location_id == location_id, col(ClassSession.date) >= start, col(ClassSession.date) <= end)
        .order_by(col(ClassSchedule.name), col(ClassSession.starts_at))
    ).all()
    ids = [sess.id for sess, _ in rows]
    marks: dict[str, Counter[str]] = defaultdict(Counter)
    checked: Counter[str] = Counter()
    for chunk in _chunks(ids):
        for session_id, status in s.exec(
            select(Attendance.session_id, Attendance.status).where(col(Attendance.session_id).in_(chunk))
        ).all():
            marks[session_id][status] += 1
        for session_id, _student in set(s.exec(
            select(CheckIn.session_id, CheckIn.student_id).where(col(CheckIn.session_id).in_(chunk))
        ).all()):
            checked[session_id] += 1
    schedules = {sched.id for _, sched in rows}
    spans: dict[str, list[tuple[dt.date, dt.date | None]]] = defaultdict(list)
    for chunk in _chunks(sorted(schedules)):
        for e in s.exec(select(Enrollment).where(col(Enrollment.schedule_id).in_(chunk), Enrollment.status == "enrolled")).all():
            spans[e.schedule_id].append((e.start_date, e.end_date))
    classes: dict[str, tuple[ClassSchedule, list[SessionAttendance]]] = {}
    for sess, sched in rows:
        count = marks[sess.id]
        enrolled = sum(1 for a, b in spans[sched.id] if a <= sess.date and (b is None or b >= sess.date))
        classes.setdefault(sched.id, (sched, []))[1].append(SessionAttendance(
            date=sess.date, starts_at=local(sess.starts_at, zone), cancelled=sess.cancelled, enrolled=enrolled,
            present=count["present"], late=count["late"], absent=count["absent"], checked_in=checked[sess.id]))
    return AttendanceByClass(
        location_name=location.name, timezone=location.timezone, start=start, end=end,
        classes=tuple(ClassAttendance(sched.id, sched.name, sched.level, sched.coach, tuple(found))
                      for sched, found in classes.values()),
    )


def student_history(s: Session, student_id: str, start: dt.date, end: dt.date) -> StudentHistory:
    """Every session in the range the student was enrolled in, marked in or checked into."""
    student = s.get(Student, student_id)
    if student is None:
        raise NotFound(f"no student {student_id}")
    family = s.get(Family, student.family_id)
    marks = dict(s.exec(select(Attendance.session_id, Attendance.status).where(Attendance.student_id == student_id)).all())
    checked = set(s.exec(select(CheckIn.session_id).where(CheckIn.student_id == student_id)).all())
    enrollments = s.exec(select(Enrollment).where(Enrollment.student_id == student_id, Enrollment.status == "enrolled")).all()
    spans: dict[str, list[tuple[dt.date, dt.date | None]]] = defaultdict(list)
    for e in enrollments:
        spans[e.schedule_id].append((e.start_date, e.end_date))
    wanted = (col(ClassSession.schedule_id).in_(list(spans)) | col(ClassSession.id).in_(list(set(marks) | checked)))
    rows = s.exec(
        select(ClassSession, ClassSchedule, Location)
        .join(ClassSchedule, col(ClassSchedule.id) == ClassSession.schedule_id)
        .join(Location, col(Location.id) == ClassSession.location_id)
        .where(wanted, col(ClassSession.date) >= start, col(ClassSession.date) <= end)
        .order_by(col(ClassSession.starts_at))
    ).all()
    out = []
    zones: dict[str, ZoneInfo] = {}
    for sess, sched, loc in rows:
        enrolled = any(a <= sess.date and (b is None or b >= sess.date) for a, b in spans.get(sched.id, ()))
        if not (enrolled or sess.id in marks or sess.id in checked):
            continue  # a session of a class the student had left, or not yet joined
        out.append(HistoryRow(date=sess.date, starts_at=local(sess.starts_at, zones.setdefault(loc.id, ZoneInfo(loc.timezone))), class_name=sched.name,
                              location_name=loc.name, status=marks.get(sess.id), checked_in=sess.id in checked,
                              cancelled=sess.cancelled))
    return StudentHistory(f"{student.first_name} {student.last_name}", family.name if family else "", start, end, tuple(out))


@dataclass(frozen=True)
class EnrollmentRow:
    class_name: str
    level: str
    location_name: str
    weekday: int  # 0 = Monday
    start_time: dt.time
    start_date: dt.date
    end_date: dt.date | None  # None: still enrolled


@dataclass(frozen=True)
class EnrollmentHistory:
    student_name: str
    family_name: str
    rows: tuple[EnrollmentRow, ...]  # oldest start first


def enrollment_history(s: Session, student_id: str) -> EnrollmentHistory:
    """Every class the student was ever enrolled in, when they joined and left."""
    student = s.get(Student, student_id)
    if student is None:
        raise NotFound(f"no student {student_id}")
    family = s.get(Family, student.family_id)
    rows = s.exec(
        select(Enrollment, ClassSchedule, Location)
        .join(ClassSchedule, col(ClassSchedule.id) == Enrollment.schedule_id)
        .join(Location, col(Location.id) == ClassSchedule.location_id)
        .where(Enrollment.student_id == student_id, Enrollment.status == "enrolled")
        .order_by(col(Enrollment.start_date), col(ClassSchedule.name))
    ).all()
    return EnrollmentHistory(
        f"{student.first_name} {student.last_name}", family.name if family else "",
        tuple(EnrollmentRow(sched.name, sched.level, loc.name, sched.weekday, sched.start_time, e.start_date, e.end_date)
              for e, sched, loc in rows),
    )  # fmt: skip


def _chunks(ids: list[str], size: int = 500) -> list[list[str]]:
    """SQLite caps bound parameters; a year of sessions is more than one IN list should carry."""
    return [ids[i : i + size] for i in range(0, len(ids), size)]
