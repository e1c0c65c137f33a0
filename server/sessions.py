"""The session planner: classes' weekly meetings become sessions on a rolling window.

One rule for every account, run by the server only (desks receive the sessions by pull): after a
class, closure or location changes (server.push, server.setup), every night (server.nightly) and
when an account is seeded. For each class, from today (the location's day, from the clock) to
WINDOW_DAYS ahead:
- a meeting with no session gets one, unless the location is closed that day;
- a session the planner made follows its class's time and its location's closures: a closure
  cancels it (note "Closed: …"), a closure removed gives it back;
- a session staff cancelled or moved by hand (`changed`) is left as they set it, and still stands
  for its meeting (`planned_date`), so none is made beside it;
- a session whose meeting is gone (a weekday dropped, the term ended, the class retired) is
  removed when nobody was checked in or marked in it, and cancelled otherwise.
Sessions before today are history and never touched.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlmodel import Session, col, or_, select

from server.account_db import Tombstone, audit, reserve_usns
from sync.core.class_times import Meeting, days, local_span, meetings_of
from sync.core.clock import Clock, local_now, zone
from sync.core.ids import new_id
from sync.core.schema import (
    Attendance,
    CheckIn,
    ClassSchedule,
    ClassSession,
    Closure,
    Location,
    SyncedRecord,
)
from sync.core.setup_mutations import families_enrolled

WINDOW_DAYS = 63  # nine weeks: at least eight ahead on every night of the week
GONE = "No longer on the class's schedule"


@dataclass
class Plan:
    """What one planning run changed."""

    written: list[SyncedRecord] = field(default_factory=list)
    added: int = 0
    moved: int = 0
    removed: int = 0
    cancelled: list[ClassSession] = field(default_factory=list)  # by a closure (or a meeting gone) in this run
    restored: int = 0  # a closure removed: its sessions are on again
    # Rows (and tombstones) written, given their change numbers together at the end: one
    # statement for the block, not one per row (a seed plans hundreds).
    _numbered: list = field(default_factory=list)

    def number(self, row) -> None:  # noqa: ANN001 - a session or a tombstone
        self._numbered.append(row)

    def give_usns(self, db: Session) -> None:
        if self._numbered:
            first = reserve_usns(db, len(self._numbered))
            for i, row in enumerate(self._numbered):
                row.usn = first + i
                db.add(row)
            self._numbered = []

    @property
    def changed(self) -> bool:
        return bool(self.added or self.moved or self.removed or self.cancelled or self.restored)


def plan_sessions(
    db: Session,
    clock: Clock,
    *,
    location_ids: Iterable[str] | None = None,
    schedule_ids: Iterable[str] | None = None,
    start: dt.date | None = None,
    window_days: int = WINDOW_DAYS,
) -> Plan:
    """Plan the sessions of the given classes (or of every class at the given locations, or of all),
    in the caller's transaction. `start` (a date at every location) replaces "today" for a seed
    that wants this whole week."""
    # The change counter's row lock first (an update of nothing): two planners of one account (the
    # nightly round, a desk's push) then read the sessions one after the other, never both before
    # either wrote, which would make a meeting's session twice (PostgreSQL reads committed rows).
    reserve_usns(db, 0)
    locations = {loc.id: loc for loc in db.exec(select(Location))}
    query = select(ClassSchedule)
    if schedule_ids is not None:
        query = query.where(col(ClassSchedule.id).in_(list(schedule_ids)))
    if location_ids is not None:
        query = query.where(col(ClassSchedule.location_id).in_(list(location_ids)))
    schedules = [s for s in db.exec(query) if s.location_id in locations]
    plan = Plan()
    if not schedules:
        return plan
    closures: dict[str, list[Closure]] = defaultdict(list)
    for c in db.exec(select(Closure).where(Closure.active == True)):
        closures[c.location_id].append(c)
    firsts = {loc_id: start or local_now(clock, loc.timezone).date() for loc_id, loc in locations.items()}
    earliest = min(firsts.values())
    existing: dict[str, list[ClassSession]] = defaultdict(list)
    for s in db.exec(select(ClassSession).where(
            col(ClassSession.schedule_id).in_([c.id for c in schedules]),
            or_(col(ClassSession.date) >= earliest, col(ClassSession.planned_date) >= earliest))):  # fmt: skip
        existing[s.schedule_id].append(s)
    for schedule in schedules:
        location = locations[schedule.location_id]
        first = firsts[location.id]
        _plan_class(db, plan, schedule, location, closures[location.id], existing[schedule.id],
                    first, first + dt.timedelta(days=window_days))  # fmt: skip
    plan.give_usns(db)
    if plan.changed:
        audit(db, "sessions.planned", added=plan.added, moved=plan.moved, removed=plan.removed,
              cancelled=len(plan.cancelled), restored=plan.restored)  # fmt: skip
    return plan


def _plan_class(db: Session, plan: Plan, schedule: ClassSchedule, location: Location,
                closures: list[Closure], sessions: list[ClassSession], first: dt.date, last: dt.date) -> None:  # fmt: skip
    tz = zone(location.timezone)
    wanted: dict[dt.date, list[Meeting]] = defaultdict(list)
    if schedule.active and location.active:
        meetings = meetings_of(schedule)
        lo = max(first, schedule.term_start or first)
        hi = min(last, schedule.term_end or last)
        for day in days(lo, hi) if lo <= hi else ():
            wanted[day] = [m for m in meetings if m.weekday == day.weekday()]
    held: dict[dt.date, list[ClassSession]] = defaultdict(list)
    for s in sessions:
        planned = s.planned_date or s.date
        if planned >= first:
            held[planned].append(s)
    for day in sorted(set(wanted) | set(held)):
        want = sorted(wanted.get(day, []))
        by_hand = [s for s in held.get(day, []) if s.changed]
        mine = sorted((s for s in held.get(day, []) if not s.changed), key=lambda s: s.starts_at)
        want = want[len(by_hand):]  # a session moved or cancelled by hand still stands for a meeting
        closed = next((c for c in closures if c.start_date <= day <= c.end_date), None)
        for i, m in enumerate(want):
            start, end = local_span(day, m, tz)
            if i < len(mine):
                _follow(plan, mine[i], day, start, end, location.id, closed)
            elif closed is None:  # no session is made on a closed day
                row = ClassSession(id=new_id(), schedule_id=schedule.id, location_id=location.id,
                                   date=day, planned_date=day, starts_at=start, ends_at=end)  # fmt: skip
                plan.number(row)
                plan.written.append(row)
                plan.added += 1
        for extra in mine[len(want):]:
            _drop(db, plan, extra)


def _follow(plan: Plan, s: ClassSession, day: dt.date, start: dt.datetime,
            end: dt.datetime, location_id: str, closed: Closure | None) -> None:  # fmt: skip
    cancelled, note = (True, f"Closed: {closed.name}") if closed is not None else (False, "")
    if (s.date, s.starts_at, s.ends_at, s.location_id, s.cancelled, s.note, s.planned_date) == \
            (day, start, end, location_id, cancelled, note, day):
        return
    if cancelled and not s.cancelled:
        plan.cancelled.append(s)
    elif s.cancelled and not cancelled:
        plan.restored += 1
    elif (s.starts_at, s.ends_at) != (start, end):
        plan.moved += 1
    s.date, s.starts_at, s.ends_at, s.location_id, s.planned_date = day, start, end, location_id, day
    s.cancelled, s.note = cancelled, note
    plan.number(s)
    plan.written.append(s)


def _drop(db: Session, plan: Plan, s: ClassSession) -> None:
    """A session whose meeting is gone: removed, unless someone came to it (then cancelled, kept as history)."""
    used = db.exec(select(CheckIn.id).where(CheckIn.session_id == s.id).limit(1)).first() or \
        db.exec(select(Attendance.id).where(Attendance.session_id == s.id).limit(1)).first()  # fmt: skip
    if used is not None:
        if not s.cancelled:
            s.cancelled, s.note = True, GONE
            plan.number(s)
            plan.written.append(s)
            plan.cancelled.append(s)
        return
    db.delete(s)
    stone = db.get(Tombstone, ("class_session", s.id))
    plan.number(stone if stone is not None else Tombstone(type="class_session", id=s.id, usn=0))
    plan.removed += 1


def families_of(db: Session, sessions: Iterable[ClassSession]) -> dict[str, list[str]]:
    """For each session, the families of the students enrolled on its day (to call them)."""
    return {s.id: list(families_enrolled(db, s.schedule_id, s.date)) for s in sessions}


def plan_after(db: Session, mutation_type: str, written: list[SyncedRecord], clock: Clock) -> Plan:
    """After an applied set-up change: plan the sessions it touches."""
    from sync.core.setup_mutations import PLANS_SESSIONS

    if mutation_type not in PLANS_SESSIONS or not written:
        return Plan()
    row = written[0]
    if isinstance(row, ClassSchedule):
        plan = plan_sessions(db, clock, schedule_ids=[row.id])
    elif isinstance(row, Closure):
        plan = plan_sessions(db, clock, location_ids=[row.location_id])
    elif isinstance(row, Location):
        plan = plan_sessions(db, clock, location_ids=[row.id])
    else:
        return Plan()
    return plan
