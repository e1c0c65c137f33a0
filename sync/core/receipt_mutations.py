"""Asking for a receipt by email: a change like any other, so it works offline.

The request waits in the outbox behind the payment it is for, so the server always has the
payment when the request arrives. The applier only records the request (a ReceiptEmail row,
"queued"); the server's mail queue sends it after the push committed and writes the outcome on
the same row, which every desk then pulls. Asking again after a failure is a new request.
"""

from __future__ import annotations

from collections.abc import Callable

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from sync.core.schema import Family, LedgerEntry, ReceiptEmail, SyncedRecord
from sync.core.rejections import Rejected

NextUsn = Callable[[], int | None]
RECEIPT_EMAIL = "receipt.email"
NO_ADDRESS = "This family has no email address on file. Add one to the family, or print the receipt."


class ReceiptEmailPayload(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email_id: str = Field(min_length=1, max_length=36)
    entry_id: str = Field(min_length=1, max_length=36)
    to: str | None = Field(default=None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


PAYLOADS: dict[str, type[BaseModel]] = {RECEIPT_EMAIL: ReceiptEmailPayload}


def apply_receipt_email(db: Session, staff_id: str, made_at, p: ReceiptEmailPayload, next_usn: NextUsn) -> list[SyncedRecord]:  # noqa: ANN001
    if db.get(ReceiptEmail, p.email_id) is not None:
        return []
    entry = db.get(LedgerEntry, p.entry_id)
    if entry is None or entry.kind not in ("payment", "refund") or not entry.receipt_no:
        raise Rejected("not_found", "That receipt is not on file; nothing was emailed.")
    family = db.get(Family, entry.family_id)
    to = p.to or (family.email.strip() if family is not None else "")
    if not to:
        raise Rejected("invalid", NO_ADDRESS)
    row = ReceiptEmail(id=p.email_id, usn=next_usn(), entry_id=entry.id, family_id=entry.family_id, to_address=to,
                       staff_id=staff_id, requested_at=made_at,
                       message="Waiting to be sent by the server.")  # fmt: skip
    db.add(row)
    return [row]
