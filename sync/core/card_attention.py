"""A card "needs attention" item marked handled at the desk (issue 18): a charge the server could
not cancel, or a void or refund made at the card service but not on the ledger, was dealt with by
hand (on the card service's site, say), and someone who may take payments says so, with a note.

It is a change like any other: recorded in the outbox (offline too), applied here at once so this
desk's list drops it, and pushed; the server applies the same change to its CardAbandon row (the
row's new sequence number takes it off every other desk's list at their next pull) and audits it
with the status and words before and after (server.push, `handled_fields`).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlmodel import Session

from sync.core.schema import CardAbandon, SyncedRecord
from sync.core.wire import Mutation

ATTENTION_HANDLED = "payment.attention_handled"  # the "payment" prefix: whoever may take payments
HANDLED = "handled"
NEEDS_ATTENTION = "needs_attention"
NOT_ON_FILE = "This card item is not on file here: nothing was changed."
NOT_NEEDED = "This card item no longer needs attention: nothing was changed."


class HandledPayload(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str = Field(min_length=1, max_length=36)  # the CardAbandon row: the card call's key
    note: str = Field(min_length=1, max_length=500)  # what was done, for the office

    @field_validator("note")
    @classmethod
    def _words(cls, value: str) -> str:
        words = " ".join(value.split())
        if not words:
            raise ValueError("say what was done")
        return words


PAYLOADS: dict[str, type[BaseModel]] = {ATTENTION_HANDLED: HandledPayload}


def apply_handled(db: Session, m: Mutation, p: HandledPayload, next_usn) -> list[SyncedRecord]:
    # One Rejected for all appliers; imported here because sync.core.mutations imports this module.
    from sync.core.mutations import Rejected

    row = db.get(CardAbandon, p.key)
    if row is None:
        raise Rejected("not_found", NOT_ON_FILE)
    if row.status == HANDLED:
        return []  # another desk marked it first: nothing more to say
    if row.status != NEEDS_ATTENTION:
        raise Rejected("invalid", NOT_NEEDED)
    row.status = HANDLED
    row.message = f"{row.message}\nHandled: {p.note}"  # the reference stays beside what was done
    row.usn = next_usn()
    db.add(row)
    return [row]


def handled_fields(db: Session, mutation_type: str, payload: dict[str, Any]) -> dict[str, Any] | None:
    """For the server's audit: the item's status and words (None: not this kind of change)."""
    if mutation_type != ATTENTION_HANDLED:
        return None
    row = db.get(CardAbandon, str(payload.get("key", "")))
    return None if row is None else {"status": row.status, "message": row.message, "gateway_ref": row.gateway_ref}
