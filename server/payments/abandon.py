"""Card calls the desk gave up on: the tombstone per key, and the timeout reversal.

A desk that stopped waiting for a card call pushes PAYMENT_ABANDON for the call's key
(sync.core.card_abandon); its applier writes a CardAbandon row, "cancelling". From then on:

- a copy of the call that arrives late (still in a socket buffer, a retry) is refused here,
  before the card service is asked (`late_call`), and remembered as a decline, so it stays refused;
- `settle_abandoned` (run by the card sweeper as soon as the push is in, server.payments.reconcile)
  settles each cancelling row once:
    a sale on the ledger is reversed at the card service (void, or a full refund once settled;
    when part of it was refunded already, a refund of what is left, since a card service voids
    only a sale nothing was taken from) and the reversal is written on the ledger beside it
    ("cancelled"); a sale refunded in full already needs nothing more ("cancelled"); a reversal the card
    service refuses becomes "needs_attention" with its words and the charge's reference;
    a sale that never went through is "not_charged"; one still under way is left for the next
    sweep (it ends on the ledger, then is reversed, or declined);
    a void or refund on the ledger stands ("done": it is what the desk asked for); one that never
    went through is "not_charged" and its late copy refused: never made twice, never lost (the
    desk lists it until someone acts).
A card service that cannot be reached leaves the row cancelling for the next sweep; the gateway
keys are fixed by the key, so a second try never reverses twice.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from server.account_db import AccountDatabase, audit, next_usn
from server.payments.attempts import UNDER_WAY, UNKNOWN, CardAttempt
from server.payments.gateway import Gateway, GatewayResult, GatewayUnreachable
from sync.core.clock import SYSTEM, Clock
from sync.core.ids import new_id
from sync.core.ledger_mutations import (
    CardResult,
    RefundPayload,
    VoidPayload,
    family_ledger,
    made_by,
    write_refund,
    write_void,
)
from sync.core.mutations import Rejected
from sync.core.schema import CardAbandon, LedgerEntry, Location

log = logging.getLogger("frontdesk.server.payments")

LATE = ("This card {what} was cancelled at the desk before it reached the card service, so nothing was done "
        "and the card was not charged. Start again if it is still wanted.")  # fmt: skip
NOT_CHARGED = "The desk gave up on this card payment before it went through: the card was not charged."
NOT_DONE = "The desk gave up on this card {what} before it went through: it was not made. Make it again if it is still wanted."
CANCELLED = "The desk gave up waiting, so the charge was cancelled at the card service (reversal on the ledger)."
DONE = "The {what} went through after the desk gave up waiting; it stands as recorded."
NEEDS_HAND = ("The card was charged, and the card service would not cancel it automatically ({why}). Void it by hand "
              "on the card service's site, reference {ref}, then mark it dealt with.")  # fmt: skip
MADE_NOT_RECORDED = ("The {what} went through at the card service (reference {ref}) but its answer never came, so it is "
                     "not on the ledger. Check it on the card service's site and record it by hand; do not make it again.")  # fmt: skip
REFUNDED_ALREADY = ("The desk gave up waiting, and this payment had been voided or refunded in full already: the money is "
                    "back on the card, nothing more was done.")  # fmt: skip
REASON = "Cancelled automatically: the desk gave up waiting for the card service's answer"
_WHAT = {"sale": "payment", "void": "void", "refund": "refund"}


@dataclass(frozen=True)
class Outcome:
    key: str
    status: str  # not_charged | cancelled | done | needs_attention | waiting


def late_call(db: Session, key: str, kind: str, *, family_id: str, amount_cents: int, target_id: str | None,
              staff_id: str, desk_id: str) -> CardAttempt | None:  # fmt: skip
    """In the write transaction before a card call: a key the desk gave up on is refused, and
    remembered as declined (the caller answers it and commits). None: go ahead."""
    if db.get(CardAbandon, key) is None:
        return None
    row = _declined(db, key, kind, family_id=family_id, amount_cents=amount_cents, target_id=target_id,
                    staff_id=staff_id, desk_id=desk_id)  # fmt: skip
    audit(db, "payment.card_late_refused", staff_id=staff_id, desk_id=desk_id, record_type="ledger_entry",
          record_id=key, kind=kind, family_id=family_id, amount_cents=amount_cents)  # fmt: skip
    return row


def _declined(db: Session, key: str, kind: str, *, family_id: str, amount_cents: int, target_id: str | None,
              staff_id: str, desk_id: str) -> CardAttempt:  # fmt: skip
    """The key remembered as declined: whatever copy of the call comes, it is answered so."""
    row = db.get(CardAttempt, key)
    if row is None:
        row = CardAttempt(key=key, kind=kind, target_id=target_id, family_id=family_id, amount_cents=amount_cents,
                          staff_id=staff_id, desk_id=desk_id)  # fmt: skip
        db.add(row)
    row.status, row.decline_code, row.message = "declined", "processing_error", LATE.format(what=_WHAT[kind])
    return row


def has_abandons(adb: AccountDatabase) -> bool:
    with adb.read_session() as db:
        return db.exec(select(CardAbandon.id).where(CardAbandon.status == "cancelling").limit(1)).first() is not None


def settle_abandoned(adb: AccountDatabase, gateway: Gateway, clock: Clock = SYSTEM) -> list[Outcome]:
    with adb.read_session() as db:
        keys = db.exec(select(CardAbandon.id).where(CardAbandon.status == "cancelling").order_by(col(CardAbandon.usn))).all()
    return [settle_one(adb, gateway, key, clock) for key in keys]


def settle_one(adb: AccountDatabase, gateway: Gateway, key: str, clock: Clock = SYSTEM) -> Outcome:
    with adb.write_session() as db:
        ab = db.get(CardAbandon, key)
        if ab is None or ab.status != "cancelling":
            return Outcome(key, ab.status if ab is not None else "gone")
        entry = db.get(LedgerEntry, key)
        attempt = db.get(CardAttempt, key) if entry is None else None
        if attempt is not None and attempt.status in UNDER_WAY:
            return Outcome(key, "waiting")  # the call is still going (or the crash sweep will settle it)
        unknown = attempt is not None and attempt.status == UNKNOWN
        if entry is None and not unknown:
            return _never_made(db, ab, attempt)
        if entry is not None and ab.kind != "sale":
            return _finish(db, ab, "done", DONE.format(what=_WHAT[ab.kind]))
        if entry is not None:
            state = family_ledger(db, entry.family_id).state(key)
            left = state.refundable_cents if state is not None else -entry.amount_cents
            if left <= 0:  # refunded in full (or voided) by hand meanwhile: the money is back already
                return _finish(db, ab, "cancelled", REFUNDED_ALREADY)
            if ab.reversal_id is None:
                ab.reversal_id = new_id()  # fixed before the card service is asked: a second try reverses nothing twice
                db.commit()
            reversal_id, ref, partly = ab.reversal_id, entry.gateway_ref, left < -entry.amount_cents
    if unknown:
        return _ask_gateway(adb, gateway, key)
    try:
        if partly:  # part refunded already: no card service voids that sale; the rest is refunded
            result, how = gateway.refund(ref, left, f"{key}/abandon-refund"), "refund"
        else:
            result, how = gateway.void(ref, f"{key}/abandon"), "void"
            if not result.approved and result.settled:
                result, how = gateway.refund(ref, left, f"{key}/abandon-refund"), "refund"
    except GatewayUnreachable:
        log.warning("card payment %s: the desk gave up on it and the card service cannot be reached yet", key)
        return Outcome(key, "waiting")
    return _write_reversal(adb, key, reversal_id, how, left, result, clock.now())


def _never_made(db: Session, ab: CardAbandon, attempt: CardAttempt | None) -> Outcome:
    """Not on the ledger, not under way: declined, settled by the crash sweep, or never arrived."""
    if attempt is None:  # it never arrived: its late copy is refused from now on
        _declined(db, ab.id, ab.kind, family_id=ab.family_id, amount_cents=ab.amount_cents, target_id=ab.target_id,
                  staff_id=ab.staff_id, desk_id=ab.desk_id)  # fmt: skip
    from server.payments.reconcile import CANCELLED as RECONCILED

    reversed_ = attempt is not None and attempt.message == RECONCILED
    message = CANCELLED if reversed_ else NOT_CHARGED if ab.kind == "sale" else NOT_DONE.format(what=_WHAT[ab.kind])
    return _finish(db, ab, "cancelled" if reversed_ else "not_charged", message)


def _ask_gateway(adb: AccountDatabase, gateway: Gateway, key: str) -> Outcome:
    """A void or refund whose call got no answer: the card service says whether it was made."""
    try:
        found = gateway.find(key)
    except GatewayUnreachable:
        return Outcome(key, "waiting")
    with adb.write_session() as db:
        ab, attempt = db.get(CardAbandon, key), db.get(CardAttempt, key)
        if ab is None or ab.status != "cancelling" or attempt is None or attempt.status != UNKNOWN:
            return Outcome(key, "waiting")  # a retry took it over meanwhile: its outcome comes next sweep
        what = _WHAT[ab.kind]
        if found is None or not found.approved:
            attempt.status, attempt.decline_code, attempt.message = "declined", "processing_error", LATE.format(what=what)
            return _finish(db, ab, "not_charged", NOT_DONE.format(what=what))
        attempt.status, attempt.decline_code, attempt.message = "declined", "processing_error", MADE_NOT_RECORDED.format(
            what=what, ref=found.gateway_ref)  # a copy of the call must not make it again
        ab.gateway_ref = found.gateway_ref
        return _finish(db, ab, "needs_attention", MADE_NOT_RECORDED.format(what=what, ref=found.gateway_ref))


def _write_reversal(adb: AccountDatabase, key: str, reversal_id: str, how: str, amount: int, result: GatewayResult,
                    now: dt.datetime) -> Outcome:  # fmt: skip
    with adb.write_session() as db:
        ab = db.get(CardAbandon, key)
        entry = db.get(LedgerEntry, key)
        if ab is None or entry is None or ab.status != "cancelling":
            return Outcome(key, ab.status if ab is not None else "gone")
        ab.gateway_ref = entry.gateway_ref
        if not result.approved:
            log.error("card payment %s: the desk gave up on it, and the reversal was refused (gateway ref %s)", key, entry.gateway_ref)
            return _finish(db, ab, "needs_attention", NEEDS_HAND.format(why=result.message or "refused", ref=entry.gateway_ref))
        by = made_by(ab.staff_id, ab.desk_id, now.astimezone(dt.UTC).replace(tzinfo=None))
        try:
            if how == "void":
                write_void(db, by, VoidPayload(entry_id=reversal_id, corrects_id=key, family_id=entry.family_id,
                                               location_id=entry.location_id, reason=REASON,
                                               business_date=entry.business_date), lambda: next_usn(db), card_voided=True)  # fmt: skip
            else:
                card = CardResult(method=entry.method, brand=entry.card_brand, last4=entry.card_last4,  # type: ignore[arg-type]
                                  approval_code=result.approval_code, gateway_ref=result.gateway_ref)  # fmt: skip
                write_refund(db, by, RefundPayload(entry_id=reversal_id, corrects_id=key, family_id=entry.family_id,
                                                   location_id=entry.location_id, amount_cents=amount,
                                                   receipt_no=f"{entry.receipt_no}-X"[:32], reason=REASON,
                                                   business_date=_today(db, entry.location_id, now)),
                             lambda: next_usn(db), card_refund=card)  # fmt: skip
        except Rejected as rejected:  # the payment was corrected by hand in between: the money is back already
            db.rollback()
            ab = db.get(CardAbandon, key)
            return _finish(db, ab, "needs_attention", f"{rejected.message} Check the card service, reference {entry.gateway_ref}.")
        ab.reversal_id = reversal_id
        return _finish(db, ab, "cancelled", CANCELLED, gateway_ref=result.gateway_ref)


def _finish(db: Session, ab: CardAbandon, status: str, message: str, **detail: object) -> Outcome:
    ab.status, ab.message, ab.usn = status, message, next_usn(db)
    audit(db, "payment.card_abandon_settled", staff_id=ab.staff_id, desk_id=ab.desk_id, record_type="ledger_entry",
          record_id=ab.id, kind=ab.kind, outcome=status, family_id=ab.family_id, amount_cents=ab.amount_cents,
          reversal_id=ab.reversal_id, source="server", **detail)  # fmt: skip
    db.add(ab)
    db.commit()
    return Outcome(ab.id, status)


def _today(db: Session, location_id: str, now: dt.datetime) -> dt.date:
    location = db.get(Location, location_id)
    return now.astimezone(ZoneInfo(location.timezone if location else "UTC")).date()
