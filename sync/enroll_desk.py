"""EnrollDesk: what the desk's enroll, drop, transfer and class views ask and record (no Qt here).

    desk = EnrollDesk(store)
    choice = desk.choice(class_id)             # days, time, instructor, capacity, places left
    try:
        await desk.enroll(student_id, class_id)  # from the class's next session
    except ClassFull as full:
        await desk.join_waitlist(student_id, class_id)  # or enroll(..., overfill_reason=...)

Reads are the cache (offline too); changes go through the outbox as sync.core.enrollment_mutations,
applied here at once by the applier the server runs. The server's order has the last word: an
enroll that lost the last place to another desk comes back waitlisted, under "needs attention".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session, col, select

from sync import db
from sync.core.class_times import meetings_of, times_words
from sync.core.clock import local_now
from sync.core.enrollment_mutations import (
    DROP,
    ENROLL,
    TRANSFER,
    WAITLIST_ENROLL,
    WAITLIST_KEEP,
    WAITLIST_PASS,
    most_taken_from,
    waiting,
)
from sync.errors import RejectedError
from sync.core.ids import new_id
from sync.core.schema import ClassSchedule, ClassSession, Enrollment, Location, Student
from sync.store import DeskStore


class ClassFull(RejectedError):
    """The class has no place from that date: offer the waitlist (or, with the permission, overfill)."""

    def __init__(self, message: str):
        super().__init__(message, code="full")


@dataclass(frozen=True)
class ClassChoice:
    """A class as the enroll and transfer dialogs show it."""

    id: str
    name: str
    level: str
    when: str  # "Tue 4:00 PM (60 min)"
    instructor: str
    capacity: int
    start: dt.date  # the date counted from (the next session by default)
    places_left: int  # from `start` on, in its fullest session
    waiting: int
    ages: str

    @property
    def words(self) -> str:
        left = f"{self.places_left} of {self.capacity} places left" if self.places_left > 0 else f"full ({self.capacity})"
        wait = f", {self.waiting} waiting" if self.waiting else ""
        who = f" with {self.instructor}" if self.instructor else ""
        return f"{self.name}: {self.when}{who}; {left}{wait}"


@dataclass(frozen=True)
class Member:
    """A student in a class view: enrolled, or waiting in order."""

    enrollment_id: str
    student_id: str
    name: str
    start_date: dt.date
    end_date: dt.date | None
    status: str  # enrolled | waitlist | offered
    note: str  # "starts Nov 24", "last day Dec 1", "over capacity: sibling", "place offered"


@dataclass(frozen=True)
class ClassView:
    choice: ClassChoice
    enrolled: tuple[Member, ...]
    waitlist: tuple[Member, ...]  # in order; an offered place first if any


class EnrollDesk:
    def __init__(self, store: DeskStore):
        self.store = store

    # -- reads ------------------------------------------------------------------------------------
    def next_session(self, class_id: str, today: dt.date | None = None) -> dt.date:
        """The class's next session date not cancelled, from today (its planned sessions, else its weekdays)."""
        with db.read_session(self.store.cache.engine) as s:
            return _next_session(s, class_id, today or self._today(s, _cls(s, class_id).location_id))

    def choice(self, class_id: str, start: dt.date | None = None) -> ClassChoice:
        with db.read_session(self.store.cache.engine) as s:
            cls = _cls(s, class_id)
            start = start or _next_session(s, class_id, self._today(s, cls.location_id))
            return _choice(s, cls, start)

    def choices(self, location_id: str, start: dt.date | None = None) -> list[ClassChoice]:
        """Every active class of a location (to enroll or transfer into), by name."""
        with db.read_session(self.store.cache.engine) as s:
            today = self._today(s, location_id)
            rows = s.exec(select(ClassSchedule).where(ClassSchedule.location_id == location_id, ClassSchedule.active == True)
                          .order_by(col(ClassSchedule.name))).all()  # fmt: skip
            return [_choice(s, c, start or _next_session(s, c.id, today)) for c in rows]

    def class_view(self, class_id: str, day: dt.date | None = None) -> ClassView:
        """Enrolled on `day` or later (today by default), open places, and the waitlist in order."""
        with db.read_session(self.store.cache.engine) as s:
            cls = _cls(s, class_id)
            day = day or self._today(s, cls.location_id)
            rows = s.exec(select(Enrollment).where(Enrollment.schedule_id == class_id, Enrollment.status == "enrolled",
                                                   )).all()  # fmt: skip
            current = [e for e in rows if e.end_date is None or e.end_date >= day]
            enrolled = tuple(sorted((_member(s, e, day) for e in current), key=lambda m: m.name))
            queue = tuple(_member(s, e, day) for e in waiting(s, class_id))
            return ClassView(_choice(s, cls, _next_session(s, class_id, day)), enrolled, queue)

    def enrollments_of(self, student_id: str, day: dt.date | None = None) -> list[tuple[Member, ClassChoice]]:
        """A student's current and coming classes and waitlists (the card's Classes list)."""
        with db.read_session(self.store.cache.engine) as s:
            rows = s.exec(select(Enrollment).where(Enrollment.student_id == student_id,
                                                   col(Enrollment.status).in_(("enrolled", "waitlist", "offered")))).all()  # fmt: skip
            out = []
            for e in rows:
                cls = s.get(ClassSchedule, e.schedule_id)
                if cls is None:
                    continue
                on = day or self._today(s, cls.location_id)
                if e.end_date is not None and e.end_date < on:
                    continue
                out.append((_member(s, e, on), _choice(s, cls, max(on, e.start_date))))
            return sorted(out, key=lambda pair: (pair[0].status != "enrolled", pair[1].name))

    def warnings(self, student_id: str, class_id: str, on: dt.date | None = None) -> list[str]:
        """Why this child may not fit the class (a warning, never a block): age outside its range."""
        with db.read_session(self.store.cache.engine) as s:
            student, cls = s.get(Student, student_id), _cls(s, class_id)
            on = on or self._today(s, cls.location_id)
            if student is None or student.birth_date is None or (cls.age_min is None and cls.age_max is None):
                return []
            b = student.birth_date
            age = on.year - b.year - ((on.month, on.day) < (b.month, b.day))
            if (cls.age_min is not None and age < cls.age_min) or (cls.age_max is not None and age > cls.age_max):
                return [f"{student.first_name} is {age}; {cls.name} is for ages {_ages(cls)}."]
            return []

    def _today(self, s: Session, location_id: str) -> dt.date:
        """Today on the location's clock: a start "next Monday" is the school's Monday, not UTC's."""
        location = s.get(Location, location_id)
        return local_now(self.store.clock, location.timezone if location is not None else "UTC").date()

    # -- changes (the outbox, offline too) --------------------------------------------------------
    async def enroll(self, student_id: str, class_id: str, start: dt.date | None = None, *,
                     overfill_reason: str = "") -> str:  # fmt: skip
        """Enroll from `start` (the next session by default); returns the enrollment's id. ClassFull
        when this desk sees no place (nothing recorded): offer the waitlist, or overfill with a reason."""
        start = start or self.next_session(class_id)
        self._room_or_raise(class_id, start, overfill_reason)
        enrollment_id = new_id()
        await self.store.record(ENROLL, {"enrollment_id": enrollment_id, "student_id": student_id, "class_id": class_id,
                                         "start_date": start.isoformat(), "overfill_reason": overfill_reason})  # fmt: skip
        return enrollment_id

    async def join_waitlist(self, student_id: str, class_id: str, start: dt.date | None = None) -> str:
        start = start or self.next_session(class_id)
        enrollment_id = new_id()
        await self.store.record(ENROLL, {"enrollment_id": enrollment_id, "student_id": student_id, "class_id": class_id,
                                         "start_date": start.isoformat(), "waitlist": True})  # fmt: skip
        return enrollment_id

    async def drop(self, enrollment_id: str, last_date: dt.date, reason: str = "") -> None:
        was = self._row(enrollment_id)
        await self.store.record(DROP, {"enrollment_id": enrollment_id, "last_date": last_date.isoformat(), "reason": reason,
                                       "was_end_date": _iso(was.end_date if was else None)})  # fmt: skip

    async def transfer(self, enrollment_id: str, class_id: str, date: dt.date | None = None, *,
                       overfill_reason: str = "", reason: str = "") -> str:  # fmt: skip
        """One step: the old class ends the day before `date`, the new one starts on it. ClassFull
        when the new class has no place (nothing recorded: the child stays where they are)."""
        date = date or self.next_session(class_id)
        self._room_or_raise(class_id, date, overfill_reason)
        new, was = new_id(), self._row(enrollment_id)
        await self.store.record(TRANSFER, {"enrollment_id": enrollment_id, "new_enrollment_id": new, "class_id": class_id,
                                           "date": date.isoformat(), "overfill_reason": overfill_reason, "reason": reason,
                                           "was_end_date": _iso(was.end_date if was else None)})  # fmt: skip
        return new

    async def enroll_from_waitlist(self, enrollment_id: str, start: dt.date | None = None, *, overfill_reason: str = "") -> None:
        row = self._row(enrollment_id)
        if row is None or row.status not in ("waitlist", "offered"):
            raise RejectedError("This student is no longer on the waitlist; nothing was changed.")
        start = start or row.start_date
        await self.store.record(WAITLIST_ENROLL, {"enrollment_id": enrollment_id, "start_date": start.isoformat(),
                                                  "overfill_reason": overfill_reason, "was_status": row.status,
                                                  "was_start_date": row.start_date.isoformat()})  # fmt: skip

    async def pass_place(self, enrollment_id: str, reason: str = "") -> None:
        """Off the waitlist (the family declined): the place goes to the next one waiting."""
        row = self._row(enrollment_id)
        if row is None or row.status not in ("waitlist", "offered"):
            raise RejectedError("This student is no longer on the waitlist; nothing was changed.")
        await self.store.record(WAITLIST_PASS, {"enrollment_id": enrollment_id, "reason": reason, "was_status": row.status})

    async def keep_waiting(self, enrollment_id: str) -> None:
        """The family was told they are on the waitlist: it leaves "needs attention"."""
        await self.store.record(WAITLIST_KEEP, {"enrollment_id": enrollment_id})

    def _row(self, enrollment_id: str) -> Enrollment | None:
        with db.read_session(self.store.cache.engine) as s:
            return s.get(Enrollment, enrollment_id)

    def _room_or_raise(self, class_id: str, start: dt.date, overfill_reason: str) -> None:
        if overfill_reason.strip():
            return
        c = self.choice(class_id, start)
        if c.places_left <= 0:
            raise ClassFull(f"{c.name} is full from {start:%a %b} {start.day} ({c.capacity} places). "
                            "Put the student on the waitlist instead?")  # fmt: skip


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day is not None else None


def _cls(s: Session, class_id: str) -> ClassSchedule:
    cls = s.get(ClassSchedule, class_id)
    if cls is None:
        raise LookupError(class_id)
    return cls


def _next_session(s: Session, class_id: str, today: dt.date) -> dt.date:
    session = s.exec(select(ClassSession).where(ClassSession.schedule_id == class_id, ClassSession.cancelled == False,
                                                col(ClassSession.date) >= today)
                     .order_by(col(ClassSession.date))).first()  # fmt: skip
    if session is not None:
        return session.date
    weekdays = {m.weekday for m in meetings_of(_cls(s, class_id))}
    return next(today + dt.timedelta(days=i) for i in range(8) if (today + dt.timedelta(days=i)).weekday() in weekdays)


def _choice(s: Session, cls: ClassSchedule, start: dt.date) -> ClassChoice:
    taken, _ = most_taken_from(s, cls, start)
    return ClassChoice(cls.id, cls.name, cls.level, times_words(meetings_of(cls)), cls.coach, cls.capacity, start,
                       cls.capacity - taken, len(waiting(s, cls.id)), _ages(cls))  # fmt: skip


def _ages(cls: ClassSchedule) -> str:
    if cls.age_min is None and cls.age_max is None:
        return "all ages"
    if cls.age_max is None:
        return f"{cls.age_min}+"
    return f"{cls.age_min or 0}–{cls.age_max}"


def _member(s: Session, e: Enrollment, day: dt.date) -> Member:
    student = s.get(Student, e.student_id)
    name = f"{student.first_name} {student.last_name}" if student is not None else "(not on file)"
    notes = []
    if e.status == "offered":
        notes.append("place offered: call the family")
    elif e.status == "waitlist":
        notes.append("waiting" if e.usn is not None else "waiting (not sent yet)")
    if e.status == "enrolled" and e.start_date > day:
        notes.append(f"starts {e.start_date:%b} {e.start_date.day}")
    if e.end_date is not None:
        notes.append(f"last day {e.end_date:%b} {e.end_date.day}")
    if e.overfill_reason:
        notes.append(f"over capacity: {e.overfill_reason}")
    return Member(e.id, e.student_id, name, e.start_date, e.end_date, e.status, "; ".join(notes))
