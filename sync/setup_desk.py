"""SetUpDesk: what the desk's Set-up screens and week view may ask and record (no Qt here).

    setup = SetUpDesk(store)
    loc = await setup.add("location", name="Downtown", code="DT", timezone="America/Chicago")
    cls = await setup.add("class", location_id=loc, name="Level 1", times="1 16:00 60;3 16:00 60")
    await setup.update("class", cls, capacity=16)
    week = setup.week(loc, age=6, weekday=1)

Every change goes through the store's outbox (offline too) as a set-up mutation
(sync.core.setup_mutations), applied to the cache at once by the same applier the server runs; a
refusal comes back as RejectedError with the applier's words and writes nothing. Sessions are
planned by the server: a class added offline gets its sessions at the next sync.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlmodel import col, or_, select

from sync import db
from sync.core.class_times import Meeting, meetings_of, times_words
from sync.core.ids import new_id
from sync.core.schema import (
    ClassSchedule,
    ClassSession,
    Closure,
    Enrollment,
    Location,
    Program,
    Room,
    Staff,
)
from sync.core.setup_mutations import families_enrolled
from sync.store import DeskStore

KINDS = ("location", "room", "program", "class", "closure")
_BELONGS_TO_LOCATION = ("room", "class", "closure")


@dataclass(frozen=True)
class ClassRow:
    """A class as the set-up list and the week view show it."""

    id: str
    name: str
    location_id: str
    program_id: str | None
    program: str
    room_id: str | None
    room: str
    level: str
    times: str  # stored form (sync.core.class_times)
    when: str  # in words: "Mon, Wed 4:00 PM (60 min)"
    meetings: tuple[Meeting, ...]
    age_min: int | None
    age_max: int | None
    term_start: dt.date | None
    term_end: dt.date | None
    capacity: int
    enrolled: int
    instructor_ids: tuple[str, ...]
    coach: str
    tuition_cents: int
    active: bool

    @property
    def ages(self) -> str:
        if self.age_min is None and self.age_max is None:
            return "all ages"
        if self.age_max is None:
            return f"{self.age_min}+"
        return f"{self.age_min or 0}–{self.age_max}"

    def fits_age(self, age: int) -> bool:
        return (self.age_min is None or self.age_min <= age) and (self.age_max is None or age <= self.age_max)


@dataclass(frozen=True)
class WeekEntry:
    """One meeting of a class in the week view: a cell of the grid."""

    weekday: int
    start: dt.time
    minutes: int
    cls: ClassRow


@dataclass(frozen=True)
class CancelledSession:
    session_id: str
    date: dt.date
    class_name: str
    note: str
    families: tuple[str, ...]  # "Lee (312) 555-0101": whom to call


class SetUpDesk:
    def __init__(self, store: DeskStore):
        self.store = store

    # -- reads (the cache, at once, offline too) --------------------------------------------------
    def locations(self, *, all: bool = False) -> list[Location]:
        with db.read_session(self.store.cache.engine) as s:
            rows = s.exec(select(Location).order_by(col(Location.name))).all()
            return [r for r in rows if all or r.active]

    def rooms(self, location_id: str | None = None) -> list[Room]:
        with db.read_session(self.store.cache.engine) as s:
            q = select(Room).order_by(col(Room.name))
            if location_id is not None:
                q = q.where(Room.location_id == location_id)
            return list(s.exec(q).all())

    def programs(self) -> list[Program]:
        with db.read_session(self.store.cache.engine) as s:
            return list(s.exec(select(Program).order_by(col(Program.name))).all())

    def closures(self, location_id: str | None = None) -> list[Closure]:
        with db.read_session(self.store.cache.engine) as s:
            q = select(Closure).order_by(col(Closure.start_date))
            if location_id is not None:
                q = q.where(Closure.location_id == location_id)
            return list(s.exec(q).all())

    def instructors(self) -> list[Staff]:
        """Staff who may be named on a class (every active staff member but kiosks)."""
        with db.read_session(self.store.cache.engine) as s:
            rows = s.exec(select(Staff).where(Staff.active == True).order_by(col(Staff.display_name))).all()
            return [r for r in rows if r.group != "kiosk"]

    def classes(self, location_id: str | None = None, *, today: dt.date | None = None) -> list[ClassRow]:
        """Classes (at a location), by name; `enrolled` counts enrollments current on `today`."""
        today = today or self.store.clock.now().astimezone().date()  # without a location: this computer's day
        with db.read_session(self.store.cache.engine) as s:
            q = select(ClassSchedule).order_by(col(ClassSchedule.name))
            if location_id is not None:
                q = q.where(ClassSchedule.location_id == location_id)
            schedules = s.exec(q).all()
            programs = {p.id: p.name for p in s.exec(select(Program)).all()}
            rooms = {r.id: r.name for r in s.exec(select(Room)).all()}
            counts: dict[str, int] = {}
            for schedule_id in s.exec(select(Enrollment.schedule_id).where(
                    Enrollment.status == "enrolled", col(Enrollment.start_date) <= today,
                    or_(col(Enrollment.end_date).is_(None), col(Enrollment.end_date) >= today))).all():  # fmt: skip
                counts[schedule_id] = counts.get(schedule_id, 0) + 1
            return [_row(c, programs, rooms, counts.get(c.id, 0)) for c in schedules]

    def week(self, location_id: str, *, age: int | None = None, weekday: int | None = None,
             text: str = "", today: dt.date | None = None) -> list[WeekEntry]:  # fmt: skip
        """A location's active classes as meetings of the week, by day then time: what is on for
        a child of `age` on `weekday` (either may be None: any), names matching `text`."""
        words = text.casefold().split()
        out = []
        for c in self.classes(location_id, today=today):
            if not c.active or (age is not None and not c.fits_age(age)):
                continue
            if today is not None and c.term_end is not None and c.term_end < today:
                continue
            hay = f"{c.name} {c.program} {c.level} {c.coach} {c.room}".casefold()
            if not all(w in hay for w in words):
                continue
            out += [WeekEntry(m.weekday, m.start, m.minutes, c) for m in c.meetings if weekday is None or m.weekday == weekday]
        return sorted(out, key=lambda e: (e.weekday, e.start, e.cls.name))

    def sessions_of(self, schedule_id: str, start: dt.date, days: int = 28) -> list[ClassSession]:
        """A class's sessions from `start` (by their planned or moved date), for cancelling or moving one."""
        end = start + dt.timedelta(days=days)
        with db.read_session(self.store.cache.engine) as s:
            return list(s.exec(select(ClassSession).where(
                ClassSession.schedule_id == schedule_id, col(ClassSession.date) >= start, col(ClassSession.date) <= end)
                .order_by(col(ClassSession.starts_at))).all())  # fmt: skip

    def cancelled_sessions(self, location_id: str, start: dt.date, end: dt.date) -> list[CancelledSession]:
        """Cancelled sessions between two dates with the families to call (a closure's effect)."""
        with db.read_session(self.store.cache.engine) as s:
            rows = s.exec(select(ClassSession, ClassSchedule).join(ClassSchedule, col(ClassSchedule.id) == col(ClassSession.schedule_id))
                          .where(ClassSession.location_id == location_id, ClassSession.cancelled == True,
                                 col(ClassSession.date) >= start, col(ClassSession.date) <= end)
                          .order_by(col(ClassSession.starts_at))).all()  # fmt: skip
            return [CancelledSession(session.id, session.date, schedule.name, session.note,
                                     families_enrolled(s, schedule.id, session.date)) for session, schedule in rows]

    # -- changes (the outbox, offline too) --------------------------------------------------------
    async def add(self, kind: str, *, location_id: str | None = None, **fields: Any) -> str:
        """A new location, room, program, class or closure; returns its id. RejectedError in words."""
        if kind not in KINDS:
            raise ValueError(kind)
        record_id = new_id()
        payload: dict[str, Any] = {"id": record_id, "fields": _wire(fields)}
        if kind in _BELONGS_TO_LOCATION:
            payload["location_id"] = location_id
        await self.store.record(f"{kind}.add", payload)
        return record_id

    async def update(self, kind: str, record_id: str, **changes: Any) -> None:
        """Only the fields that changed (last writer wins per field on the server)."""
        if kind not in KINDS:
            raise ValueError(kind)
        await self.store.record(f"{kind}.update", {"id": record_id, "changes": _wire(changes)})

    async def change_session(self, session_id: str, **changes: Any) -> None:
        """One session cancelled, moved (date, start_time, duration_minutes) or given a substitute
        (instructor_id); its class is not changed."""
        await self.store.record("session.update", {"id": session_id, "changes": _wire(changes)})


def _wire(values: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for name, value in values.items():
        if isinstance(value, (dt.date, dt.time)):
            value = value.isoformat()
        elif isinstance(value, (tuple, set)):
            value = list(value)
        out[name] = value
    return out


def _row(c: ClassSchedule, programs: dict[str, str], rooms: dict[str, str], enrolled: int) -> ClassRow:
    meetings = tuple(meetings_of(c))
    return ClassRow(
        id=c.id, name=c.name, location_id=c.location_id, program_id=c.program_id,
        program=programs.get(c.program_id or "", ""), room_id=c.room_id, room=rooms.get(c.room_id or "", ""),
        level=c.level, times=c.times or ";".join(str(m) for m in meetings), when=times_words(meetings), meetings=meetings,
        age_min=c.age_min, age_max=c.age_max, term_start=c.term_start, term_end=c.term_end, capacity=c.capacity,
        enrolled=enrolled, instructor_ids=tuple(filter(None, c.instructor_ids.split(","))), coach=c.coach,
        tuition_cents=c.tuition_cents, active=c.active,
    )  # fmt: skip


