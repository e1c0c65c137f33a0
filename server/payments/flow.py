"""What the card routes share: who is asking, one card operation per family at a time, the dry
run that checks a ledger write before the gateway is asked, and the answers sent back."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlmodel import Session, select

from server.account_db import AccountDatabase, audit
from server.errors import Invalid, Unreachable
from server.payments.attempts import CardAttempt
from server.payments.gateway import GatewayUnreachable
from server.permissions import source_of
from sync.core.mutations import Rejected
from sync.core.schema import LedgerAllocation, LedgerEntry, record_to_wire
from sync.core.wire import Change
from sync.core.wire_payments import PaymentAnswer

KEY_REUSED = "This payment number was already used for something else; nothing was charged. Please start again."


@dataclass(frozen=True)
class Caller:
    account_id: str
    staff_id: str
    desk_id: str


_locks: dict[tuple[str, str], threading.Lock] = {}
_locks_guard = threading.Lock()


@contextmanager
def family_lock(account_id: str, family_id: str) -> Iterator[None]:
    """One card operation per family at a time in this process: a double click, or two desks on
    one family, cannot both pass the checks and both reach the gateway. (Across processes the
    idempotency keys and the ledger's own checks still hold.)"""
    with _locks_guard:
        lock = _locks.setdefault((account_id, family_id), threading.Lock())
    with lock:
        yield


def naive_utc(moment: dt.datetime) -> dt.datetime:
    """The desk's clock as stored everywhere: naive UTC (an offset is converted, not dropped)."""
    try:
        return moment.astimezone(dt.UTC).replace(tzinfo=None) if moment.tzinfo is not None else moment
    except OverflowError:  # year 1 with an offset east of UTC, say: not a desk's clock
        raise Invalid("The request is not valid: made_at is out of range.") from None


def dry_run(db: Session, write: Callable[[], object]) -> None:
    """Run a ledger write's checks on a read session and keep nothing: raises Rejected as the real
    write would, before any money moves. Nothing is flushed, so no write lock is taken."""
    try:
        with db.no_autoflush:
            write()
    finally:
        db.rollback()


def audit_event(adb: AccountDatabase, who: Caller, action: str, record_id: str | None, **detail: object) -> None:
    """One audit row in its own transaction (for outcomes that write nothing else). Never card data."""
    with adb.write_session() as db:
        audit(db, action, staff_id=who.staff_id, desk_id=who.desk_id, record_type="ledger_entry", record_id=record_id,
              source=source_of(db, who.staff_id), **detail)  # fmt: skip
        db.commit()


def rejected_error(adb: AccountDatabase, who: Caller, action: str, key: str, rejected: Rejected, **detail: object) -> Invalid:
    audit_event(adb, who, action, key, code=rejected.code, message=rejected.message, **detail)
    return Invalid(rejected.message, rejected.code)


def unreachable_error(adb: AccountDatabase, who: Caller, action: str, key: str, exc: GatewayUnreachable, **detail: object) -> Unreachable:
    """502: the outcome at the gateway is unknown, so the desk retries with the same key."""
    audit_event(adb, who, action, key, **detail)
    return Unreachable(exc.message)


def approved(db: Session, entry: LedgerEntry) -> PaymentAnswer:
    """The answer for an entry on the ledger: the entry and its allocations, as pull brings them."""
    records = [Change(type="ledger_entry", id=entry.id, usn=entry.usn or 0, data=record_to_wire(entry))]
    if entry.kind == "payment":
        allocs = db.exec(select(LedgerAllocation).where(LedgerAllocation.payment_id == entry.id).order_by(LedgerAllocation.usn))
        records += [Change(type="ledger_allocation", id=a.id, usn=a.usn or 0, data=record_to_wire(a)) for a in allocs]
    return PaymentAnswer(status="approved", entry_id=entry.id, approval_code=entry.approval_code, card_brand=entry.card_brand,
                         card_last4=entry.card_last4, usn=entry.usn, records=records)  # fmt: skip


def declined(attempt: CardAttempt) -> PaymentAnswer:
    return PaymentAnswer(status="declined", entry_id=attempt.key, decline_code=attempt.decline_code,  # type: ignore[arg-type]
                         message=attempt.message, card_brand=attempt.brand, card_last4=attempt.last4)  # fmt: skip
