"""Voiding and refunding card payments: through the gateway first, then on the ledger.

A void cancels the whole charge and is possible only on the payment's business day, before the
card settles; after that the desk is told to refund (422 `refund_instead`). A refund gives back
part or all of what the payment still holds, never more. Both are idempotent on the id the
desk made for the correcting entry (`void_id`, `refund_id`), which is also the gateway's key.
"""

from __future__ import annotations

from sqlalchemy import delete, update
from sqlmodel import Session, col

from server.account_db import AccountDatabase, audit, next_usn
from server.errors import Invalid, NotFound
from server.payments.abandon import late_call
from server.payments.attempts import UNDER_WAY, UNKNOWN, CardAttempt, remember_decline
from server.payments.flow import (
    KEY_REUSED,
    Caller,
    approved,
    audit_event,
    declined,
    dry_run,
    family_lock,
    naive_utc,
    rejected_error,
    unreachable_error,
)
from server.payments.gateway import Gateway, GatewayResult, GatewayUnreachable
from server.permissions import source_of
from sync.core.ledger import correction_for
from sync.core.ledger_mutations import CardResult, RefundPayload, VoidPayload, family_ledger, made_by, write_refund, write_void
from sync.core.mutations import Rejected
from sync.core.schema import CARD_METHODS, LedgerEntry
from sync.core.wire_payments import CardRefundRequest, CardVoidRequest, PaymentAnswer

NOT_FOUND = "That payment is not on file."
NOT_CARD = ("This is not a card payment, so the card service has nothing to do with it: "
            "void or refund it from the family's ledger as usual.")  # fmt: skip
REFUND_INSTEAD = "This card payment is from an earlier day and can no longer be voided: refund it instead."


def void_card_payment(adb: AccountDatabase, gateway: Gateway, who: Caller, entry_id: str, body: CardVoidRequest) -> PaymentAnswer:
    target = _target(adb, entry_id)
    with family_lock(who.account_id, target.family_id):
        with adb.read_session() as db:
            earlier = _earlier(db, body.void_id, "void", entry_id)
            if earlier is not None:
                return earlier
            state = family_ledger(db, target.family_id).state(entry_id)
            if state is not None and not state.voided and correction_for(state, body.business_date) == "refund":
                audit_event(adb, who, "payment.card_void_refused", entry_id, code="refund_instead", void_id=body.void_id)
                raise Invalid(REFUND_INSTEAD, "refund_instead")
            payload = VoidPayload(entry_id=body.void_id, corrects_id=entry_id, family_id=target.family_id,
                                  location_id=target.location_id, reason=body.reason, business_date=body.business_date)  # fmt: skip
            by = made_by(who.staff_id, who.desk_id, naive_utc(body.made_at))
            try:
                dry_run(db, lambda: write_void(db, by, payload, lambda: None, card_voided=True))
            except Rejected as rejected:
                raise rejected_error(adb, who, "payment.card_void_refused", entry_id, rejected, void_id=body.void_id) from None
        late = _late(adb, who, body.void_id, "void", target, target.amount_cents * -1)
        if late is not None:
            return late
        try:
            result = gateway.void(target.gateway_ref, body.void_id)
        except GatewayUnreachable as exc:
            _unknown(adb, body.void_id)
            raise unreachable_error(adb, who, "payment.card_unreachable", entry_id, exc, void_id=body.void_id) from None
        if result.settled:
            audit_event(adb, who, "payment.card_void_refused", entry_id, code="settled", void_id=body.void_id)
            raise Invalid(result.message or REFUND_INSTEAD, "refund_instead")
        if not result.approved:
            return _decline(adb, who, body.void_id, "void", target, target.amount_cents * -1, result)
        return _write(adb, who, body.void_id, "payment.card_void", target, lambda db: write_void(
            db, by, payload, lambda: next_usn(db), card_voided=True), approval_code=result.approval_code)


def refund_card_payment(adb: AccountDatabase, gateway: Gateway, who: Caller, entry_id: str, body: CardRefundRequest) -> PaymentAnswer:
    target = _target(adb, entry_id)
    with family_lock(who.account_id, target.family_id):
        payload = RefundPayload(entry_id=body.refund_id, corrects_id=entry_id, family_id=target.family_id,
                                location_id=target.location_id, amount_cents=body.amount_cents, receipt_no=body.receipt_no,
                                reason=body.reason, business_date=body.business_date)  # fmt: skip
        by = made_by(who.staff_id, who.desk_id, naive_utc(body.made_at))
        with adb.read_session() as db:
            earlier = _earlier(db, body.refund_id, "refund", entry_id)
            if earlier is not None:
                return earlier
            probe = _card(target, GatewayResult(approved=True, gateway_ref="probe"))
            try:
                dry_run(db, lambda: write_refund(db, by, payload, lambda: None, card_refund=probe))
            except Rejected as rejected:
                raise rejected_error(adb, who, "payment.card_refund_refused", entry_id, rejected,
                                     refund_id=body.refund_id, amount_cents=body.amount_cents) from None  # fmt: skip
        late = _late(adb, who, body.refund_id, "refund", target, body.amount_cents)
        if late is not None:
            return late
        try:
            result = gateway.refund(target.gateway_ref, body.amount_cents, body.refund_id)
        except GatewayUnreachable as exc:
            _unknown(adb, body.refund_id)
            raise unreachable_error(adb, who, "payment.card_unreachable", entry_id, exc, refund_id=body.refund_id) from None
        if not result.approved:
            return _decline(adb, who, body.refund_id, "refund", target, body.amount_cents, result)
        card = _card(target, result)
        return _write(adb, who, body.refund_id, "payment.card_refund", target, lambda db: write_refund(
            db, by, payload, lambda: next_usn(db), card_refund=card), approval_code=result.approval_code,
            amount_cents=body.amount_cents, receipt_no=body.receipt_no)  # fmt: skip


def _target(adb: AccountDatabase, entry_id: str) -> LedgerEntry:
    with adb.read_session() as db:
        target = db.get(LedgerEntry, entry_id)
    if target is None:
        raise NotFound(NOT_FOUND)
    if target.kind != "payment" or target.method not in CARD_METHODS or not target.gateway_ref:
        raise Invalid(NOT_CARD, "not_card")
    return target


def _earlier(db: Session, key: str, kind: str, entry_id: str) -> PaymentAnswer | None:
    """The first answer for this key: its entry on the ledger, or its remembered decline."""
    done = db.get(LedgerEntry, key)
    if done is not None:
        if done.kind != kind or done.corrects_id != entry_id:
            raise Invalid(KEY_REUSED, "key_reused")
        return approved(db, done)
    attempt = db.get(CardAttempt, key)
    if attempt is not None:
        if attempt.kind != kind or attempt.target_id != entry_id:
            raise Invalid(KEY_REUSED, "key_reused")
        if attempt.status in (*UNDER_WAY, UNKNOWN):
            return None  # its answer was lost: asked again with the same key, which the gateway answers as before
        return declined(attempt)
    return None


def _late(adb: AccountDatabase, who: Caller, key: str, kind: str, target: LedgerEntry, amount: int) -> PaymentAnswer | None:
    """The desk gave up on this key (server.payments.abandon): this copy came too late, nothing is
    done. Otherwise the call is marked under way before the gateway is asked, so an abandon that
    arrives meanwhile waits for its outcome instead of saying it was never made."""
    with adb.write_session() as db:
        attempt = late_call(db, key, kind, family_id=target.family_id, amount_cents=amount, target_id=target.id,
                            staff_id=who.staff_id, desk_id=who.desk_id)  # fmt: skip
        row = db.get(CardAttempt, key) if attempt is None else None
        if attempt is None and row is None:
            db.add(CardAttempt(key=key, kind=kind, target_id=target.id, family_id=target.family_id, amount_cents=amount,
                               status="pending", staff_id=who.staff_id, desk_id=who.desk_id))  # fmt: skip
        elif row is not None and row.status == UNKNOWN:
            row.status = "pending"  # a retry after no answer: under way again
        db.commit()
        return declined(attempt) if attempt is not None else None


def _unknown(adb: AccountDatabase, key: str) -> None:
    with adb.write_session() as db:
        db.execute(update(CardAttempt).where(col(CardAttempt.key) == key, col(CardAttempt.status) == "pending")
                   .values(status=UNKNOWN))  # fmt: skip
        db.commit()


def _card(target: LedgerEntry, result: GatewayResult) -> CardResult:
    return CardResult(method=target.method, brand=target.card_brand, last4=target.card_last4,  # type: ignore[arg-type]
                      approval_code=result.approval_code, gateway_ref=result.gateway_ref)  # fmt: skip


def _decline(adb: AccountDatabase, who: Caller, key: str, kind: str, target: LedgerEntry, amount: int,
             result: GatewayResult) -> PaymentAnswer:  # fmt: skip
    with adb.write_session() as db:
        attempt = remember_decline(db, key, kind, target_id=target.id, family_id=target.family_id, amount_cents=amount,
                                   result=result, staff_id=who.staff_id, desk_id=who.desk_id)  # fmt: skip
        audit(db, f"payment.card_{kind}_declined", staff_id=who.staff_id, desk_id=who.desk_id, record_type="ledger_entry",
              record_id=target.id, key=key, decline_code=attempt.decline_code, source=source_of(db, who.staff_id))  # fmt: skip
        db.commit()
        return declined(attempt)


def _write(adb: AccountDatabase, who: Caller, key: str, action: str, target: LedgerEntry, write, **detail: object) -> PaymentAnswer:
    """The ledger entry of a correction the gateway made. Refused now only if another request
    changed the payment in between (a race the family lock rules out within this process)."""
    try:
        with adb.write_session() as db:
            # On the ledger now, so no longer under way (in the entry's own transaction).
            db.execute(delete(CardAttempt).where(col(CardAttempt.key) == key, col(CardAttempt.status).in_(UNDER_WAY)))
            if write(db):
                audit(db, action, staff_id=who.staff_id, desk_id=who.desk_id, record_type="ledger_entry", record_id=key,
                      corrects_id=target.id, family_id=target.family_id, brand=target.card_brand, last4=target.card_last4,
                      source=source_of(db, who.staff_id), **detail)  # fmt: skip
            db.commit()
            return approved(db, db.get(LedgerEntry, key))
    except Rejected as rejected:
        raise rejected_error(adb, who, f"{action}_unrecorded", target.id, rejected, key=key) from None
