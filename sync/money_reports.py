"""Money reports over the desk's cache: family statement, end of day (bank deposit) and drawer counts.

Like sync.reports they read only the local cache, so they work offline and say how current they
are; every figure comes from sync.core.ledger, the same arithmetic the family screen and the server
use, so a statement never disagrees with the balance on screen. Integer cents throughout.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from sync.core.ledger import summarize
from sync.queries import NotFound
from sync.core.schema import DrawerCount, Family, LedgerAllocation, LedgerEntry, Location, Staff

METHOD_WORDS = {
    "cash": "Cash", "check": "Check", "card_present": "Card (swiped)", "card_keyed": "Card (keyed)",
    "terminal": "Card terminal", "credit": "Account credit",
}  # fmt: skip


def method_detail(e: LedgerEntry) -> str:
    """What identifies a payment on a deposit slip: the check number, the card's brand and last four."""
    if e.method == "check":
        return f"Check #{e.check_number}" if e.check_number else "Check"
    if e.method in ("card_present", "card_keyed"):
        return f"{e.card_brand or 'Card'} **** {e.card_last4}" + (f" (approval {e.approval_code})" if e.approval_code else "")
    return METHOD_WORDS.get(e.method, e.method)


@dataclass(frozen=True)
class StatementRow:
    business_date: dt.date
    description: str
    kind: str
    detail: str  # method, receipt number, reason
    amount_cents: int  # signed effect on the balance
    balance_cents: int  # running balance after this row
    pending: bool


@dataclass(frozen=True)
class FamilyStatement:
    family_name: str
    start: dt.date
    end: dt.date
    opening_cents: int  # balance before `start`
    rows: tuple[StatementRow, ...]
    closing_cents: int  # balance at the end of `end`
    charged_cents: int
    paid_cents: int  # payments and credits, net of refunds and voids, as positive cents


def family_statement(s: Session, family_id: str, start: dt.date, end: dt.date) -> FamilyStatement:
    family = s.get(Family, family_id)
    if family is None:
        raise NotFound(f"no family {family_id}")
    entries = s.exec(select(LedgerEntry).where(LedgerEntry.family_id == family_id)).all()
    allocations = s.exec(select(LedgerAllocation).where(LedgerAllocation.family_id == family_id)).all()
    ledger = summarize(entries, allocations)
    # A statement is by business date; within a day, the ledger's own (server) order.
    ordered = sorted(ledger.entries, key=lambda st: st.entry.business_date)
    kinds = {st.entry.id: st.entry.kind for st in ordered}
    opening = sum(st.entry.amount_cents for st in ordered if st.entry.business_date < start)
    balance, rows, charged, paid = opening, [], 0, 0
    for st in ordered:
        e = st.entry
        if not (start <= e.business_date <= end):
            continue
        balance += e.amount_cents
        target = kinds.get(e.corrects_id or "")
        if e.kind in ("charge", "adjustment") or (e.kind == "void" and target == "charge"):
            charged += e.amount_cents
        else:
            paid -= e.amount_cents
        detail = method_detail(e) if e.kind in ("payment", "refund") else (e.reason or "")
        if e.receipt_no:
            detail = f"{detail} · receipt {e.receipt_no}"
        rows.append(StatementRow(e.business_date, e.description or e.kind.title(), e.kind, detail, e.amount_cents,
                                 balance, e.usn is None))  # fmt: skip
    return FamilyStatement(family.name, start, end, opening, tuple(rows), balance, charged, paid)


@dataclass(frozen=True)
class DayLine:
    when: dt.datetime  # aware, location time
    family_name: str
    receipt_no: str
    detail: str
    amount_cents: int  # money in positive, money out (refunds) negative
    staff_name: str
    pending: bool
    voided: bool


@dataclass(frozen=True)
class MethodTotal:
    method: str
    words: str
    count: int
    in_cents: int
    out_cents: int  # refunds, positive cents

    @property
    def net_cents(self) -> int:
        return self.in_cents - self.out_cents


@dataclass(frozen=True)
class EndOfDay:
    location_name: str
    day: dt.date
    lines: dict[str, tuple[DayLine, ...]]  # by method, in the order of METHOD_WORDS
    totals: tuple[MethodTotal, ...]
    voided: tuple[DayLine, ...]  # payments voided the same day: not in the totals
    deposit_cents: int  # cash + checks to take to the bank

    @property
    def net_cents(self) -> int:
        return sum(t.net_cents for t in self.totals if t.method != "credit")


def end_of_day(s: Session, location_id: str, day: dt.date) -> EndOfDay:
    """Money taken and paid back at a location on a business day, by method: the deposit slip."""
    location = s.get(Location, location_id)
    if location is None:
        raise NotFound(f"no location {location_id}")
    zone = ZoneInfo(location.timezone)
    rows = s.exec(
        select(LedgerEntry).where(
            LedgerEntry.location_id == location_id, LedgerEntry.business_date == day,
            col(LedgerEntry.kind).in_(["payment", "refund", "void"]),
        )
    ).all()  # fmt: skip
    voided_ids = {e.corrects_id for e in rows if e.kind == "void"}
    families = {f.id: f.name for f in s.exec(select(Family).where(col(Family.id).in_({e.family_id for e in rows})))}
    staff = {p.id: p.display_name for p in s.exec(select(Staff))}
    by_method: dict[str, list[DayLine]] = defaultdict(list)
    voided: list[DayLine] = []
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for e in sorted(rows, key=lambda r: r.made_at):
        if e.kind == "void":
            continue
        amount = -e.amount_cents  # payments are negative on the ledger: money in is positive here
        if e.kind == "payment" and e.method == "credit":
            amount = 0
        line = DayLine(
            when=e.made_at.replace(tzinfo=dt.UTC).astimezone(zone), family_name=families.get(e.family_id, ""),
            receipt_no=e.receipt_no or "", detail=method_detail(e) + (f" · {e.reason}" if e.kind == "refund" else ""),
            amount_cents=amount, staff_name=staff.get(e.staff_id, ""), pending=e.usn is None, voided=e.id in voided_ids,
        )  # fmt: skip
        if line.voided:
            voided.append(line)
            continue
        by_method[e.method].append(line)
        c = counts[e.method]
        c[0] += 1
        if amount >= 0:
            c[1] += amount
        else:
            c[2] -= amount
    order = [m for m in METHOD_WORDS if m in by_method]
    totals = tuple(MethodTotal(m, METHOD_WORDS[m], *counts[m]) for m in order)
    deposit = sum(t.net_cents for t in totals if t.method in ("cash", "check"))
    return EndOfDay(location.name, day, {m: tuple(by_method[m]) for m in order}, totals, tuple(voided), deposit)


@dataclass(frozen=True)
class DrawerCountView:
    staff_name: str
    counted_at: dt.datetime  # aware, location time
    period_start: dt.datetime
    period_end: dt.datetime
    opening_float_cents: int
    expected_cash_cents: int
    counted_cash_cents: int
    difference_cents: int
    expected_check_cents: int
    expected_card_cents: int
    expected_terminal_cents: int
    note: str
    pending: bool


def drawer_counts(s: Session, location_id: str, day: dt.date) -> tuple[DrawerCountView, ...]:
    """The drawer counts saved at a location on a (local) day, oldest first."""
    location = s.get(Location, location_id)
    if location is None:
        raise NotFound(f"no location {location_id}")
    zone = ZoneInfo(location.timezone)
    start = dt.datetime.combine(day, dt.time(), zone).astimezone(dt.UTC).replace(tzinfo=None)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), zone).astimezone(dt.UTC).replace(tzinfo=None)
    staff = {p.id: p.display_name for p in s.exec(select(Staff))}
    rows = s.exec(
        select(DrawerCount).where(DrawerCount.location_id == location_id, col(DrawerCount.counted_at) >= start,
                                  col(DrawerCount.counted_at) < end).order_by(col(DrawerCount.counted_at))
    ).all()  # fmt: skip
    local = lambda t: t.replace(tzinfo=dt.UTC).astimezone(zone)  # noqa: E731
    return tuple(
        DrawerCountView(staff.get(r.staff_id, ""), local(r.counted_at), local(r.period_start), local(r.period_end),
                        r.opening_float_cents, r.expected_cash_cents, r.counted_cash_cents, r.difference_cents,
                        r.expected_check_cents, r.expected_card_cents, r.expected_terminal_cents, r.note, r.usn is None)
        for r in rows
    )  # fmt: skip
