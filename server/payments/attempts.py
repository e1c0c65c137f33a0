"""Card attempts the ledger does not show: declines, remembered under their idempotency key.

An approved payment, void or refund is its ledger entry; a declined one writes no entry, so it
is kept here, server-side only (AccountBase), and a retry with the same key gets the same
decline without asking the gateway again. Only brand and last four are kept of the card.
The table is made by the account database's migrations (server.migrate names this module).
"""

from __future__ import annotations

from pydantic import NaiveDatetime
from sqlmodel import Field, Session

from server.account_db import AccountBase
from server.payments.gateway import GatewayResult
from sync.ids import utcnow


class CardAttempt(AccountBase, table=True):
    __tablename__ = "card_attempt"
    key: str = Field(primary_key=True, max_length=36)  # entry_id, void_id or refund_id from the desk
    kind: str = Field(max_length=16)  # sale | void | refund
    target_id: str | None = Field(default=None, max_length=36)  # void, refund: the payment's entry id
    family_id: str = Field(max_length=36)
    amount_cents: int
    status: str = "declined"
    decline_code: str | None = None
    message: str = ""
    brand: str = ""
    last4: str = ""
    staff_id: str = Field(max_length=36)
    desk_id: str = Field(max_length=36)
    at: NaiveDatetime = Field(default_factory=utcnow)


def remember_decline(
    db: Session, key: str, kind: str, *, target_id: str | None, family_id: str, amount_cents: int,
    result: GatewayResult, staff_id: str, desk_id: str,
) -> CardAttempt:  # fmt: skip
    row = db.get(CardAttempt, key)
    if row is None:
        row = CardAttempt(key=key, kind=kind, target_id=target_id, family_id=family_id, amount_cents=amount_cents,
                          decline_code=result.decline_code or "declined", message=result.message, brand=result.brand,
                          last4=result.last4, staff_id=staff_id, desk_id=desk_id)  # fmt: skip
        db.add(row)
    return row
