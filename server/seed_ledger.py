"""Demo money: this month's tuition for every enrollment, and how the families stand with it.

About 60% of families paid in full, a quarter paid part, the rest still owe: paid by cash, check
or card (a card kept as the ledger keeps one: brand and last four only, never a number).
Part of server.seed; deterministic from its random generator.
"""

from __future__ import annotations

import datetime as dt
import random
from zoneinfo import ZoneInfo

from sync.core.ids import new_id
from sync.core.ledger import receipt_number
from sync.core.schema import ClassSchedule, Enrollment, LedgerAllocation, LedgerEntry, Location, Student

# Monthly tuition by program (cents), looked up from the start of the class's name.
TUITION = [("Parent & Tot", 7_500), ("Preschool", 8_500), ("Tiny", 8_500), ("Mini Movers", 8_500), ("Gymnastics", 12_000),
           ("Tumbling", 11_000), ("Ninja", 11_500), ("Cheer", 12_500)]  # fmt: skip
DEFAULT_TUITION = 11_000
CARD_BRANDS = ["Visa", "Visa", "Mastercard", "American Express", "Discover"]
SEED_DESK = "S"  # receipt numbers of seeded payments ("DT-S-000012"): no desk gets this code


def tuition_of(schedule: ClassSchedule) -> int:
    for words, cents in TUITION:
        if words in schedule.name:
            return cents
    return DEFAULT_TUITION


def ledger(
    rng: random.Random, students: list[Student], enrollments: list[Enrollment], schedules: list[ClassSchedule],
    locations: list[Location], today: dt.date,
) -> tuple[list[LedgerEntry], list[LedgerAllocation]]:  # fmt: skip
    """Charges first, then payments (their usns follow in that order), then allocations."""
    month = today.replace(day=1)
    by_student = {s.id: s for s in students}
    by_schedule = {s.id: s for s in schedules}
    codes = {loc.id: loc.code for loc in locations}
    zone = ZoneInfo(locations[0].timezone)
    charges: dict[str, list[LedgerEntry]] = {}
    for e in enrollments:
        student, schedule = by_student[e.student_id], by_schedule[e.schedule_id]
        charges.setdefault(student.family_id, []).append(LedgerEntry(
            id=new_id(), family_id=student.family_id, location_id=schedule.location_id, student_id=student.id,
            kind="charge", category="tuition", description=f"{month:%B} tuition: {student.first_name}, {schedule.name}",
            amount_cents=tuition_of(schedule), staff_id="", desk_id="", made_at=_utc(month, dt.time(7), zone),
            business_date=month,
        ))  # fmt: skip
    payments: list[LedgerEntry] = []
    allocations: list[LedgerAllocation] = []
    for family_id, owed in charges.items():
        roll = rng.random()
        total = sum(c.amount_cents for c in owed)
        if roll < 0.60:
            amount = total
        elif roll < 0.85:
            amount = max(1_000, total * rng.randint(3, 7) // 10 // 500 * 500)  # a round part of it
        else:
            continue  # balance due
        day = month + dt.timedelta(days=rng.randint(0, max(0, (today - month).days - 1)))
        pay = _payment(rng, family_id, owed[0].location_id, amount, day, zone, len(payments) + 1, codes)
        payments.append(pay)
        left = amount
        for c in owed:  # oldest first, as the desk would apply it
            take = min(left, c.amount_cents)
            if take <= 0:
                break
            allocations.append(LedgerAllocation(id=new_id(), family_id=family_id, payment_id=pay.id, charge_id=c.id, amount_cents=take))
            left -= take
    return [c for owed in charges.values() for c in owed] + payments, allocations


def _payment(rng: random.Random, family_id: str, location_id: str, amount: int, day: dt.date, zone: ZoneInfo,
             counter: int, codes: dict[str, str]) -> LedgerEntry:  # fmt: skip
    method = rng.choices(["cash", "check", "card_present", "card_keyed"], weights=[30, 25, 38, 7])[0]
    fields: dict = {}
    if method == "cash":
        tendered = -(-amount // 2_000) * 2_000  # rounded up to the next $20 bill
        fields = {"tendered_cents": tendered, "change_cents": tendered - amount}
    elif method == "check":
        fields = {"check_number": str(rng.randint(1001, 9999))}
    else:
        fields = {"card_brand": rng.choice(CARD_BRANDS), "card_last4": f"{rng.randint(0, 9999):04d}",
                  "approval_code": "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(6)),
                  "gateway_ref": ""}  # fmt: skip
    entry_id = new_id()
    if method != "cash" and method != "check":  # the sandbox knows it by this (server.seed adds the sales)
        fields["gateway_ref"] = f"seed_{entry_id.replace('-', '')}"
    return LedgerEntry(
        id=entry_id, family_id=family_id, location_id=location_id, kind="payment", description="Tuition payment",
        amount_cents=-amount, method=method, receipt_no=receipt_number(codes[location_id], SEED_DESK, counter),
        staff_id="", desk_id="", made_at=_utc(day, dt.time(rng.randint(15, 18), rng.choice([0, 15, 30, 45])), zone),
        business_date=day, **fields,
    )  # fmt: skip


def _utc(day: dt.date, at: dt.time, zone: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, at, tzinfo=zone).astimezone(dt.UTC).replace(tzinfo=None)
