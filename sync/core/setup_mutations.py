"""Set-up of a school: locations, rooms, programs, classes, closures, and one session's changes.

Made at a desk (through its outbox) or by an admin command (server.setup), applied by the same
appliers on both sides. Set-up records are editable records: an update sends only the changed
fields and the last writer in server order wins per field (DESIGN.md), the overwritten value kept
in the server's audit log. A record is never deleted: `active = False` retires it, so the
sessions, rosters and receipts that name it still read.

Sessions are not made here: the server's planner (server.sessions) makes them from the classes
and closures after each of these changes is applied, and every night.
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from collections.abc import Callable
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError
from sqlmodel import Session, col, or_, select

from sync.core.class_times import (
    BadTimes,
    format_hours,
    format_times,
    local_span,
    meeting,
    parse_hours,
    parse_times,
)
from sync.core.clock import zone
from sync.core.schema import (
    ClassSchedule,
    ClassSession,
    Closure,
    Enrollment,
    Family,
    Location,
    Program,
    Room,
    Staff,
    Student,
    SyncedRecord,
)  # fmt: skip
from sync.core.rejections import Rejected

NextUsn = Callable[[], int | None]
Id = Annotated[str, Field(min_length=1, max_length=36)]
Name = Annotated[str, Field(min_length=1, max_length=80)]
Text = Annotated[str, Field(max_length=300)]
Phone = Annotated[str, Field(max_length=32, pattern=r"^[0-9+()\-. x]*$")]
Age = Annotated[int, Field(ge=0, le=99)]
MAX_CLOSURE_DAYS = 366

# What each set-up record may be given, field by field; `*.add` takes these too (with its id).
FIELDS: dict[type[SyncedRecord], dict[str, Any]] = {
    Location: {"name": Name, "code": Annotated[str, Field(min_length=1, max_length=8, pattern=r"^[A-Za-z0-9]+$")],
               "timezone": Annotated[str, Field(min_length=1, max_length=64)], "address": Text, "phone": Phone,
               "hours": Text, "active": bool},
    Room: {"name": Name, "capacity": Annotated[int, Field(ge=1, le=1000)] | None, "active": bool},
    Program: {"name": Name, "description": Text, "active": bool},
    ClassSchedule: {"name": Name, "program_id": Id | None, "room_id": Id | None, "level": Annotated[str, Field(max_length=40)],
                    "times": Annotated[str, Field(min_length=1, max_length=300)], "age_min": Age | None,
                    "age_max": Age | None, "term_start": dt.date | None, "term_end": dt.date | None,
                    "capacity": Annotated[int, Field(ge=1, le=500)], "instructor_ids": list[Id],
                    "tuition_cents": Annotated[int, Field(ge=0, le=10_000_000)], "active": bool},
    Closure: {"name": Name, "start_date": dt.date, "end_date": dt.date, "active": bool},
    ClassSession: {"cancelled": bool, "date": dt.date, "start_time": dt.time,
                   "duration_minutes": Annotated[int, Field(ge=5, le=720)], "instructor_id": Id | None, "note": Text},
}  # fmt: skip
_ADAPTERS = {cls: {name: TypeAdapter(tp) for name, tp in fields.items()} for cls, fields in FIELDS.items()}
_WORDS = {Location: "location", Room: "room", Program: "program", ClassSchedule: "class", Closure: "closure",
          ClassSession: "session"}  # fmt: skip


class _Payload(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AddPayload(_Payload):
    """A new record: its id, what it belongs to (a location, for rooms, classes, closures) and its fields."""

    id: Id
    location_id: Id | None = None
    fields: dict[str, Any] = Field(min_length=1, max_length=20)


class UpdatePayload(_Payload):
    id: Id
    changes: dict[str, Any] = Field(min_length=1, max_length=20)


ADDS: dict[str, type[SyncedRecord]] = {
    "location.add": Location,
    "room.add": Room,
    "program.add": Program,
    "class.add": ClassSchedule,
    "closure.add": Closure,
}
UPDATES: dict[str, type[SyncedRecord]] = {
    "location.update": Location,
    "room.update": Room,
    "program.update": Program,
    "class.update": ClassSchedule,
    "closure.update": Closure,
    "session.update": ClassSession,  # one session cancelled, moved or given a substitute
}
PAYLOADS: dict[str, type[BaseModel]] = {**{n: AddPayload for n in ADDS}, **{n: UpdatePayload for n in UPDATES}}
# Records whose change means the sessions must be planned again (server.sessions).
PLANS_SESSIONS = frozenset({"class.add", "class.update", "closure.add", "closure.update", "location.update"})
_REQUIRED = {Location: {"name", "code"}, Room: {"name"}, Program: {"name"}, ClassSchedule: {"name", "times"},
             Closure: {"name", "start_date"}}  # fmt: skip
_NEEDS_LOCATION = (Room, ClassSchedule, Closure)


@functools.cache
def time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def clean(cls: type[SyncedRecord], values: dict[str, Any]) -> dict[str, Any]:
    """The values as the record's own types; Rejected for a field that may not be set or a bad value."""
    allowed = _ADAPTERS[cls]
    out: dict[str, Any] = {}
    for name, value in values.items():
        what = f"The {_WORDS[cls]}'s {name.replace('_', ' ')}"
        if name not in allowed:
            raise Rejected("invalid", f"{what} cannot be set here.")
        try:
            value = allowed[name].validate_python(value)
        except ValidationError:
            raise Rejected("invalid", f"{what} is not valid; nothing was changed.") from None
        if isinstance(value, str):
            value = value.strip()
        try:
            if name == "times":
                value = format_times(parse_times(value))
                if not value:
                    raise BadTimes("A class meets at least once a week.")
            elif name == "hours":
                value = format_hours(parse_hours(value))
        except BadTimes as exc:
            raise Rejected("invalid", f"{exc} Nothing was changed.") from None
        if name == "timezone" and value not in time_zones():
            raise Rejected("invalid", f"“{value}” is not a time zone (e.g. America/Chicago); nothing was changed.")
        if name == "code":
            value = value.upper()
        out[name] = value
    return out


def apply_setup(db: Session, mutation_type: str, payload: BaseModel, next_usn: NextUsn) -> list[SyncedRecord]:
    if isinstance(payload, AddPayload):
        cls = ADDS[mutation_type]
        if db.get(cls, payload.id) is not None:
            return []  # already added (a replay, or re-applied on top of a pull)
        values = clean(cls, payload.fields)
        if cls is Closure and "start_date" in values:
            values.setdefault("end_date", values["start_date"])  # a single day
        missing = _REQUIRED[cls] - set(values)
        if missing:
            raise Rejected("invalid", f"A new {_WORDS[cls]} needs its {', '.join(sorted(missing)).replace('_', ' ')}.")
        if cls in _NEEDS_LOCATION:
            if payload.location_id is None or db.get(Location, payload.location_id) is None:
                raise Rejected("not_found", f"This location is no longer on file; the {_WORDS[cls]} was not added.")
            values["location_id"] = payload.location_id
        elif payload.location_id is not None:
            raise Rejected("invalid", f"A {_WORDS[cls]} does not belong to a location.")
        row = _new(cls, payload.id)
        _set(db, row, values)
        row.usn = next_usn()
        db.add(row)
        return [row]
    assert isinstance(payload, UpdatePayload)
    cls = UPDATES[mutation_type]
    row = db.get(cls, payload.id)
    if row is None:
        raise Rejected("not_found", f"This {_WORDS[cls]} is no longer on file; the change was not recorded.")
    _set(db, row, clean(cls, payload.changes))
    row.usn = next_usn()
    db.add(row)
    return [row]


def _new(cls: type[SyncedRecord], record_id: str) -> SyncedRecord:
    if cls is ClassSchedule:  # its first meeting's columns are set from `times` in _set
        return ClassSchedule(id=record_id, location_id="", name="", weekday=0, start_time=dt.time(0))
    if cls is Closure:
        return Closure(id=record_id, location_id="", name="", start_date=dt.date.min, end_date=dt.date.min)
    if cls is Room:
        return Room(id=record_id, location_id="", name="")
    return cls(id=record_id, name="", **({"code": ""} if cls is Location else {}))  # type: ignore[call-arg]


def _set(db: Session, row: SyncedRecord, values: dict[str, Any]) -> None:
    """Set the fields, then check the record as a whole (what one field alone cannot say)."""
    if isinstance(row, ClassSession):
        _move_session(db, row, values)
        return
    for name, value in values.items():
        if name == "instructor_ids":
            continue
        setattr(row, name, value)
    if isinstance(row, Location):
        taken = db.exec(select(Location.id).where(Location.code == row.code, Location.id != row.id)).first()
        if taken is not None:
            raise Rejected("invalid", f"Another location already has the code {row.code}; nothing was changed.")
    if isinstance(row, Closure):
        if row.end_date < row.start_date:
            raise Rejected("invalid", "A closure ends on or after the day it starts; nothing was changed.")
        if (row.end_date - row.start_date).days >= MAX_CLOSURE_DAYS:
            raise Rejected("invalid", "A closure is at most a year long; nothing was changed.")
    if isinstance(row, ClassSchedule):
        _check_class(db, row, values)


def _check_class(db: Session, row: ClassSchedule, values: dict[str, Any]) -> None:
    first = parse_times(row.times)[0] if row.times else None
    if first is not None:
        row.weekday, row.start_time, row.duration_minutes = first.weekday, first.start, first.minutes
    if row.age_min is not None and row.age_max is not None and row.age_min > row.age_max:
        raise Rejected("invalid", "The youngest age is above the oldest; nothing was changed.")
    if row.term_start is not None and row.term_end is not None and row.term_end < row.term_start:
        raise Rejected("invalid", "The term ends before it starts; nothing was changed.")
    if "program_id" in values and row.program_id is not None and db.get(Program, row.program_id) is None:
        raise Rejected("not_found", "This program is no longer on file; nothing was changed.")
    if "room_id" in values and row.room_id is not None:
        room = db.get(Room, row.room_id)
        if room is None or room.location_id != row.location_id:
            raise Rejected("invalid", "That room is not at the class's location; nothing was changed.")
    if "instructor_ids" in values:
        ids = list(dict.fromkeys(values["instructor_ids"]))
        names = []
        for staff_id in ids:
            staff = db.get(Staff, staff_id)
            if staff is None:
                raise Rejected("not_found", "An instructor is not on the staff list; nothing was changed.")
            names.append(staff.display_name)
        row.instructor_ids, row.coach = ",".join(ids), ", ".join(names)


def _move_session(db: Session, row: ClassSession, values: dict[str, Any]) -> None:
    """One session cancelled, moved or given a substitute; its class stays as it was."""
    if "instructor_id" in values and values["instructor_id"] is not None and db.get(Staff, values["instructor_id"]) is None:
        raise Rejected("not_found", "That instructor is not on the staff list; nothing was changed.")
    if row.planned_date is None:
        row.planned_date = row.date  # the meeting it stands for, wherever it moves
    tz = _zone_of(db, row.location_id)
    if {"date", "start_time", "duration_minutes"} & set(values):
        now = session_fields(db, row)
        day = values.get("date", row.date)
        m = meeting(day.weekday(), values.get("start_time", now["start_time"]), values.get("duration_minutes", now["duration_minutes"]))
        row.starts_at, row.ends_at = local_span(day, m, tz)
        row.date = day
    for name in ("cancelled", "instructor_id", "note"):
        if name in values:
            setattr(row, name, values[name])
    row.changed = True


def _zone_of(db: Session, location_id: str) -> dt.tzinfo:
    location = db.get(Location, location_id)
    return zone(location.timezone if location is not None else "UTC")


def session_fields(db: Session, row: ClassSession) -> dict[str, Any]:
    """A session as the fields `session.update` sets: its local date, start time and length."""
    local_start = row.starts_at.replace(tzinfo=dt.UTC).astimezone(_zone_of(db, row.location_id))
    return {"cancelled": row.cancelled, "date": row.date, "start_time": local_start.time(),
            "duration_minutes": round((row.ends_at - row.starts_at).total_seconds() / 60),
            "instructor_id": row.instructor_id, "note": row.note}  # fmt: skip


def families_enrolled(db: Session, schedule_id: str, day: dt.date) -> tuple[str, ...]:
    """"Lee (312) 555-0101" for each family with a student enrolled in the class on `day`: whom to
    call about a cancelled session (the server's admin commands and the desk's Set-up both list them)."""
    rows = db.exec(
        select(Family.name, Family.phone).join(Student, col(Student.family_id) == col(Family.id))
        .join(Enrollment, col(Enrollment.student_id) == col(Student.id))
        .where(Enrollment.schedule_id == schedule_id, Enrollment.status == "enrolled", col(Enrollment.start_date) <= day,
               or_(col(Enrollment.end_date).is_(None), col(Enrollment.end_date) >= day))
    ).all()  # fmt: skip
    return tuple(sorted({f"{name} {phone}".strip() for name, phone in rows}))


def edited_fields(db: Session, mutation_type: str, payload: dict[str, Any]) -> dict[str, Any] | None:
    """For the server's audit: the current values of the fields an update will change (None: not an update)."""
    cls = UPDATES.get(mutation_type)
    if cls is None or not isinstance(payload.get("changes"), dict):
        return None
    row = db.get(cls, str(payload.get("id", "")))
    if row is None:
        return None
    current = session_fields(db, row) if isinstance(row, ClassSession) else row.__dict__
    return {name: _plain(current.get(name)) for name in payload["changes"] if name in FIELDS[cls]}


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, (dt.date, dt.time)) else value
