"""Card attempts the ledger does not show: declines, and sales under way, by idempotency key.

An approved payment, void or refund is its ledger entry; a declined one writes no entry, so it
is kept here, server-side only (AccountBase), and a retry with the same key gets the same
decline without asking the gateway again. Only brand and last four are kept of the card.
The table is made by the account database's migrations (server.model_tables names this module).

A card sale is written here as "pending" (committed) before the gateway is asked, and the row
goes in the same transaction as the ledger entry. So a server that dies between the charge and
the ledger leaves a pending row behind, and server.payments.reconcile settles it: the desk's
retry with the same key records the payment; with no retry, the charge is cancelled.
"""

from __future__ import annotations

from pydantic import NaiveDatetime
from sqlalchemy import delete
from sqlmodel import Field, Session

from server.account_db import AccountBase
from server.payments.gateway import GatewayResult
from sync.core.ids import utcnow


class CardAttempt(AccountBase, table=True):
    __tablename__ = "card_attempt"
    key: str = Field(primary_key=True, max_length=36)  # entry_id, void_id or refund_id from the desk
    kind: str = Field(max_length=16)  # sale | void | refund
    target_id: str | None = Field(default=None, max_length=36)  # void, refund: the payment's entry id
    family_id: str = Field(max_length=36)
    amount_cents: int
    status: str = "declined"  # declined | pending (a sale under way) | reconciling (server.payments.reconcile)
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
    elif row.status in UNDER_WAY:  # the sale this key was taking: declined after all
        row.status, row.decline_code, row.message = "declined", result.decline_code or "declined", result.message
        row.brand, row.last4 = result.brand or row.brand, result.last4 or row.last4
    return row


UNDER_WAY = ("pending", "reconciling")
# A void or refund whose gateway call got no answer: nothing is running; its outcome is asked of
# the gateway when the desk gives it up (server.payments.abandon), or a retry takes it over.
UNKNOWN = "unknown"


def begin_sale(db: Session, key: str, *, family_id: str, amount_cents: int, brand: str, last4: str, staff_id: str,
               desk_id: str) -> CardAttempt:  # fmt: skip
    """Mark a sale under way before the gateway is asked (the caller commits). A retry of one
    still pending takes it over (its clock restarts, so the sweep leaves it alone); a row in any
    other state is returned as it is, for the caller to answer from."""
    row = db.get(CardAttempt, key)
    if row is None:
        row = CardAttempt(key=key, kind="sale", family_id=family_id, amount_cents=amount_cents, status="pending",
                          brand=brand, last4=last4, staff_id=staff_id, desk_id=desk_id)  # fmt: skip
        db.add(row)
    elif row.status == "pending":
        row.at = utcnow()
    return row


def end_sale(db: Session, key: str) -> bool:
    """In the ledger entry's transaction: the sale is on the ledger now, so it is no longer an
    attempt. False when it was not pending any more (the sweep took it): the entry must not be written."""
    done = db.execute(delete(CardAttempt).where(CardAttempt.key == key, CardAttempt.status == "pending"))  # type: ignore[arg-type]
    return done.rowcount == 1

