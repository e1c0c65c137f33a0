"""A family's ledger worked out from its immutable entries: balance, open charges, credit, and
what each entry may still have done to it (void, refund).

Pure functions over `LedgerEntry` and `LedgerAllocation` rows, the same on the desk (from its
cache, pending rows included) and on the server (from the account database), so both sides
agree on every figure. Money is integer cents; a float anywhere here is a bug
(tests/sync/test_no_float_money.py).

Order is the server's: rows with a usn come first by usn, rows still pending at a desk
(usn None) after them in the order given. Allocations are capped in that order, so when two
desks pay the same charge offline, the first payment the server ordered pays it and the second
becomes credit.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from sync.core.schema import LedgerAllocation, LedgerEntry

MONEY_KINDS_IN = frozenset({"payment", "credit"})  # money (or goodwill) the family handed over
MAX_CENTS = 100_000_000  # $1,000,000.00: far beyond any front-desk amount, far inside int64


class MoneyError(ValueError):
    """An amount a person typed that is not money ("abc", "12.345", "-5")."""


_MONEY = re.compile(r"^\s*\$?\s*(\d{1,3}(?:,\d{3})+|\d*)(?:\.(\d{0,2}))?\s*$")


def parse_money(text: str, *, allow_zero: bool = False) -> int:
    """What a person typed as money, in cents: "45" -> 4500, "45.5" -> 4550, "$1,045.50" -> 104550.

    Never goes through a float. Raises MoneyError with words for the desk.
    """
    m = _MONEY.match(text or "")
    if m is None or (not m.group(1) and not m.group(2)):
        raise MoneyError(f"“{text.strip()}” is not an amount. Type it like 45 or 45.50.")
    whole = int(m.group(1).replace(",", "") or "0")
    frac = (m.group(2) or "").ljust(2, "0")
    cents = whole * 100 + int(frac or "0")
    if cents == 0 and not allow_zero:
        raise MoneyError("The amount must be more than zero.")
    if cents > MAX_CENTS:
        raise MoneyError("That amount is too large for the front desk.")
    return cents


def receipt_number(location_code: str, desk_code: str, counter: int) -> str:
    """A receipt number unique in the account, made at the desk (offline too): "DT-D3-000042".

    The location's code, the desk's code (handed out by the server when the desk first signed in,
    unique in the account) and the desk's own counter, kept in its outbox file.
    """
    if counter < 1:
        raise ValueError("receipt counters start at 1")
    loc = re.sub(r"[^A-Z0-9]", "", location_code.upper())[:8] or "LOC"
    desk = re.sub(r"[^A-Z0-9]", "", desk_code.upper())[:8] or "D"
    return f"{loc}-{desk}-{counter:06d}"


def server_order(rows: Iterable[LedgerEntry | LedgerAllocation]) -> list:
    """Rows in the order the server applied them; rows pending at a desk last, as given."""
    rows = list(rows)
    confirmed = sorted((r for r in rows if r.usn is not None), key=lambda r: (r.usn, r.id))
    return confirmed + [r for r in rows if r.usn is None]


@dataclass
class EntryState:
    """One entry with what later entries did to it."""

    entry: LedgerEntry
    voided_by: str | None = None  # id of the void entry
    refunded_cents: int = 0  # payments: sum of refunds (positive cents)
    adjusted_cents: int = 0  # sum of adjustments pointing at it (signed effect)
    paid_cents: int = 0  # charges: allocations that count, after caps
    applied_cents: int = 0  # payments/credits: how much of it pays charges, after caps
    running_balance_cents: int = 0  # balance after this entry, in ledger order

    @property
    def voided(self) -> bool:
        return self.voided_by is not None

    @property
    def received_cents(self) -> int:
        """Payments and credits: money still held for the family (after refunds and a void)."""
        if self.entry.kind not in MONEY_KINDS_IN or self.voided or self.entry.method == "credit":
            return 0
        return -self.entry.amount_cents - self.refunded_cents

    @property
    def owed_cents(self) -> int:
        """Charges: what the charge comes to after a void and adjustments."""
        if self.entry.kind != "charge" or self.voided:
            return 0
        return self.entry.amount_cents + self.adjusted_cents

    @property
    def open_cents(self) -> int:
        """Charges: what is still to pay."""
        return max(0, self.owed_cents - self.paid_cents)

    @property
    def refundable_cents(self) -> int:
        """Payments: what a refund may still return."""
        if self.entry.kind != "payment" or self.voided or self.entry.method == "credit":
            return 0
        return -self.entry.amount_cents - self.refunded_cents


@dataclass
class LedgerSummary:
    entries: list[EntryState] = field(default_factory=list)  # in ledger order, with running balance
    balance_cents: int = 0  # what the family owes; negative is a credit

    def state(self, entry_id: str) -> EntryState | None:
        for e in self.entries:
            if e.entry.id == entry_id:
                return e
        return None

    @property
    def open_charges(self) -> list[EntryState]:
        """Charges still owing something, oldest first (the order "oldest first" pays them)."""
        return [e for e in self.entries if e.entry.kind == "charge" and e.open_cents > 0]

    @property
    def open_cents(self) -> int:
        return sum(e.open_cents for e in self.entries)

    @property
    def credit_cents(self) -> int:
        """Money held for the family and not applied to any charge: what "account credit" may spend."""
        return max(0, self.open_cents - self.balance_cents)

    @property
    def due_cents(self) -> int:
        return max(0, self.balance_cents)


def summarize(entries: Iterable[LedgerEntry], allocations: Iterable[LedgerAllocation] = ()) -> LedgerSummary:
    """The family's ledger from its rows (one family's; other families' rows are a caller bug)."""
    ordered: list[LedgerEntry] = server_order(entries)
    states = {e.id: EntryState(e) for e in ordered}
    balance = 0
    for e in ordered:
        balance += e.amount_cents
        states[e.id].running_balance_cents = balance
        target = states.get(e.corrects_id) if e.corrects_id else None
        if target is None:
            continue
        if e.kind == "void" and target.voided_by is None:
            target.voided_by = e.id
        elif e.kind == "refund":
            target.refunded_cents += e.amount_cents
        elif e.kind == "adjustment":
            target.adjusted_cents += e.amount_cents

    # Allocations count in server order, each capped by what its payment still holds and what its
    # charge still owes; account-credit payments draw from the family's unapplied money.
    spendable = {s.entry.id: s.received_cents for s in states.values() if s.entry.kind in MONEY_KINDS_IN}
    for a in server_order(allocations):
        charge, payment = states.get(a.charge_id), states.get(a.payment_id)
        if charge is None or payment is None or charge.entry.kind != "charge" or a.amount_cents <= 0:
            continue
        if payment.voided:
            continue
        room = charge.open_cents
        if payment.entry.method == "credit":
            take = min(a.amount_cents, room, sum(spendable.values()))
            charge.paid_cents += take
            payment.applied_cents += take
            for pid in spendable:  # the oldest unapplied money pays first
                if take <= 0:
                    break
                d = min(spendable[pid], take)
                spendable[pid] -= d
                take -= d
            continue
        take = min(a.amount_cents, room, spendable.get(payment.entry.id, 0))
        if take <= 0:
            continue
        spendable[payment.entry.id] -= take
        charge.paid_cents += take
        payment.applied_cents += take
    return LedgerSummary(entries=[states[e.id] for e in ordered], balance_cents=balance)


@dataclass(frozen=True)
class Allocation:
    charge_id: str
    amount_cents: int


def allocate(summary: LedgerSummary, amount_cents: int, charge_ids: Sequence[str] = ()) -> list[Allocation]:
    """How a payment of `amount_cents` pays charges: the chosen ones in the order given, or the
    oldest open charges first. What is left over is not allocated: it becomes credit."""
    if charge_ids:
        targets = []
        for cid in charge_ids:
            s = summary.state(cid)
            if s is None or s.entry.kind != "charge":
                raise LookupError(cid)
            targets.append(s)
    else:
        targets = summary.open_charges
    left = amount_cents
    out: list[Allocation] = []
    for s in targets:
        if left <= 0:
            break
        take = min(left, s.open_cents)
        if take > 0:
            out.append(Allocation(s.entry.id, take))
            left -= take
    return out


Correction = Literal["void", "refund"]


def correction_for(state: EntryState, today: dt.date) -> Correction | None:
    """What may still be done to an entry: a void on its own business day (the card has not
    settled; a charge may be voided any day), a refund after that (payments only), or nothing."""
    e = state.entry
    if state.voided or e.kind in ("void", "refund", "adjustment"):
        return None
    if e.kind in ("charge", "credit") or e.method == "credit":
        return "void"  # no money moved: voiding is always possible (what it paid becomes open again)
    if e.business_date == today and state.refunded_cents == 0:
        return "void"
    return "refund" if state.refundable_cents > 0 else None


def void_amount(state: EntryState) -> int:
    """The amount of a void of this entry: the exact negation of what it still does to the balance."""
    e = state.entry
    if e.kind == "charge":
        return -(e.amount_cents + state.adjusted_cents)
    return -e.amount_cents
