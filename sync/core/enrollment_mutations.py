"""Enroll, drop, transfer, and the waitlist: changes through the outbox, one applier on both sides.

Places are counted per session: an enrollment takes a place in every meeting of its class from
its start date to its last date, so a child starting next week does not take this week's place.
A class is full from a date when some meeting on or after it already has `capacity` students
(enrolled, or holding an offered place).

The server's order decides who gets the last place. An enroll that finds the class full joins the
waitlist instead (its `asked` stays "enrolled", so the desks say so under "needs attention"),
unless it carries an overfill reason (a permission of its own, checked and audited by the server).
A transfer into a full class is refused whole: the child stays where they were.

When a place opens (a drop, a transfer out, a pass, a capacity raised) the first waiting students
that fit are *offered* it (status "offered", the place held for them): nobody is enrolled until a
person enrolls them (`waitlist.enroll`) or passes to the next (`waitlist.pass`).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session, col, select

from sync.core.class_times import meetings_of
from sync.core.edit_mutations import NextUsn
from sync.core.rejections import Rejected
from sync.core.schema import ClassSchedule, Enrollment, Student, SyncedRecord

Id = Annotated[str, Field(min_length=1, max_length=36)]
Reason = Annotated[str, Field(max_length=300)]

ENROLL = "enrollment.add"
DROP = "enrollment.drop"
TRANSFER = "enrollment.transfer"
WAITLIST_ENROLL = "waitlist.enroll"  # a waiting (or offered) student given the place
WAITLIST_PASS = "waitlist.pass"  # off the waitlist: the family declined, or did not answer
WAITLIST_KEEP = "waitlist.keep"  # the family was told they are waiting: no longer needs attention

HOLDS_PLACE = ("enrolled", "offered")
WAITING = ("waitlist", "offered")


class _Payload(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EnrollPayload(_Payload):
    enrollment_id: Id
    student_id: Id
    class_id: Id
    start_date: dt.date
    waitlist: bool = False  # asked for the waitlist (the desk saw the class full)
    overfill_reason: Reason = ""  # enroll even when full (permission: enrollment.overfill)


class DropPayload(_Payload):
    enrollment_id: Id
    last_date: dt.date  # the last day they come; before the start date: they never start
    reason: Reason = ""
    was_end_date: dt.date | None = None  # as the desk saw it: a refused drop puts it back


class TransferPayload(_Payload):
    enrollment_id: Id  # the enrollment left
    new_enrollment_id: Id
    class_id: Id  # the class joined
    date: dt.date  # first day in the new class; the old one ends the day before
    overfill_reason: Reason = ""
    reason: Reason = ""
    was_end_date: dt.date | None = None  # the old enrollment as the desk saw it (a refusal puts it back)


class WaitlistEnrollPayload(_Payload):
    enrollment_id: Id
    start_date: dt.date
    overfill_reason: Reason = ""
    was_status: Literal["waitlist", "offered"] = "waitlist"  # a refusal puts them back in line
    was_start_date: dt.date | None = None


class WaitlistPassPayload(_Payload):
    enrollment_id: Id
    reason: Reason = ""
    was_status: Literal["waitlist", "offered"] = "waitlist"


class WaitlistKeepPayload(_Payload):
    enrollment_id: Id


PAYLOADS: dict[str, type[BaseModel]] = {
    ENROLL: EnrollPayload,
    DROP: DropPayload,
    TRANSFER: TransferPayload,
    WAITLIST_ENROLL: WaitlistEnrollPayload,
    WAITLIST_PASS: WaitlistPassPayload,
    WAITLIST_KEEP: WaitlistKeepPayload,
}


def wants_overfill(mutation_type: str, payload: dict) -> bool:
    """Whether a change asks to go over capacity (the server then checks the overfill permission)."""
    return mutation_type in (ENROLL, TRANSFER, WAITLIST_ENROLL) and bool(str(payload.get("overfill_reason", "")).strip())


# -- counting places ------------------------------------------------------------------------------


def _next_meeting(cls: ClassSchedule, day: dt.date) -> dt.date | None:
    weekdays = {m.weekday for m in meetings_of(cls)}
    for i in range(7):
        d = day + dt.timedelta(days=i)
        if d.weekday() in weekdays:
            return None if cls.term_end is not None and d > cls.term_end else d
    return None


def _holders(db: Session, class_id: str, exclude: str | None = None) -> list[Enrollment]:
    rows = db.exec(select(Enrollment).where(Enrollment.schedule_id == class_id, col(Enrollment.status).in_(HOLDS_PLACE))).all()
    return [r for r in rows if r.id != exclude]


def _active(e: Enrollment, day: dt.date) -> bool:
    return e.start_date <= day and (e.end_date is None or e.end_date >= day)


def taken_on(db: Session, class_id: str, day: dt.date, exclude: str | None = None) -> int:
    """Places taken in the class's meeting on `day` (enrolled students and held offers)."""
    return sum(1 for e in _holders(db, class_id, exclude) if _active(e, day))


def most_taken_from(db: Session, cls: ClassSchedule, start: dt.date, exclude: str | None = None) -> tuple[int, dt.date | None]:
    """The fullest meeting from `start` on: (places taken, its date). Counts only change where an
    enrollment starts, so the meetings right after those dates are the only ones to look at."""
    holders = _holders(db, cls.id, exclude)
    points = sorted({start} | {e.start_date for e in holders if e.start_date > start})
    best, when = 0, None
    for p in points:
        day = _next_meeting(cls, p)
        if day is None:
            continue
        n = sum(1 for e in holders if _active(e, day))
        if when is None or n > best:
            best, when = n, day
    return best, when


def places_left(db: Session, cls: ClassSchedule, start: dt.date, exclude: str | None = None) -> int:
    """Places a new student starting on `start` would find (negative: already over capacity)."""
    return cls.capacity - most_taken_from(db, cls, start, exclude)[0]


# -- the applier ----------------------------------------------------------------------------------


def apply_enrollment(db: Session, mutation_type: str, payload: BaseModel, staff_id: str, next_usn: NextUsn) -> list[SyncedRecord]:
    if isinstance(payload, EnrollPayload):
        if db.get(Enrollment, payload.enrollment_id) is not None:
            return []  # pushed again, or re-applied over the pull that brought it
        _student(db, payload.student_id)
        cls = _class(db, payload.class_id)
        row = Enrollment(id=payload.enrollment_id, student_id=payload.student_id, schedule_id=cls.id,
                         start_date=payload.start_date, asked="waitlist" if payload.waitlist else "enrolled",
                         staff_id=staff_id)  # fmt: skip
        if payload.waitlist:
            _queue(row, next_usn)
        else:
            _place(db, cls, row, payload.overfill_reason, next_usn, refuse=False)
        row.usn = next_usn()
        db.add(row)
        return [row]
    if isinstance(payload, DropPayload):
        row = _enrollment(db, payload.enrollment_id)
        if row.status != "enrolled":
            raise Rejected("invalid", "This student is not enrolled in that class (only waiting); nothing was dropped.")
        last = max(payload.last_date, row.start_date - dt.timedelta(days=1))
        if row.end_date is not None and row.end_date <= last:
            return []  # already dropped on or before that day
        row.end_date, row.drop_reason, row.staff_id = last, payload.reason.strip(), staff_id
        row.usn = next_usn()
        db.add(row)
        return [row, *offer_places(db, row.schedule_id, last + dt.timedelta(days=1), staff_id, next_usn)]
    if isinstance(payload, TransferPayload):
        if db.get(Enrollment, payload.new_enrollment_id) is not None:
            return []
        old = _enrollment(db, payload.enrollment_id)
        if old.status != "enrolled" or (old.end_date is not None and old.end_date < payload.date):
            raise Rejected("invalid", "This student is no longer in that class on that day; nothing was moved.")
        if old.schedule_id == payload.class_id:
            raise Rejected("invalid", "The student is already in that class; nothing was moved.")
        cls = _class(db, payload.class_id)
        new = Enrollment(id=payload.new_enrollment_id, student_id=old.student_id, schedule_id=cls.id,
                         start_date=payload.date, staff_id=staff_id)  # fmt: skip
        _place(db, cls, new, payload.overfill_reason, next_usn, refuse=True)
        new.usn = next_usn()
        old.end_date = max(payload.date - dt.timedelta(days=1), old.start_date - dt.timedelta(days=1))
        old.drop_reason = payload.reason.strip() or f"Moved to {cls.name}"
        old.staff_id = staff_id
        old.usn = next_usn()
        db.add_all([old, new])
        return [new, old, *offer_places(db, old.schedule_id, payload.date, staff_id, next_usn)]
    if isinstance(payload, WaitlistEnrollPayload):
        row = _enrollment(db, payload.enrollment_id)
        if row.status == "enrolled":
            return []
        if row.status not in WAITING:
            raise Rejected("invalid", "This student is no longer on the waitlist; nothing was changed.")
        row.start_date, row.staff_id = payload.start_date, staff_id
        _place(db, _class(db, row.schedule_id), row, payload.overfill_reason, next_usn, refuse=True)
        row.usn = next_usn()
        db.add(row)
        return [row]
    if isinstance(payload, WaitlistPassPayload):
        row = _enrollment(db, payload.enrollment_id)
        if row.status == "passed":
            return []
        if row.status not in WAITING:
            raise Rejected("invalid", "This student is not on the waitlist; nothing was changed.")
        row.status, row.drop_reason, row.staff_id = "passed", payload.reason.strip(), staff_id
        row.usn = next_usn()
        db.add(row)
        return [row, *offer_places(db, row.schedule_id, None, staff_id, next_usn)]
    if isinstance(payload, WaitlistKeepPayload):
        row = _enrollment(db, payload.enrollment_id)
        if row.asked == "waitlist":
            return []
        row.asked, row.usn = "waitlist", next_usn()
        db.add(row)
        return [row]
    raise AssertionError(mutation_type)


def _place(db: Session, cls: ClassSchedule, row: Enrollment, overfill: str, next_usn: NextUsn, *, refuse: bool) -> None:
    """Give `row` its place, over capacity only with a reason; when full, refuse or queue it."""
    left = places_left(db, cls, row.start_date, exclude=row.id)
    if left > 0:
        row.status, row.overfill_reason = "enrolled", ""
        return
    if overfill.strip():
        row.status, row.overfill_reason = "enrolled", overfill.strip()
        return
    if refuse:
        raise Rejected("full", f"{cls.name} is full from {row.start_date:%b} {row.start_date.day}; nothing was changed. "
                                "Offer the waitlist instead.")  # fmt: skip
    _queue(row, next_usn)


def _queue(row: Enrollment, next_usn: NextUsn) -> None:
    row.status = "waitlist"
    row.queued_usn = next_usn()  # the server's order is the waitlist's order; None on a desk until it lands


def waiting(db: Session, class_id: str) -> list[Enrollment]:
    """The class's waitlist in order: the server's order, then this desk's unsent ones by id (time)."""
    rows = db.exec(select(Enrollment).where(Enrollment.schedule_id == class_id, col(Enrollment.status).in_(WAITING))).all()
    return sorted(rows, key=lambda r: (r.queued_usn is None, r.queued_usn or 0, r.id))


def offer_places(db: Session, class_id: str, opened: dt.date | None, staff_id: str, next_usn: NextUsn) -> list[Enrollment]:
    """Offer the places now open to the first waiting students they fit, in order (held, not enrolled)."""
    cls = db.get(ClassSchedule, class_id)
    if cls is None:
        return []
    offered = []
    for row in waiting(db, class_id):
        if row.status == "offered":
            continue
        start = _first_open_day(db, cls, max(row.start_date, opened) if opened is not None else row.start_date, row.id)
        if start is None:
            break  # strictly in order: the first in line is offered first, nobody jumps them
        row.status, row.start_date, row.staff_id = "offered", start, staff_id
        row.usn = next_usn()
        db.add(row)
        db.flush()
        offered.append(row)
    return offered


def _first_open_day(db: Session, cls: ClassSchedule, start: dt.date, exclude: str) -> dt.date | None:
    """The first day from `start` with a place from then on: `start`, or the day after a place frees."""
    ends = {e.end_date + dt.timedelta(days=1) for e in _holders(db, cls.id, exclude) if e.end_date is not None}
    for day in sorted({start} | {d for d in ends if d > start}):
        if places_left(db, cls, day, exclude=exclude) > 0:
            return day
    return None


def _student(db: Session, student_id: str) -> Student:
    student = db.get(Student, student_id)
    if student is None:
        raise Rejected("not_found", "This student is no longer on file; nothing was enrolled.")
    return student


def _class(db: Session, class_id: str) -> ClassSchedule:
    cls = db.get(ClassSchedule, class_id)
    if cls is None or not cls.active:
        raise Rejected("not_found", "This class is no longer on the schedule; nothing was enrolled.")
    return cls


def _enrollment(db: Session, enrollment_id: str) -> Enrollment:
    row = db.get(Enrollment, enrollment_id)
    if row is None:
        raise Rejected("not_found", "This enrollment is no longer on file; nothing was changed.")
    return row


def undo_local(db: Session, payload: BaseModel) -> None:
    """The server refused an enrollment change: take back what it showed here (rows still
    unconfirmed), as the desk saw them before; places it offered here go back to waiting."""
    new = {EnrollPayload: "enrollment_id", TransferPayload: "new_enrollment_id"}.get(type(payload))
    if new is not None:
        row = db.get(Enrollment, getattr(payload, new))
        if row is not None and row.usn is None:
            db.delete(row)
    row = db.get(Enrollment, getattr(payload, "enrollment_id", ""))
    if row is not None and row.usn is None and not isinstance(payload, EnrollPayload):
        if isinstance(payload, (DropPayload, TransferPayload)):
            row.end_date, row.drop_reason = payload.was_end_date, ""
        elif isinstance(payload, WaitlistEnrollPayload):
            row.status = payload.was_status
            row.start_date = payload.was_start_date or row.start_date
        elif isinstance(payload, WaitlistPassPayload):
            row.status = payload.was_status
        elif isinstance(payload, WaitlistKeepPayload):
            row.asked = "enrolled"
        db.add(row)
        for offered in db.exec(select(Enrollment).where(Enrollment.schedule_id == row.schedule_id,
                                                        Enrollment.status == "offered")).all():  # fmt: skip
            if offered.usn is None and offered.id != row.id:
                offered.status = "waitlist"
                db.add(offered)
