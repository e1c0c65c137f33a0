"""The void / refund dialog's logic: which correction applies to a ledger line, how much, and why.

A void undoes a line on its own business day (or a charge, any day); a refund gives back part or
all of a payment after that. sync.core.ledger decides which one a line may still have (LedgerRow.correction);
the reason is required because it goes in the audit log.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from desk.presenters.family import describe
from desk.presenters.money_text import amount_field_text, money, typed_money
from desk.presenters.payment import RECEIPT_DEFAULT, FormProblem
from sync.money_desk import MoneyDesk
from sync.money_views import CorrectionOutcome, LedgerRow

CARD_METHODS = ("card_present", "card_keyed")


@dataclass(frozen=True)
class _Correction:
    amount_cents: int
    reason: str


class CorrectionPresenter:
    def __init__(self, money_desk: MoneyDesk, row: LedgerRow, currency: str, *,
                 receipt_choice: Callable[[str], str] | None = None, can_email: bool = False):  # fmt: skip
        if row.correction not in ("void", "refund"):
            raise ValueError("this ledger line cannot be voided or refunded")  # the screen only offers what applies
        self.money = money_desk
        self.row = row
        self.kind: str = row.correction
        self.currency = currency
        self.receipt_choice = receipt_choice  # the desk's receipt defaults by ledger method (Settings)
        self.can_email = can_email  # the family has an email address on file
        self._pending: _Correction | None = None

    def receipt_default(self) -> str:
        """Where a refund's receipt question starts: as after a payment made the same way."""
        choice = self.receipt_choice(self.row.method or "") if self.receipt_choice is not None else None
        choice = choice if choice in ("print", "email", "none") else RECEIPT_DEFAULT.get(self.row.method or "", "print")
        return "print" if choice == "email" and not self.can_email else choice

    @property
    def is_refund(self) -> bool:
        return self.kind == "refund"

    def title(self) -> str:
        return "Refund a payment" if self.is_refund else "Void a line"

    def what_text(self) -> str:
        row = self.row
        head = f"{describe(row)} · {row.method_text}" if row.method_text else describe(row)
        return f"{head} · {money(abs(row.amount_cents), self.currency)}"

    def explain(self) -> str:
        if self.is_refund:
            text = (f"Up to {money(self.row.refundable_cents, self.currency)} can be refunded. "
                    "Give the money back the way it was paid.")
        elif self.row.kind == "charge":
            text = "Voiding the charge takes it off the family's balance; what paid it becomes credit."
        else:
            text = "Voiding undoes this payment today: give the money back, and the balance goes up again."
        if self.row.method in CARD_METHODS:
            text += " The card network is asked at once: this needs a connection."
        return text

    def default_amount_text(self) -> str:
        return amount_field_text(self.row.refundable_cents) if self.is_refund else amount_field_text(abs(self.row.amount_cents))

    def begin(self, reason: str, amount: str = "") -> _Correction:
        words = " ".join(reason.split())
        if not words:
            raise FormProblem("Say why. The reason is kept in the audit log.", "reason")
        cents = abs(self.row.amount_cents)
        if self.is_refund:
            typed, problem = typed_money(amount)
            if typed is None:
                raise FormProblem(problem if amount.strip() else "Type the amount to refund.", "amount")
            if typed > self.row.refundable_cents:
                raise FormProblem(f"At most {money(self.row.refundable_cents, self.currency)} can be refunded.", "amount")
            cents = typed
        self._pending = _Correction(cents, words[:500])
        return self._pending

    async def apply(self) -> CorrectionOutcome:
        pending, self._pending = self._pending, None
        if pending is None:
            raise RuntimeError("apply() without begin()")
        if self.is_refund:
            return await self.money.refund(self.row.id, pending.amount_cents, pending.reason)
        return await self.money.void(self.row.id, pending.reason)

    def confirm_text(self, amount: str = "") -> str:
        if not self.is_refund:
            return "Void"
        cents, _ = typed_money(amount)
        return f"Refund {money(cents, self.currency)}" if cents else "Refund"
