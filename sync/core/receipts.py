"""A receipt's facts from the ledger: the one place a payment or refund becomes a `ReceiptData`.

Both sides fill receipts from the same rows: the desk from its cache (printed at the counter,
offline too, then marked "pending sync" while the payment is not confirmed), the server from the
account database (emailed receipts). printing/ renders whatever this returns and never sees a
record or a session.
"""

from __future__ import annotations

from sqlmodel import Session, select

from sync.core.receipt_data import PaymentMethod, ReceiptData, ReceiptLine
from sync.core.ledger_mutations import family_ledger
from sync.core.schema import Family, LedgerAllocation, LedgerEntry, Location, Staff


class NoReceipt(LookupError):
    """The entry is not a payment or refund on file: there is no receipt to make."""


def receipt_data(
    db: Session, entry_id: str, *, business_name: str, currency: str = "USD", copy: bool = False,
    header_text: str = "", footer_text: str = "",
) -> ReceiptData:  # fmt: skip
    entry = db.get(LedgerEntry, entry_id)
    if entry is None or entry.kind not in ("payment", "refund") or not entry.receipt_no:
        raise NoReceipt(entry_id)
    family = db.get(Family, entry.family_id)
    location = db.get(Location, entry.location_id)
    staff = db.get(Staff, entry.staff_id)
    ledger = family_ledger(db, entry.family_id)
    paid = ledger.state(entry_id)
    # The balance right after this entry, in ledger order (the receipt is a snapshot of that moment).
    balance_after = paid.running_balance_cents if paid is not None else ledger.balance_cents
    method = _method(entry)
    if entry.kind == "refund":
        original = db.get(LedgerEntry, entry.corrects_id) if entry.corrects_id else None
        what = f"Refund of receipt {original.receipt_no}" if original is not None and original.receipt_no else "Refund"
        lines = (ReceiptLine(what, entry.amount_cents),)
        applied: tuple[ReceiptLine, ...] = ()
        tendered = None
    else:
        amount = -entry.amount_cents if entry.method != "credit" else _credit_spent(db, entry_id)
        lines = (ReceiptLine(entry.description or "Payment on account", amount),)
        applied = _applied_to(db, entry_id)
        tendered = entry.tendered_cents if entry.method == "cash" else None
    return ReceiptData(
        business_name=business_name,
        location_name=location.name if location else "",
        location_address=location.address if location else "",
        timezone=location.timezone if location else "UTC",
        receipt_number=entry.receipt_no,
        issued_at=entry.made_at,
        staff_name=staff.display_name if staff else "",
        family_name=f"{family.name} family" if family else "",
        lines=lines,
        method=method,
        balance_after_cents=balance_after,
        applied_to=applied,
        tendered_cents=tendered,
        currency=currency,
        header_text=header_text,
        footer_text=footer_text,
        pending_sync=entry.usn is None,
        copy=copy,
    )


def _method(entry: LedgerEntry) -> PaymentMethod:
    if entry.method in ("card_present", "card_keyed") and entry.card_last4:
        return PaymentMethod("card", brand=entry.card_brand or "Card", last4=entry.card_last4)
    if entry.method == "check":
        return PaymentMethod("check", check_number=entry.check_number)
    if entry.method in ("cash", "terminal", "credit"):
        return PaymentMethod(entry.method)  # type: ignore[arg-type]
    return PaymentMethod("other")


def _allocations(db: Session, payment_id: str) -> list[LedgerAllocation]:
    return list(db.exec(select(LedgerAllocation).where(LedgerAllocation.payment_id == payment_id)))


def _applied_to(db: Session, payment_id: str) -> tuple[ReceiptLine, ...]:
    out = []
    for a in _allocations(db, payment_id):
        charge = db.get(LedgerEntry, a.charge_id)
        out.append(ReceiptLine(charge.description if charge else "Charge", a.amount_cents))
    return tuple(out)


def _credit_spent(db: Session, payment_id: str) -> int:
    return sum(a.amount_cents for a in _allocations(db, payment_id))
