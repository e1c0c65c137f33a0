"""Money changes: charges, payments, voids, refunds, adjustments, credits and drawer counts.

Like `sync.core.mutations`, these appliers run on the server (in the account transaction) and on the
desk (against the cache, when the change is made and when pending work is re-applied). Ledger
rows are facts: an entry whose id is already on file is not written again, so a replay changes
nothing. Every check that guards money is made here, once, for both sides: an amount that is
not a positive whole number of cents, a payment applied to another family's charge, a refund
beyond what the payment still holds, a second void. Card payments never come through here as
mutations: they need the gateway, so the server's payment routes call `write_payment`,
`write_void` and `write_refund` directly with what the gateway answered.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlmodel import Session, select

from sync.core.ledger import MAX_CENTS, EntryState, correction_for, summarize, void_amount
from sync.core.schema import (
    CARD_METHODS,
    DrawerCount,
    Family,
    LedgerAllocation,
    LedgerEntry,
    Location,
    Student,
    SyncedRecord,
)
from sync.core.wire import Mutation, UtcDateTime
from sync.core.rejections import Rejected

NextUsn = Callable[[], int | None]
Cents = Annotated[int, Field(strict=True, gt=0, le=MAX_CENTS)]  # strict: 45.0 is refused, never rounded
SignedCents = Annotated[int, Field(strict=True, ge=-MAX_CENTS, le=MAX_CENTS)]
Id = Annotated[str, Field(min_length=1, max_length=36)]
Reason = Annotated[str, Field(min_length=1, max_length=500)]


class _Payload(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AllocationIn(_Payload):
    allocation_id: Id
    charge_id: Id
    amount_cents: Cents


class ChargePayload(_Payload):
    entry_id: Id
    family_id: Id
    location_id: Id
    student_id: Id | None = None
    category: Literal["tuition", "registration", "drop_in", "fee", "other"]
    description: str = Field(min_length=1, max_length=200)
    amount_cents: Cents
    business_date: dt.date


class PaymentPayload(_Payload):
    """Money taken at the desk without the card network: cash, check, an external terminal, or
    the family's own account credit. `amount_cents` is what the payment comes to (for credit:
    how much credit it spends); `allocations` say which charges it pays, the rest is credit."""

    entry_id: Id
    family_id: Id
    location_id: Id
    method: Literal["cash", "check", "terminal", "credit"]
    amount_cents: Cents
    receipt_no: str = Field(min_length=1, max_length=32)
    check_number: str = Field(default="", max_length=32)
    tendered_cents: Cents | None = None
    allocations: list[AllocationIn] = Field(default_factory=list, max_length=200)
    description: str = Field(default="", max_length=200)
    business_date: dt.date

    @model_validator(mode="after")
    def _method_fields(self) -> "PaymentPayload":
        if self.method == "cash":
            if self.tendered_cents is not None and self.tendered_cents < self.amount_cents:
                raise ValueError("cash tendered is less than the amount")
        elif self.tendered_cents is not None:
            raise ValueError("tendered is for cash only")
        if self.method == "check" and not self.check_number.strip():
            raise ValueError("a check payment needs the check number")
        if sum(a.amount_cents for a in self.allocations) > self.amount_cents:
            raise ValueError("the payment is applied to more than its amount")
        if len({a.charge_id for a in self.allocations}) != len(self.allocations):
            raise ValueError("a charge is named twice")
        return self


class CreditPayload(_Payload):
    """Account credit given by the business (goodwill, a class cancelled): no money moved."""

    entry_id: Id
    family_id: Id
    location_id: Id
    amount_cents: Cents
    reason: Reason
    business_date: dt.date


class VoidPayload(_Payload):
    entry_id: Id  # the void's own id
    corrects_id: Id
    family_id: Id
    location_id: Id
    reason: Reason
    business_date: dt.date  # the desk's business day: a payment is voided only on its own day


class RefundPayload(_Payload):
    entry_id: Id
    corrects_id: Id
    family_id: Id
    location_id: Id
    amount_cents: Cents
    receipt_no: str = Field(min_length=1, max_length=32)
    reason: Reason
    business_date: dt.date


class AdjustPayload(_Payload):
    """A charge's amount corrected up or down (a discount, a pro-rated month)."""

    entry_id: Id
    corrects_id: Id
    family_id: Id
    location_id: Id
    amount_cents: SignedCents
    reason: Reason
    business_date: dt.date

    @model_validator(mode="after")
    def _not_zero(self) -> "AdjustPayload":
        if self.amount_cents == 0:
            raise ValueError("an adjustment of zero changes nothing")
        return self


class DrawerCountPayload(_Payload):
    count_id: Id
    location_id: Id
    period_start: UtcDateTime
    period_end: UtcDateTime
    opening_float_cents: Annotated[int, Field(strict=True, ge=0, le=MAX_CENTS)] = 0
    expected_cash_cents: SignedCents
    expected_check_cents: SignedCents = 0
    expected_card_cents: SignedCents = 0
    expected_terminal_cents: SignedCents = 0
    counted_cash_cents: Annotated[int, Field(strict=True, ge=0, le=MAX_CENTS)]
    note: str = Field(default="", max_length=500)


CHARGE_POST = "charge.post"
PAYMENT_RECORD = "payment.record"
LEDGER_CREDIT = "ledger.credit"
VOID_ENTRY = "void.entry"
REFUND_RECORD = "refund.record"
LEDGER_ADJUST = "ledger.adjust"
DRAWER_COUNT = "drawer.count"
PAYLOADS: dict[str, type[_Payload]] = {
    CHARGE_POST: ChargePayload,
    PAYMENT_RECORD: PaymentPayload,
    LEDGER_CREDIT: CreditPayload,
    VOID_ENTRY: VoidPayload,
    REFUND_RECORD: RefundPayload,
    LEDGER_ADJUST: AdjustPayload,
    DRAWER_COUNT: DrawerCountPayload,
}


def apply_ledger(db: Session, m: Mutation, payload: _Payload, next_usn: NextUsn) -> list[SyncedRecord]:
    by = _By(m.staff_id, m.desk_id, m.made_at)
    if isinstance(payload, ChargePayload):
        return _charge(db, by, payload, next_usn)
    if isinstance(payload, PaymentPayload):
        return write_payment(db, by, payload, next_usn)
    if isinstance(payload, CreditPayload):
        return _credit(db, by, payload, next_usn)
    if isinstance(payload, VoidPayload):
        return write_void(db, by, payload, next_usn, card_voided=False)
    if isinstance(payload, RefundPayload):
        return write_refund(db, by, payload, next_usn, card_refund=None)
    if isinstance(payload, AdjustPayload):
        return _adjust(db, by, payload, next_usn)
    if isinstance(payload, DrawerCountPayload):
        return _drawer_count(db, by, payload, next_usn)
    raise Rejected("invalid", "Unknown kind of money change.")


class _By:
    """Who made a change, where and when (the mutation's header, or the server route's caller)."""

    def __init__(self, staff_id: str, desk_id: str, made_at: dt.datetime):
        self.staff_id, self.desk_id, self.made_at = staff_id, desk_id, made_at


def made_by(staff_id: str, desk_id: str, made_at: dt.datetime) -> _By:
    return _By(staff_id, desk_id, made_at)


def _family(db: Session, family_id: str, location_id: str) -> Family:
    family = db.get(Family, family_id)
    if family is None:
        raise Rejected("not_found", "This family is no longer on file; nothing was recorded.")
    if db.get(Location, location_id) is None:
        raise Rejected("not_found", "This location is no longer on file; nothing was recorded.")
    return family


def family_ledger(db: Session, family_id: str):
    """The family's LedgerSummary from what `db` holds (cache or account database)."""
    entries = db.exec(select(LedgerEntry).where(LedgerEntry.family_id == family_id)).all()
    allocations = db.exec(select(LedgerAllocation).where(LedgerAllocation.family_id == family_id)).all()
    return summarize(entries, allocations)


def _entry(by: _By, usn: int | None, **fields) -> LedgerEntry:
    return LedgerEntry(usn=usn, staff_id=by.staff_id, desk_id=by.desk_id, made_at=by.made_at, **fields)


def _receipt_free(db: Session, receipt_no: str, entry_id: str) -> None:
    other = db.exec(select(LedgerEntry.id).where(LedgerEntry.receipt_no == receipt_no)).first()
    if other is not None and other != entry_id:
        raise Rejected("invalid", f"Receipt number {receipt_no} is already used; the payment was not recorded.")


def _charge(db: Session, by: _By, p: ChargePayload, next_usn: NextUsn) -> list[SyncedRecord]:
    if db.get(LedgerEntry, p.entry_id) is not None:
        return []
    _family(db, p.family_id, p.location_id)
    if p.student_id is not None:
        student = db.get(Student, p.student_id)
        if student is None or student.family_id != p.family_id:
            raise Rejected("invalid", "That student is not in this family; the charge was not posted.")
    row = _entry(by, next_usn(), id=p.entry_id, family_id=p.family_id, location_id=p.location_id,
                 student_id=p.student_id, kind="charge", category=p.category, description=p.description.strip(),
                 amount_cents=p.amount_cents, business_date=p.business_date)  # fmt: skip
    db.add(row)
    return [row]


class CardResult(BaseModel):
    """What the gateway said of an approved card payment: all a ledger keeps of a card."""

    method: Literal["card_present", "card_keyed"]
    brand: str = Field(max_length=20)
    last4: str = Field(pattern=r"^\d{4}$")
    approval_code: str = Field(max_length=32)
    gateway_ref: str = Field(min_length=1, max_length=64)


def write_payment(
    db: Session, by: _By, p: PaymentPayload, next_usn: NextUsn, card: CardResult | None = None
) -> list[SyncedRecord]:
    """A payment and its allocations. `card` is given only by the server's card route, after the
    gateway approved; `p.method` is then ignored for the card's own method."""
    if db.get(LedgerEntry, p.entry_id) is not None:
        return []  # already recorded: a replay, or the card route's retry after a lost answer
    _family(db, p.family_id, p.location_id)
    _receipt_free(db, p.receipt_no, p.entry_id)
    ledger = family_ledger(db, p.family_id)
    for a in p.allocations:
        charge = ledger.state(a.charge_id)
        if charge is None or charge.entry.kind != "charge":
            raise Rejected("invalid", "The payment was applied to a charge that is not this family's; nothing was recorded.")
    method = card.method if card is not None else p.method
    if method == "credit" and p.amount_cents > ledger.credit_cents:
        raise Rejected("invalid", "The family does not have that much account credit; nothing was recorded.")
    if method == "credit" and sum(a.amount_cents for a in p.allocations) != p.amount_cents:
        raise Rejected("invalid", "Account credit must be applied to charges in full; nothing was recorded.")
    change = (p.tendered_cents - p.amount_cents) if method == "cash" and p.tendered_cents is not None else None
    row = _entry(
        by, next_usn(), id=p.entry_id, family_id=p.family_id, location_id=p.location_id, kind="payment",
        description=p.description.strip(), amount_cents=0 if method == "credit" else -p.amount_cents, method=method,
        receipt_no=p.receipt_no, check_number=p.check_number.strip() if method == "check" else "",
        tendered_cents=p.tendered_cents if method == "cash" else None, change_cents=change,
        card_brand=card.brand if card else "", card_last4=card.last4 if card else "",
        approval_code=card.approval_code if card else "", gateway_ref=card.gateway_ref if card else "",
        business_date=p.business_date,
    )  # fmt: skip
    db.add(row)
    written: list[SyncedRecord] = [row]
    for a in p.allocations:
        alloc = LedgerAllocation(id=a.allocation_id, usn=next_usn(), family_id=p.family_id, payment_id=p.entry_id,
                                 charge_id=a.charge_id, amount_cents=a.amount_cents)  # fmt: skip
        db.add(alloc)
        written.append(alloc)
    return written


def _credit(db: Session, by: _By, p: CreditPayload, next_usn: NextUsn) -> list[SyncedRecord]:
    if db.get(LedgerEntry, p.entry_id) is not None:
        return []
    _family(db, p.family_id, p.location_id)
    row = _entry(by, next_usn(), id=p.entry_id, family_id=p.family_id, location_id=p.location_id, kind="credit",
                 description="Account credit", amount_cents=-p.amount_cents, reason=p.reason.strip(),
                 business_date=p.business_date)  # fmt: skip
    db.add(row)
    return [row]


def _target(db: Session, family_id: str, location_id: str, corrects_id: str) -> EntryState:
    _family(db, family_id, location_id)
    state = family_ledger(db, family_id).state(corrects_id)
    if state is None:
        raise Rejected("not_found", "That ledger entry is not this family's or is no longer on file; nothing was recorded.")
    return state


def write_void(db: Session, by: _By, p: VoidPayload, next_usn: NextUsn, *, card_voided: bool) -> list[SyncedRecord]:
    """Void an entry on its business day. A card payment is voided only by the server's card
    route after the gateway voided it (`card_voided`)."""
    if db.get(LedgerEntry, p.entry_id) is not None:
        return []
    target = _target(db, p.family_id, p.location_id, p.corrects_id)
    if target.voided:
        raise Rejected("invalid", "This entry was already voided; nothing more was recorded.")
    if target.entry.method in CARD_METHODS and not card_voided:
        raise Rejected("invalid", "A card payment is voided through the card network, online only; nothing was recorded.")
    what = correction_for(target, p.business_date)
    if what != "void":
        if target.entry.kind in ("void", "refund", "adjustment"):
            raise Rejected("invalid", "A correction cannot be voided; post an adjustment instead.")
        raise Rejected("invalid", "This payment is from an earlier day and can no longer be voided: refund it instead.")
    e = target.entry
    row = _entry(by, next_usn(), id=p.entry_id, family_id=p.family_id, location_id=p.location_id, kind="void",
                 description=f"Void: {e.description or e.kind}", amount_cents=void_amount(target),
                 corrects_id=e.id, method=e.method, reason=p.reason.strip(), business_date=p.business_date)  # fmt: skip
    db.add(row)
    return [row]


def write_refund(
    db: Session, by: _By, p: RefundPayload, next_usn: NextUsn, *, card_refund: CardResult | None
) -> list[SyncedRecord]:
    """Refund part or all of a payment. Cash, check and terminal refunds are recorded only; a card
    refund comes from the server's card route with what the gateway answered (`card_refund`)."""
    if db.get(LedgerEntry, p.entry_id) is not None:
        return []
    target = _target(db, p.family_id, p.location_id, p.corrects_id)
    e = target.entry
    if e.kind != "payment" or e.method == "credit":
        raise Rejected("invalid", "Only a payment can be refunded; nothing was recorded.")
    if e.method in CARD_METHODS and card_refund is None:
        raise Rejected("invalid", "A card payment is refunded through the card network, online only; nothing was recorded.")
    if target.voided:
        raise Rejected("invalid", "This payment was voided; there is nothing to refund.")
    if p.amount_cents > target.refundable_cents:
        raise Rejected("invalid", "That is more than this payment can still refund; nothing was recorded.")
    _receipt_free(db, p.receipt_no, p.entry_id)
    row = _entry(by, next_usn(), id=p.entry_id, family_id=p.family_id, location_id=p.location_id, kind="refund",
                 description=f"Refund: {e.description or 'payment'}", amount_cents=p.amount_cents, corrects_id=e.id,
                 method=e.method, receipt_no=p.receipt_no, reason=p.reason.strip(), business_date=p.business_date,
                 card_brand=e.card_brand, card_last4=e.card_last4,
                 approval_code=card_refund.approval_code if card_refund else "",
                 gateway_ref=card_refund.gateway_ref if card_refund else "")  # fmt: skip
    db.add(row)
    return [row]


def _adjust(db: Session, by: _By, p: AdjustPayload, next_usn: NextUsn) -> list[SyncedRecord]:
    if db.get(LedgerEntry, p.entry_id) is not None:
        return []
    target = _target(db, p.family_id, p.location_id, p.corrects_id)
    if target.entry.kind != "charge" or target.voided:
        raise Rejected("invalid", "Only a charge that stands can be adjusted; nothing was recorded.")
    if target.owed_cents + p.amount_cents < 0:
        raise Rejected("invalid", "The adjustment would take the charge below zero; nothing was recorded.")
    row = _entry(by, next_usn(), id=p.entry_id, family_id=p.family_id, location_id=p.location_id, kind="adjustment",
                 description=f"Adjustment: {target.entry.description}", amount_cents=p.amount_cents,
                 corrects_id=target.entry.id, reason=p.reason.strip(), business_date=p.business_date)  # fmt: skip
    db.add(row)
    return [row]


def _drawer_count(db: Session, by: _By, p: DrawerCountPayload, next_usn: NextUsn) -> list[SyncedRecord]:
    if db.get(DrawerCount, p.count_id) is not None:
        return []
    if db.get(Location, p.location_id) is None:
        raise Rejected("not_found", "This location is no longer on file; the count was not recorded.")
    if p.period_end < p.period_start:
        raise Rejected("invalid", "The shift ends before it starts; the count was not recorded.")
    row = DrawerCount(
        id=p.count_id, usn=next_usn(), location_id=p.location_id, desk_id=by.desk_id, staff_id=by.staff_id,
        period_start=p.period_start, period_end=p.period_end, opening_float_cents=p.opening_float_cents,
        expected_cash_cents=p.expected_cash_cents, expected_check_cents=p.expected_check_cents,
        expected_card_cents=p.expected_card_cents, expected_terminal_cents=p.expected_terminal_cents,
        counted_cash_cents=p.counted_cash_cents, difference_cents=p.counted_cash_cents - p.expected_cash_cents,
        note=p.note.strip(), counted_at=by.made_at,
    )  # fmt: skip
    db.add(row)
    return [row]
