"""The void / refund dialog's logic: which correction applies to a ledger line, how much, and why.

A void undoes a line on its own business day (or a charge, any day); a refund gives back part or
all of a payment after that. sync.core.ledger decides which one a line may still have (LedgerRow.correction);
the reason is required because it goes in the audit log. A card void or refund asks the card
network under the payment dialog's clock (desk.presenters.card_clock): the same countdown, the same
Cancel, and words that say only what the desk knows until the server answered.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from desk.presenters.card_clock import CardClock
from desk.presenters.family import describe
from desk.presenters.money_text import amount_field_text, money, typed_money
from desk.presenters.payment import RECEIPT_DEFAULT, FormProblem
from sync.core.card_abandon import NOT_CONFIRMED_CHANGE
from sync.money_desk import CardNotConfirmed, MoneyDesk
from sync.money_views import CorrectionOutcome, LedgerRow

CARD_METHODS = ("card_present", "card_keyed")
# A card void or refund given up on, by what the server said of it (sync.core.card_abandon); {what} is
# "void" or "refund", {done} "voided" or "refunded".
GIVEN_UP_WORDS: dict[str, tuple[str, str]] = {
    "cancelling": (NOT_CONFIRMED_CHANGE, "amber"),
    "not_charged": ("Not {done}: the server confirmed the {what} was not made. You may try again.", "ok"),
    "done": ("The {what} went through after all: the ledger shows it. Do not make it again.", "ok"),
    "cancelled": ("The {what} went through after all: the ledger shows it. Do not make it again.", "ok"),
    "needs_attention": ("The {what} could not be confirmed automatically: see Needs attention (F6) first.", "red"),
}  # fmt: skip


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
        self.card_clock = CardClock(money_desk)  # a card void / refund: its countdown and Cancel

    @property
    def by_card(self) -> bool:
        """The card network is asked (online, under the card clock)."""
        return self.row.method in CARD_METHODS

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
        if self.by_card:
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
        if self.by_card:  # the call's one clock starts now, with its Cancel
            self.card_clock.start()
        return self._pending

    async def apply(self) -> CorrectionOutcome:
        pending, self._pending = self._pending, None
        if pending is None:
            raise RuntimeError("apply() without begin()")
        card = {"cancel": self.card_clock.cancel} if self.by_card else {}
        try:
            if self.is_refund:
                return await self.money.refund(self.row.id, pending.amount_cents, pending.reason, **card)
            return await self.money.void(self.row.id, pending.reason, **card)
        except CardNotConfirmed as gone:
            self.card_clock.given_up = gone.key  # the dialog follows it until the server says what became of it
            raise
        finally:
            self.card_clock.stop()

    def busy_text(self) -> str:
        """On the main button while it is made; a card call counts its seconds down."""
        if self.card_clock.under_way:
            return self.card_clock.asking_text()
        return "Refunding…" if self.is_refund else "Voiding…"

    def card_under_way(self) -> bool:
        return self.card_clock.under_way

    def cancel_card(self) -> bool:
        """Cancel pressed (or the dialog closed) while the card call waits: given up on by its key at
        once (sync.card_calls). False when no card call is under way."""
        return self.card_clock.press_cancel()

    def given_up_text(self) -> tuple[str, str] | None:
        """What became of the card call given up on, as this desk knows it now (text, tone); None
        when there is none."""
        status = self.card_clock.status()
        if status is None:
            return None
        text, tone = GIVEN_UP_WORDS.get(status, GIVEN_UP_WORDS["cancelling"])
        what, done = ("refund", "refunded") if self.is_refund else ("void", "voided")
        return text.format(what=what, done=done), tone

    def confirm_text(self, amount: str = "") -> str:
        if not self.is_refund:
            return "Void"
        cents, _ = typed_money(amount)
        return f"Refund {money(cents, self.currency)}" if cents else "Refund"
