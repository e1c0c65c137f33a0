"""What a money screen hands MoneyDesk, checked before anything is written: amounts in whole
cents, reasons, payloads, allocations and cards. Each refusal is a RejectedError in words for
the desk; a refused card never echoes what was typed or swiped."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from sync.errors import RejectedError
from sync.core.ids import new_id
from sync.core.ledger import MAX_CENTS, LedgerSummary, allocate
from sync.ledger_words import amount_text
from sync.core.wire_payments import CardData


def rejected(message: str, code: str = "invalid") -> RejectedError:
    return RejectedError(message, code=code)


def whole_cents(value: object, what: str, *, allow_zero: bool = False) -> int:
    """An amount from a screen: whole cents only (a float is a bug upstream, never rounded here)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise rejected(f"The {what} must be a whole number of cents; nothing was recorded.")
    if value < 0 or (value == 0 and not allow_zero):
        raise rejected(f"The {what} must be more than zero; nothing was recorded.")
    if value > MAX_CENTS:
        raise rejected(f"The {what} is too large for the front desk; nothing was recorded.")
    return value


def reason(reason: str, what: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise rejected(f"Say why: a {what} needs a reason.")
    if len(reason) > 500:
        raise rejected("The reason is too long (500 characters at most).")
    return reason


def payload(cls: type[Any], **fields: Any) -> dict[str, Any]:
    """A validated payload as JSON; a refusal in words (and nothing written) when it is not right."""
    try:
        return cls(**fields).model_dump(mode="json")
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "payload"
        raise rejected(f"This could not be recorded ({where}: {first['msg']}).") from None


def allocations(ledger: LedgerSummary, amount: int, apply_to: Sequence[str], *, spend_credit: bool) -> list[dict[str, Any]]:
    """Which charges a payment pays (the chosen ones in order, or the oldest open first)."""
    chosen = list(dict.fromkeys(apply_to))  # a charge named twice is paid once
    if spend_credit:
        if amount > ledger.credit_cents:
            raise rejected(
                f"The family has {amount_text(ledger.credit_cents)} of account credit, less than {amount_text(amount)}; nothing was recorded."
            )
    try:
        planned = allocate(ledger, amount, chosen)
    except LookupError:
        raise rejected("The payment was applied to a charge that is not this family's; nothing was recorded.") from None
    if spend_credit and sum(a.amount_cents for a in planned) != amount:
        open_cents = sum(a.amount_cents for a in planned)
        raise rejected(
            f"Account credit only pays open charges, and {amount_text(open_cents)} is open on those chosen; nothing was recorded."
        )
    return [{"allocation_id": new_id(), "charge_id": a.charge_id, "amount_cents": a.amount_cents} for a in planned]


def card_data(card: Any) -> CardData:
    """The wire form of a card (a sync.money_desk.CardInput); a card that is not complete is
    refused without echoing any of it."""
    problem: str | None = None
    if card.track:
        if len(card.track) > 200:
            problem = "The card could not be read. Swipe it again, or key it in."
    else:
        digits = "".join(ch for ch in (card.number or "") if ch not in " -")
        if not (digits.isdigit() and 12 <= len(digits) <= 19):
            problem = "That card number is not complete. Check it and key it in again."
        elif card.exp_month is None or card.exp_year is None or not (1 <= card.exp_month <= 12) or not (2000 <= card.exp_year <= 2099):
            problem = "Key in the card's expiry month and year."
        elif card.cvc is not None and not (card.cvc.isdigit() and 3 <= len(card.cvc) <= 4):
            problem = "The security code is 3 or 4 digits."
    if problem is None:
        try:
            if card.track:
                return CardData(track=card.track)
            return CardData(
                number=digits, exp_month=card.exp_month, exp_year=card.exp_year, cvc=card.cvc,
                postal_code=(card.postal_code or "").strip()[:10],
            )  # fmt: skip
        except ValidationError:
            problem = "The card details are not complete. Swipe the card again, or key it in."
    # Raised outside the except block: the validation error (which holds the input) is not chained.
    raise rejected(problem)
