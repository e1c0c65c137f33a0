"""What the desk's money screens read: plain immutable values (sync.money_desk makes them).

Amounts are integer cents; times are aware datetimes in the location's time zone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sync.views import AlertView


@dataclass(frozen=True)
class FamilyHit:
    """One line of the family search."""

    id: str
    name: str
    students: str  # "Emma, Noah"
    guardians: str  # "Jane Lee, Tom Lee"
    balance_cents: int


@dataclass(frozen=True)
class GuardianView:
    name: str
    relation: str
    phone: str
    email: str
    is_primary: bool


@dataclass(frozen=True)
class FamilyStudentView:
    id: str
    name: str
    age: int | None
    active: bool


@dataclass(frozen=True)
class LedgerRow:
    """One ledger line as the family screen shows it, in ledger order."""

    id: str
    kind: str  # charge, payment, credit, void, refund, adjustment
    when: dt.datetime  # made_at in the location's time zone
    business_date: dt.date
    description: str
    method: str  # payments and refunds: cash, check, card_present, card_keyed, terminal, credit
    method_text: str  # "Cash", "Check #1042", "Visa **** 4242", "Terminal", "Account credit"
    amount_cents: int  # signed effect on the balance: charges positive, payments negative
    running_balance_cents: int
    receipt_no: str | None
    open_cents: int  # charges: still to pay
    voided: bool
    refundable_cents: int  # payments: what a refund may still return
    correction: str | None  # "void", "refund" or None: what staff may still do to it today
    pending: bool  # recorded here, not yet confirmed by the server
    reason: str
    staff_name: str


@dataclass(frozen=True)
class OpenCharge:
    id: str
    description: str
    business_date: dt.date
    open_cents: int


@dataclass(frozen=True)
class FamilyView:
    id: str
    name: str
    email: str
    phone: str
    guardians: tuple[GuardianView, ...]
    students: tuple[FamilyStudentView, ...]
    alerts: tuple[AlertView, ...]
    ledger: tuple[LedgerRow, ...]  # oldest first
    open_charges: tuple[OpenCharge, ...]  # oldest first
    balance_cents: int  # what the family owes; negative is a credit
    credit_cents: int  # unapplied money account credit may spend
    currency: str

    @property
    def due_cents(self) -> int:
        return max(0, self.balance_cents)


@dataclass(frozen=True)
class PaymentOutcome:
    """A payment recorded (cash, check, terminal, credit) or approved (card)."""

    entry_id: str
    receipt_no: str
    method: str
    amount_cents: int
    change_cents: int | None  # cash
    card_text: str  # "Visa **** 4242" for cards, "" otherwise
    approval_code: str
    balance_after_cents: int
    pending_sync: bool  # recorded offline or not yet pushed: the receipt says so


@dataclass(frozen=True)
class CorrectionOutcome:
    """A void or refund recorded."""

    entry_id: str
    kind: str  # void or refund
    amount_cents: int
    receipt_no: str | None
    balance_after_cents: int
    pending_sync: bool


@dataclass(frozen=True)
class DrawerExpected:
    """What a drawer should hold at the end of a shift, from this desk's ledger entries."""

    location_id: str
    staff_id: str | None  # whose payments count: one staff member's, or None for everyone at this desk
    period_start: dt.datetime  # aware, location time
    period_end: dt.datetime
    opening_float_cents: int
    cash_in_cents: int  # cash payments
    cash_out_cents: int  # cash refunds and change is already netted: positive cents paid out
    expected_cash_cents: int  # float + cash in - cash out
    check_cents: int
    card_cents: int
    terminal_cents: int
    payments: int  # how many payments in the period
