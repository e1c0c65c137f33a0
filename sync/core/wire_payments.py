"""The HTTP contract of /v1/payments: card payments, and voids and refunds of card payments.

Cards need the gateway, so these are online calls, not outbox mutations; everything else about
money (cash, check, terminal, credit, charges, corrections of non-card entries) goes through the
outbox like any other change (sync.core.ledger_mutations).

Card data travels desk -> server -> gateway and nowhere else. `CardData` never shows its values
in repr or str, and nothing here is logged; the server keeps only brand, last four, approval
code and the gateway's reference (sync.core.schema.LedgerEntry).

Never charge twice: the desk makes `entry_id` before the first attempt and sends the same one on
every retry; it is the idempotency key at the server and at the gateway. A retry after a lost
answer gets the first answer.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import Field, SecretStr, model_validator

from sync.core.ledger import MAX_CENTS
from sync.core.ledger_mutations import AllocationIn
from sync.core.wire import Change, ResponseModel, WireModel

Cents = Annotated[int, Field(strict=True, gt=0, le=MAX_CENTS)]
Id = Annotated[str, Field(min_length=1, max_length=36)]


class CardData(WireModel):
    """A swiped card (`track`: the raw track data as read, sentinels included) or a keyed card.

    SecretStr keeps every value out of repr, str, logs and error messages; `.get_secret_value()`
    is called only where the gateway request is built.
    """

    track: SecretStr | None = Field(default=None, max_length=200)
    number: SecretStr | None = Field(default=None, max_length=19)
    exp_month: int | None = Field(default=None, ge=1, le=12)
    exp_year: int | None = Field(default=None, ge=2000, le=2099)
    cvc: SecretStr | None = Field(default=None, max_length=4)
    postal_code: str = Field(default="", max_length=10)

    @model_validator(mode="after")
    def _one_way(self) -> "CardData":
        keyed = self.number is not None
        if (self.track is None) == (not keyed):
            raise ValueError("send either the swiped track or the keyed card number, not both or neither")
        if keyed and (self.exp_month is None or self.exp_year is None):
            raise ValueError("a keyed card needs its expiry month and year")
        return self


class CardPaymentRequest(WireModel):
    entry_id: Id  # the payment's id, made at the desk: also the idempotency key
    family_id: Id
    location_id: Id
    amount_cents: Cents
    receipt_no: str = Field(min_length=1, max_length=32)
    allocations: list[AllocationIn] = Field(default_factory=list, max_length=200)
    description: str = Field(default="", max_length=200)
    business_date: dt.date
    made_at: dt.datetime  # desk clock
    card: CardData


class CardVoidRequest(WireModel):
    void_id: Id  # the void entry's id: the idempotency key
    reason: str = Field(min_length=1, max_length=500)
    business_date: dt.date
    made_at: dt.datetime


class CardRefundRequest(WireModel):
    refund_id: Id  # the refund entry's id: the idempotency key
    amount_cents: Cents
    receipt_no: str = Field(min_length=1, max_length=32)
    reason: str = Field(min_length=1, max_length=500)
    business_date: dt.date
    made_at: dt.datetime


DeclineCode = Literal[
    "declined", "insufficient_funds", "expired_card", "incorrect_cvc", "invalid_number", "processing_error", "lost_or_stolen"
]


class PaymentAnswer(ResponseModel):
    """The server's answer to a card payment, void or refund.

    approved: `records` are the ledger rows written (entry and allocations), as pull would bring
    them, so the desk can show them before its next pull. declined: nothing was written; `decline_code` and `message` say why, in words
    for the desk.
    """

    status: Literal["approved", "declined"]
    entry_id: str
    decline_code: DeclineCode | None = None
    message: str = ""
    approval_code: str = ""
    card_brand: str = ""
    card_last4: str = ""
    usn: int | None = None
    records: list[Change] = Field(default_factory=list)

