"""A realistic demo account: two gyms, a few hundred families, a week of classes every day.

The content (names, counts, schedule) follows from `seed` alone; ids are fresh UUIDv7s, so two
accounts seeded alike still never share a record id.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert
from sqlmodel import Session, col, select

from server.account_db import audit, current_usn, reserve_usns
from server.accounts import AdminError, open_account
from server.seed_ledger import ledger
from server.sessions import WINDOW_DAYS, plan_sessions
from server.setup import SetUp
from sync.core.clock import PinnedClock
from sync.core.ids import new_id
from sync.core.schema import (
    RECORD_TYPES,
    Alert,
    ClassSchedule,
    Contact,
    Enrollment,
    Family,
    LedgerEntry,
    Location,
    Student,
    SyncedRecord,
)

TIMEZONE = "America/Chicago"
LOCATIONS = [
    ("Downtown", "DT", "120 W Madison St, Chicago, IL 60602", "(312) 555-0140"),
    ("Northside", "NS", "4350 N Lincoln Ave, Chicago, IL 60618", "(773) 555-0175"),
]
HOURS = "Mon 08:30-20:00; Tue 08:30-20:00; Wed 08:30-20:00; Thu 08:30-20:00; Fri 08:30-20:00; Sat 08:00-14:00; Sun 08:00-14:00"
# (program, levels, youngest, oldest): who a class is for.
PROGRAMS = [
    ("Preschool Gymnastics", ["Tiny Tumblers", "Mini Movers"], 2, 5),
    ("Parent & Tot", [""], 1, 3),
    ("Gymnastics", ["Level 1", "Level 2", "Level 3"], 6, 12),
    ("Tumbling", ["Beginner", "Intermediate", "Advanced"], 6, 16),
    ("Ninja", ["Junior", "Senior"], 6, 14),
    ("Cheer", ["Mini", "Youth", "Junior"], 6, 16),
]
# Local start times (hour, minute, minutes long): mornings are for the little ones.
WEEKDAY_SLOTS = [(9, 30, 45), (16, 0, 60), (17, 15, 60), (18, 30, 60)]
WEEKEND_SLOTS = [(9, 0, 45), (10, 30, 60), (12, 0, 60)]
MEDICAL = ["Asthma: inhaler in backpack", "Type 1 diabetes: snack allowed on floor", "Recent wrist sprain: no bars"]
ALLERGY = ["Peanut allergy: EpiPen at front desk", "Bee sting allergy", "Latex allergy"]


@dataclass(frozen=True)
class SeedSummary:
    locations: int
    families: int
    contacts: int
    students: int
    classes: int
    sessions: int
    enrollments: int
    alerts: int
    first_usn: int
    last_usn: int
    ledger_entries: int = 0  # this month's tuition charges and the payments made on them


def _names() -> dict[str, list[str]]:
    return json.loads((files("resources") / "demo" / "names.json").read_text(encoding="utf-8"))


def seed_demo(
    data_dir: str | os.PathLike, slug: str, *, families: int = 300, seed: int = 1, today: dt.date | None = None
) -> SeedSummary:
    """Fill an empty account with demo data; sessions cover this week and next (of `today`)."""
    with open_account(data_dir, slug) as (_account, adb), adb.write_session() as db:
        if db.exec(select(func.count()).select_from(Location)).one():
            raise AdminError(f"Account {slug!r} already has data; demo data goes into an empty account only.")
        summary = _seed(db, random.Random(seed), families, today or dt.datetime.now(ZoneInfo(TIMEZONE)).date())
        audit(db, "account.seeded", families=families, seed=seed)
        db.commit()
        card_sales = list(db.exec(select(LedgerEntry).where(col(LedgerEntry.gateway_ref).startswith("seed_"))))
    _sales_at_the_sandbox(data_dir, card_sales)
    return summary


def _sales_at_the_sandbox(data_dir: str | os.PathLike, payments: list[LedgerEntry]) -> None:
    """The seeded card payments, as settled sales at the sandbox gateway: refunds of them work in the demo."""
    from server.payments.sandbox import FILE_NAME, PastSale, SandboxGateway

    sandbox = SandboxGateway(Path(data_dir).expanduser() / FILE_NAME)
    sandbox.add_past_sales(PastSale(p.gateway_ref or "", p.id, -p.amount_cents, "USD", p.card_brand or "", p.card_last4 or "",
                                    p.approval_code or "", p.business_date) for p in payments)  # fmt: skip


def ensure_sessions(data_dir: str | os.PathLike, slug: str, *, today: dt.date | None = None) -> int:
    """Plan every class's sessions from `today` on (server.sessions); returns how many were added.

    An account seeded weeks ago still has classes today, without touching any session it has.
    """
    with open_account(data_dir, slug) as (_account, adb), adb.write_session() as db:
        today = today or dt.datetime.now(ZoneInfo(TIMEZONE)).date()
        plan = SetUp(db, _noon(today)).plan(start=today)
        db.commit()
        return plan.added


def _noon(day: dt.date) -> PinnedClock:
    return PinnedClock(dt.datetime.combine(day, dt.time(12), tzinfo=ZoneInfo(TIMEZONE)), frozen=True)


def _seed(db: Session, rng: random.Random, n_families: int, today: dt.date) -> SeedSummary:
    """The same set-up code a school uses (server.setup) for locations, programs, classes and
    sessions; then the people and their money, written in bulk."""
    names = _names()
    first = current_usn(db) + 1
    setup = SetUp(db, _noon(today), plans=False)  # planned once, at the end
    location_ids = [setup.add_location(n, c, timezone=TIMEZONE, address=a, phone=p, hours=HOURS) for n, c, a, p in LOCATIONS]
    program_ids = {program: setup.add_program(program) for program, _levels, _lo, _hi in PROGRAMS}
    families, contacts, students, alerts = _people(rng, names, n_families, today)
    for spec in _class_specs(rng, names, location_ids):
        class_id = setup.add_class(spec.location_id, spec.name, spec.times, program=program_ids[spec.program],
                                   level=spec.level, ages=spec.ages, capacity=spec.capacity).id  # fmt: skip
        row = db.get(ClassSchedule, class_id)
        row.coach = spec.coach  # the demo's coaches are names on the schedule, not staff who sign in
        db.add(row)
    monday = today - dt.timedelta(days=today.weekday())
    # From Monday (this whole week, for the reports), as far ahead as the nightly round plans from today.
    plan = plan_sessions(db, setup.clock, start=monday,
                         window_days=(today - monday).days + WINDOW_DAYS)  # fmt: skip
    db.flush()
    locations = list(db.exec(select(Location).order_by(col(Location.code))))
    schedules = list(db.exec(select(ClassSchedule).order_by(col(ClassSchedule.usn))))
    enrollments = _enrollments(rng, students, schedules, today)
    entries, allocations = ledger(rng, students, enrollments, schedules, locations, today)

    rows: dict[type[SyncedRecord], list[SyncedRecord]] = {}
    for row in [*families, *contacts, *students, *enrollments, *alerts, *entries, *allocations]:
        rows.setdefault(type(row), []).append(row)
    total = sum(len(r) for r in rows.values())
    usn = reserve_usns(db, total)
    for cls in RECORD_TYPES.values():  # referenced rows first, like a pull would bring them
        for row in rows.get(cls, []):
            row.usn = usn
            usn += 1
        if rows.get(cls):
            db.execute(insert(cls.__table__), [r.model_dump() for r in rows[cls]])  # type: ignore[attr-defined]
    return SeedSummary(
        locations=len(locations),
        families=len(families),
        contacts=len(contacts),
        students=len(students),
        classes=len(schedules),
        sessions=plan.added,
        enrollments=len(enrollments),
        alerts=len(alerts),
        first_usn=first,
        last_usn=usn - 1,
        ledger_entries=len(entries),
    )


def _people(rng: random.Random, names: dict, n_families: int, today: dt.date):
    families: list[Family] = []
    contacts: list[Contact] = []
    students: list[Student] = []
    alerts: list[Alert] = []
    for _ in range(n_families):
        last = rng.choice(names["last"])
        street = f"{rng.randint(100, 4999)} {rng.choice(names['streets'])}, Chicago, IL"
        guardians = []
        for i in range(rng.choice([1, 2, 2])):
            first = rng.choice(names["adults"])
            handle = f"{first}.{last}".lower().replace("'", "")
            guardians.append(
                Contact(
                    id="",
                    family_id="",
                    first_name=first,
                    last_name=last,
                    relation="guardian",
                    email=f"{handle}{rng.randint(1, 99)}@example.{rng.choice(['com', 'org', 'net'])}",
                    phone=f"({rng.choice([312, 773, 872])}) 555-{rng.randint(100, 199):04d}",
                    is_primary=i == 0,
                )
            )
        family = Family(id=new_id(), name=last, email=guardians[0].email, phone=guardians[0].phone, address=street)
        families.append(family)
        for g in guardians:
            g.id, g.family_id = new_id(), family.id
            contacts.append(g)
        for _ in range(rng.choices([1, 2, 3], weights=[45, 40, 15])[0]):
            gender = rng.choice(["F", "M"])
            age_days = rng.randint(2 * 365, 15 * 365)
            students.append(
                Student(
                    id=new_id(),
                    family_id=family.id,
                    first_name=rng.choice(names["girls" if gender == "F" else "boys"]),
                    last_name=last,
                    birth_date=today - dt.timedelta(days=age_days),
                    gender=gender,
                )
            )
        if rng.random() < 0.04:
            alerts.append(Alert(id=new_id(), family_id=family.id, kind="waiver", text="Liability waiver not signed this season"))
        elif rng.random() < 0.02:
            alerts.append(Alert(id=new_id(), family_id=family.id, kind="balance", text="Tuition past due: please see the office"))
    for student in students:
        roll = rng.random()
        if roll < 0.04:
            kind, text = "medical", rng.choice(MEDICAL)
        elif roll < 0.08:
            kind, text = "allergy", rng.choice(ALLERGY)
        else:
            continue
        alerts.append(Alert(id=new_id(), family_id=student.family_id, student_id=student.id, kind=kind, text=text))
    return families, contacts, students, alerts


@dataclass(frozen=True)
class _ClassSpec:
    location_id: str
    name: str
    program: str
    level: str
    times: str
    ages: tuple[int, int]
    capacity: int
    coach: str


def _class_specs(rng: random.Random, names: dict, location_ids: list[str]) -> list[_ClassSpec]:
    specs = []
    for loc_index, location_id in enumerate(location_ids):
        for weekday in range(7):
            slots = WEEKEND_SLOTS if weekday >= 5 else WEEKDAY_SLOTS
            # Three classes a day, every day, at both gyms: whatever today is, the desk has classes.
            chosen = sorted(rng.sample(slots[1:], 2) + [slots[0]]) if weekday < 5 else slots
            for hour, minute, minutes in chosen:
                young = (hour, minute) == slots[0][:2]
                program, levels, lo, hi = PROGRAMS[rng.randint(0, 1)] if young else PROGRAMS[rng.randint(2, len(PROGRAMS) - 1)]
                level = rng.choice(levels)
                coach = names["coaches"][(loc_index * 6 + rng.randint(0, 5)) % len(names["coaches"])]
                specs.append(_ClassSpec(location_id, f"{level} {program}".strip(), program, level,
                                        f"{weekday} {hour:02d}:{minute:02d} {minutes}", (lo, hi),
                                        rng.choice([16, 18, 20, 24]), coach))  # fmt: skip
    return specs


def _enrollments(rng: random.Random, students: list[Student], schedules: list[ClassSchedule], today: dt.date):
    ages = {(p, lvl): (lo, hi) for p, levels, lo, hi in PROGRAMS for lvl in levels}
    fits: dict[str, tuple[int, int]] = {}
    for s in schedules:
        for (program, level), span in ages.items():
            if s.name == f"{level} {program}".strip():
                fits[s.id] = span
    filled = {s.id: 0 for s in schedules}
    enrollments = []
    for student in students:
        age = (today - student.birth_date).days // 365 if student.birth_date else 8
        eligible = [s for s in schedules if fits[s.id][0] <= age <= fits[s.id][1]] or schedules
        open_ = [s for s in eligible if filled[s.id] < s.capacity] or eligible
        picks = rng.sample(open_, min(len(open_), rng.choices([1, 2], weights=[60, 40])[0]))
        if len(picks) == 2 and picks[0].name == picks[1].name:
            # The same class twice (another day or location) would bill its tuition twice: a second
            # class is a different one, as at a real school (no draw from rng: the rest stays as seeded).
            other = [s for s in open_ if s.name != picks[0].name]
            picks = picks[:1] + other[:1]
        for s in picks:
            filled[s.id] += 1
            enrollments.append(
                Enrollment(
                    id=new_id(),
                    student_id=student.id,
                    schedule_id=s.id,
                    start_date=today - dt.timedelta(days=rng.randint(7, 240)),
                )
            )
    return enrollments

