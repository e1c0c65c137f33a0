"""Receipts at the desk: the receipt of a payment or refund to print, and emailing it.

    receipts = ReceiptDesk(store, business_name="Springfield Gymnastics")
    data = receipts.receipt(entry_id)              # sync.core.receipt_data.ReceiptData, from the cache
    email_id = await receipts.email(entry_id)      # queued: offline too; the server sends it
    receipts.emails(entry_id)                      # how each request went (queued, sent, failed)

A receipt printed before the server confirmed its payment says "pending sync" (the number is the
desk's own and stays). An email request waits in the outbox behind its payment; the server's mail
queue sends it and writes back sent or failed, in words, which arrive here with the next pull.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import col, select

from sync.core.receipt_data import ReceiptData
from sync import db
from sync.core.ids import new_id
from sync.core.receipt_mutations import RECEIPT_EMAIL, ReceiptEmailPayload
from sync.core.receipts import receipt_data
from sync.core.schema import ReceiptEmail
from sync.store import DeskStore


@dataclass(frozen=True)
class ReceiptEmailView:
    id: str
    to_address: str
    status: str  # queued (not sent yet: waiting here or at the server), sent, failed
    message: str
    requested_at: dt.datetime  # naive UTC
    pending: bool  # not yet on the server: this desk is offline or has not pushed it

    @property
    def words(self) -> str:
        if self.pending:
            return f"To {self.to_address}: will be sent when this desk is back online."
        return self.message or self.status.title()


class ReceiptDesk:
    def __init__(self, store: DeskStore, business_name: str = "", currency: str = "USD"):
        self.store = store
        self.business_name = business_name
        self.currency = currency

    def receipt(self, entry_id: str, *, copy: bool = False) -> ReceiptData:
        """Raises sync.core.receipts.NoReceipt (a LookupError) when the entry has no receipt."""
        with db.read_session(self.store.cache.engine) as s:
            return receipt_data(s, entry_id, business_name=self.business_name, currency=self.currency, copy=copy)

    async def email(self, entry_id: str, to: str | None = None) -> str:
        """Ask the server to email the receipt (to the family's address, or `to`); returns the
        request's id. RejectedError in words when there is no receipt or no address."""
        payload = ReceiptEmailPayload(email_id=new_id(), entry_id=entry_id, to=(to or "").strip() or None)
        await self.store.record(RECEIPT_EMAIL, payload.model_dump(mode="json"))
        return payload.email_id

    def emails(self, entry_id: str) -> list[ReceiptEmailView]:
        with db.read_session(self.store.cache.engine) as s:
            rows = s.exec(select(ReceiptEmail).where(ReceiptEmail.entry_id == entry_id)
                          .order_by(col(ReceiptEmail.id))).all()  # fmt: skip
            return [ReceiptEmailView(r.id, r.to_address, r.status, r.message, r.requested_at, r.usn is None) for r in rows]
