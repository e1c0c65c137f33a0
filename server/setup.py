"""Setting a school up from Python and the admin command line: the same changes a desk makes.

Every change here is a set-up mutation (sync.core.setup_mutations) applied by the same applier the
server runs for a desk's push, then the session planner (server.sessions), in one transaction,
audited as `admin.<type>`. `SetUp` works inside a caller's transaction (the demo seed uses it);
the functions below open the account for one change each.

    loc = add_location(data_dir, "acme", "Downtown", "DT", timezone="America/Chicago")
    prog = add_program(data_dir, "acme", "Recreational Gymnastics")
    cls = add_class(data_dir, "acme", loc, "Level 1", "Mon 16:00 60; Wed 16:00 60", program=prog)
    closed = add_closure(data_dir, "acme", loc, "Thanksgiving", dt.date(2026, 11, 26))
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlmodel import Session, col, or_, select

from server.account_db import audit, next_usn
from server.accounts import AdminError, open_account
from server.sessions import Plan, families_of, plan_after, plan_sessions
from sync.core.class_times import (
    BadTimes,
    format_times,
    meeting,
    parse_times,
    time_of,
    weekday_of,
)
from sync.core.clock import SYSTEM, Clock, local_now
from sync.core.ids import new_id
from sync.core.mutations import Rejected
from sync.core.schema import (
    ClassSchedule,
    ClassSession,
    Contact,
    Enrollment,
    Family,
    Location,
    Program,
    Room,
    Staff,
    Student,
)
from sync.core.setup_mutations import ADDS, PAYLOADS, apply_setup


@dataclass(frozen=True)
class Cancelled:
    """A session a closure (or a change) cancelled, and the families to call about it."""

    session_id: str
    class_name: str
    date: dt.date
    families: tuple[str, ...]


@dataclass(frozen=True)
class Outcome:
    id: str
    added_sessions: int = 0
    cancelled: tuple[Cancelled, ...] = ()


class SetUp:
    """Set-up changes in the caller's transaction (`db`), planned on `clock`'s day."""

    def __init__(self, db: Session, clock: Clock = SYSTEM, *, plans: bool = True):
        # plans=False: the caller plans once at the end (a seed adding forty classes).
        self.db, self.clock, self.plans = db, clock, plans

    # -- the one way in ---------------------------------------------------------------------------
    def change(self, type_: str, payload: dict[str, Any]) -> Outcome:
        try:
            parsed = PAYLOADS[type_].model_validate(payload)
        except ValidationError as exc:
            first = exc.errors()[0]
            raise AdminError(f"{type_}: {'.'.join(map(str, first['loc']))}: {first['msg']}") from None
        try:
            written = apply_setup(self.db, type_, parsed, self._usn)
        except Rejected as exc:
            raise AdminError(exc.message) from None
        row = written[0] if written else None
        record_id = row.id if row is not None else payload["id"]
        audit(self.db, f"admin.{type_}", record_type=type_.split(".")[0], record_id=record_id, payload=payload)
        plan = plan_after(self.db, type_, written, self.clock) if self.plans else Plan()
        cancelled = list(plan.cancelled)
        if isinstance(row, ClassSession) and row.cancelled:
            cancelled.append(row)
        return Outcome(record_id, plan.added, self._words(cancelled))

    def _usn(self) -> int:
        return next_usn(self.db)

    def _words(self, sessions: Sequence[ClassSession]) -> tuple[Cancelled, ...]:
        if not sessions:
            return ()
        self.db.flush()
        families = families_of(self.db, sessions)
        names = {c.id: c.name for c in self.db.exec(select(ClassSchedule).where(
            col(ClassSchedule.id).in_({s.schedule_id for s in sessions})))}  # fmt: skip
        return tuple(Cancelled(s.id, names.get(s.schedule_id, ""), s.date, tuple(families[s.id]))
                     for s in sorted(sessions, key=lambda s: s.starts_at))  # fmt: skip

    # -- records ----------------------------------------------------------------------------------
    def add_location(self, name: str, code: str, *, timezone: str = "America/Chicago", address: str = "",
                     phone: str = "", hours: str = "") -> str:  # fmt: skip
        fields = {"name": name, "code": code, "timezone": timezone, "address": address, "phone": phone, "hours": hours}
        return self.change("location.add", {"id": new_id(), "fields": fields}).id

    def add_room(self, location: str, name: str, *, capacity: int | None = None) -> str:
        payload = {"id": new_id(), "location_id": self.location_id(location), "fields": {"name": name, "capacity": capacity}}
        return self.change("room.add", payload).id

    def add_program(self, name: str, *, description: str = "") -> str:
        return self.change("program.add", {"id": new_id(), "fields": {"name": name, "description": description}}).id

    def add_class(self, location: str, name: str, times: str, *, program: str | None = None, room: str | None = None,
                  level: str = "", ages: tuple[int, int] | None = None, term: tuple[dt.date | None, dt.date | None] = (None, None),
                  capacity: int = 12, instructors: Iterable[str] = (), tuition_cents: int = 0) -> Outcome:  # fmt: skip
        """A class; `times` as 'Mon 16:00 60; Wed 16:00 60' (day, local start, minutes).
        Returns its id and how many sessions the planner made."""
        location_id = self.location_id(location)
        fields: dict[str, Any] = {
            "name": name, "times": readable_times(times), "level": level, "capacity": capacity,
            "tuition_cents": tuition_cents, "term_start": _iso(term[0]), "term_end": _iso(term[1]),
            "instructor_ids": [self.staff_id(i) for i in instructors],
            "program_id": self.program_id(program) if program else None,
            "room_id": self.room_id(location_id, room) if room else None,
        }  # fmt: skip
        if ages is not None:
            fields["age_min"], fields["age_max"] = ages
        return self.change("class.add", {"id": new_id(), "location_id": location_id, "fields": fields})

    def add_closure(self, location: str, name: str, start: dt.date, end: dt.date | None = None) -> Outcome:
        """A closed day (or days, `end` included); its sessions are cancelled, their families listed."""
        payload = {"id": new_id(), "location_id": self.location_id(location),
                   "fields": {"name": name, "start_date": start.isoformat(), "end_date": (end or start).isoformat()}}  # fmt: skip
        return self.change("closure.add", payload)

    def change_session(self, session_id: str, *, cancelled: bool | None = None, date: dt.date | None = None,
                       start: dt.time | str | None = None, minutes: int | None = None, instructor: str | None = None,
                       note: str | None = None) -> Outcome:  # fmt: skip
        """One session cancelled, moved or given a substitute; its class stays as it is."""
        changes: dict[str, Any] = {}
        if cancelled is not None:
            changes["cancelled"] = cancelled
        if date is not None:
            changes["date"] = date.isoformat()
        if start is not None:
            changes["start_time"] = (time_of(start) if isinstance(start, str) else start).isoformat()
        if minutes is not None:
            changes["duration_minutes"] = minutes
        if instructor is not None:
            changes["instructor_id"] = self.staff_id(instructor)
        if note is not None:
            changes["note"] = note
        if not changes:
            raise AdminError("Say what changes: --cancel, --date, --start, --minutes or --instructor.")
        return self.change("session.update", {"id": session_id, "changes": changes})

    def update(self, type_: str, record_id: str, **changes: Any) -> Outcome:
        return self.change(f"{type_}.update", {"id": record_id, "changes": changes})

    def plan(self, *, start: dt.date | None = None) -> Plan:
        return plan_sessions(self.db, self.clock, start=start)

    # -- finding what a person named --------------------------------------------------------------
    def location_id(self, code_or_id: str) -> str:
        found = self.db.exec(select(Location.id).where(or_(Location.id == code_or_id, Location.code == code_or_id.upper(),
                                                           Location.name == code_or_id))).all()  # fmt: skip
        if len(found) != 1:
            raise AdminError(f"No location {code_or_id!r} (give its code, name or id).")
        return found[0]

    def program_id(self, name_or_id: str) -> str:
        found = self.db.exec(select(Program.id).where(or_(Program.id == name_or_id, Program.name == name_or_id))).all()
        if len(found) != 1:
            raise AdminError(f"No program {name_or_id!r} (give its name or id).")
        return found[0]

    def room_id(self, location_id: str, name_or_id: str) -> str:
        found = self.db.exec(select(Room.id).where(Room.location_id == location_id,
                                                   or_(Room.id == name_or_id, Room.name == name_or_id))).all()  # fmt: skip
        if len(found) != 1:
            raise AdminError(f"No room {name_or_id!r} at that location.")
        return found[0]

    def staff_id(self, username_or_id: str) -> str:
        found = self.db.exec(select(Staff.id).where(or_(Staff.id == username_or_id, Staff.username == username_or_id))).all()
        if len(found) != 1:
            raise AdminError(f"No staff member {username_or_id!r} (give their username).")
        return found[0]

    def class_id(self, name_or_id: str) -> str:
        found = self.db.exec(select(ClassSchedule.id).where(or_(ClassSchedule.id == name_or_id,
                                                                ClassSchedule.name == name_or_id))).all()  # fmt: skip
        if len(found) != 1:
            raise AdminError(f"No single class {name_or_id!r} (give its name or id).")
        return found[0]

    # -- people for tests and scripts (the family file proper is the desk's) ----------------------
    def enroll_new_students(self, class_id: str, names: Sequence[tuple[str, str]], *, start: dt.date,
                            birth_date: dt.date | None = None, phones: Sequence[str] = ()) -> list[str]:  # fmt: skip
        """A family per (first, last) name with one student, enrolled in the class from `start`; with
        `phones` (E.164, one per name), each family's primary guardian has that phone."""
        if self.db.get(ClassSchedule, class_id) is None:
            raise AdminError("No such class.")
        ids = []
        for first, last in names:
            family = Family(id=new_id(), usn=self._usn(), name=last)
            student = Student(id=new_id(), usn=self._usn(), family_id=family.id, first_name=first, last_name=last,
                              birth_date=birth_date)  # fmt: skip
            self.db.add_all([family, student, Enrollment(id=new_id(), usn=self._usn(), student_id=student.id,
                                                         schedule_id=class_id, start_date=start)])  # fmt: skip
            if len(ids) < len(phones):
                self.db.add(Contact(id=new_id(), usn=self._usn(), family_id=family.id, first_name="Parent", last_name=last,
                                    phone=phones[len(ids)], is_primary=True))  # fmt: skip
            ids.append(student.id)
        audit(self.db, "admin.enroll", record_type="class_schedule", record_id=class_id, students=len(ids))
        return ids


def readable_times(text: str) -> str:
    """'Mon 16:00 60; Wed 4:30pm 45' (or the stored form) as the stored form; AdminError in words."""
    try:
        out = []
        for part in filter(None, (p.strip() for p in text.replace(",", ";").split(";"))):
            bits = part.split()
            if len(bits) == 4 and bits[2].lower() in ("am", "pm"):  # "Mon 4:30 PM 45"
                bits = [bits[0], bits[1] + bits[2], bits[3]]
            if len(bits) != 3:
                raise BadTimes(f"“{part}” is not a meeting: give day, start and minutes, e.g. Mon 16:00 60.")
            out.append(meeting(weekday_of(bits[0]), bits[1], int(bits[2])))
        if not out:
            raise BadTimes("A class meets at least once a week, e.g. Mon 16:00 60.")
        return format_times(parse_times(format_times(out)))
    except (BadTimes, ValueError) as exc:
        raise AdminError(str(exc)) from None


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day is not None else None


@contextmanager
def setting_up(data_dir: str | os.PathLike, slug: str, clock: Clock = SYSTEM) -> Iterator[SetUp]:
    """One transaction of set-up changes on an account: committed when the block ends without error."""
    with open_account(data_dir, slug) as (_account, adb), adb.write_session() as db:
        yield SetUp(db, clock)
        db.commit()


# -- one change each, for scripts and tests ------------------------------------------------------------


def add_location(data_dir: str | os.PathLike, slug: str, name: str, code: str, **fields: str) -> str:
    with setting_up(data_dir, slug) as s:
        return s.add_location(name, code, **fields)


def add_room(data_dir: str | os.PathLike, slug: str, location: str, name: str, *, capacity: int | None = None) -> str:
    with setting_up(data_dir, slug) as s:
        return s.add_room(location, name, capacity=capacity)


def add_program(data_dir: str | os.PathLike, slug: str, name: str, *, description: str = "") -> str:
    with setting_up(data_dir, slug) as s:
        return s.add_program(name, description=description)


def add_class(data_dir: str | os.PathLike, slug: str, location: str, name: str, times: str, *, clock: Clock = SYSTEM,
              **options: Any) -> str:  # fmt: skip
    with setting_up(data_dir, slug, clock) as s:
        return s.add_class(location, name, times, **options).id


def add_closure(data_dir: str | os.PathLike, slug: str, location: str, name: str, start: dt.date,
                end: dt.date | None = None, *, clock: Clock = SYSTEM) -> Outcome:  # fmt: skip
    with setting_up(data_dir, slug, clock) as s:
        return s.add_closure(location, name, start, end)


def change_session(data_dir: str | os.PathLike, slug: str, session_id: str, *, clock: Clock = SYSTEM,
                   **changes: Any) -> Outcome:  # fmt: skip
    with setting_up(data_dir, slug, clock) as s:
        return s.change_session(session_id, **changes)


def plan(data_dir: str | os.PathLike, slug: str, *, clock: Clock = SYSTEM) -> Plan:
    """The nightly planning of one account, now (`frontdesk-server plan-sessions`)."""
    with setting_up(data_dir, slug, clock) as s:
        return s.plan()


def class_today(data_dir: str | os.PathLike, slug: str, students: int, *, clock: Clock = SYSTEM,
                start: dt.time | None = None, minutes: int = 60, name: str = "Today's Class") -> tuple[str, str, list[str]]:  # fmt: skip
    """A class meeting today (at the account's first location, made if there is none) with
    `students` enrolled: returns (class id, today's session id, student ids). For tests and benchmarks."""
    with setting_up(data_dir, slug, clock) as s:
        location = s.db.exec(select(Location).where(Location.active == True)).first()
        location_id = location.id if location is not None else s.add_location("Main", "MN")
        tz = location.timezone if location is not None else "America/Chicago"
        now = local_now(clock, tz)
        soon = now + dt.timedelta(minutes=30)
        begins = start or (soon.time().replace(second=0, microsecond=0) if soon.date() == now.date() else dt.time(23, 0))
        outcome = s.add_class(location_id, name, f"{now.weekday()} {begins:%H:%M} {minutes}")
        session = s.db.exec(select(ClassSession.id).where(ClassSession.schedule_id == outcome.id,
                                                          ClassSession.date == now.date())).one()  # fmt: skip
        names = [(f"Student{i + 1}", f"Family{i + 1}") for i in range(students)]
        ids = s.enroll_new_students(outcome.id, names, start=now.date() - dt.timedelta(days=7))
        return outcome.id, session, ids


__all__ = ["ADDS", "Cancelled", "Outcome", "SetUp", "add_class", "add_closure", "add_location", "add_program",
           "add_room", "change_session", "class_today", "plan", "readable_times", "setting_up"]  # fmt: skip
