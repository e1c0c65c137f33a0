"""Giving up on a card call by its key: the outbox mutation, its applier, and the words for it.

A card payment, void or refund is an online call (sync.core.wire_payments). When the desk stops
waiting for its answer, whatever the reason, it records PAYMENT_ABANDON for the call's
idempotency key through the outbox (so it survives a desk crash and goes out when the server is
back) and pushes it at once. The same applier runs on both sides:

- at the desk it writes the CardAbandon row as "cancelling", so the family's ledger says so at once;
- on the server it writes the same row, which is the key's tombstone: a late copy of the call is
  refused without reaching the card service (server.payments.card_sale), and the outcome of a
  call that had gone through is settled by server.payments.abandon, which writes it back here.

An abandon that finds its row already there changes nothing (a replay, or the row the server
already settled).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from sync.core.schema import CardAbandon, SyncedRecord
from sync.core.wire import Mutation

PAYMENT_ABANDON = "payment.abandon"  # the "payment" prefix: whoever may take payments (sync.core.permissions)

Why = Literal["timeout", "cancel", "no_connection", "closed", "desk_stopped"]

# What the desk says, word for word (issue 18): only what it knows.
NOT_CONFIRMED = ("We could not confirm the charge. It will be cancelled automatically; "
                 "take another payment only after it shows Cancelled.")  # fmt: skip
NOT_CONFIRMED_CHANGE = ("We could not confirm the {what}. The server will make sure it is done once at most; "
                        "check the family's ledger before trying again.")  # fmt: skip
NOT_CHARGED = "Not charged"
# The family's ledger: one short word per state of the attempt.
STATUS_WORDS = {"cancelling": "cancelling…", "not_charged": "cancelled", "cancelled": "cancelled",
                "done": "done", "needs_attention": "needs attention", "handled": "handled by hand"}  # fmt: skip


class AbandonPayload(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str = Field(min_length=1, max_length=36)  # the call's idempotency key
    kind: Literal["sale", "void", "refund"]
    family_id: str = Field(min_length=1, max_length=36)
    target_id: str | None = Field(default=None, max_length=36)
    amount_cents: int = Field(gt=0)
    card_brand: str = Field(default="", max_length=20)
    card_last4: str = Field(default="", max_length=4)
    why: Why = "timeout"


PAYLOADS: dict[str, type[BaseModel]] = {PAYMENT_ABANDON: AbandonPayload}


def apply_abandon(db: Session, m: Mutation, p: AbandonPayload, next_usn) -> list[SyncedRecord]:
    if db.get(CardAbandon, p.key) is not None:
        return []
    row = CardAbandon(id=p.key, usn=next_usn(), kind=p.kind, family_id=p.family_id, target_id=p.target_id,
                      amount_cents=p.amount_cents, card_brand=p.card_brand, card_last4=p.card_last4, why=p.why,
                      staff_id=m.staff_id, desk_id=m.desk_id, made_at=m.made_at)  # fmt: skip
    db.add(row)
    return [row]


def status_text(row: CardAbandon) -> str:
    """One line for the family's ledger and for "needs attention"."""
    what = {"sale": "Card payment", "void": "Card void", "refund": "Card refund"}[row.kind]
    card = f" on {row.card_brand} ending {row.card_last4}" if row.card_last4 else ""
    return f"{what}{card}: {STATUS_WORDS.get(row.status, row.status)}"
