"""Taking a card payment: check everything, charge once, write the ledger entry, answer.

The order is what keeps money safe:
1. An entry already on the ledger under this `entry_id` (a retry after a lost answer) is
   answered again as it was; a remembered decline too. The gateway is not asked.
2. The card is read (an unreadable swipe or a bad number is refused, nothing sent) and the ledger
   write is run dry, so a payment the ledger would refuse (another family's charge, an unknown
   family, a used receipt number) is refused before any money moves.
3. The sale is marked under way (server.payments.attempts, committed), then the gateway charges
   with `entry_id` as its idempotency key: a retry after a crash or a lost gateway answer gets
   the first charge, never a second one.
4. The entry and its allocations are written with the account's next usns and audited, and the
   mark goes in the same transaction. A server that dies between 3 and 4 leaves the mark: the
   desk's retry records the payment, and with no retry server.payments.reconcile cancels the charge.
If the write fails after all (something changed in between), the charge is voided at once.
"""

from __future__ import annotations

import logging

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from server.account_db import AccountDatabase, audit, next_usn
from server.errors import Conflict, Invalid
from server.payments.abandon import late_call
from server.payments.attempts import UNDER_WAY, CardAttempt, begin_sale, end_sale, remember_decline
from server.payments.cards import CardFacts, CardUnusable, read_card
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
from sync.core.ledger_mutations import CardResult, PaymentPayload, made_by, write_payment
from sync.core.mutations import Rejected
from sync.core.schema import CARD_METHODS, CardAbandon, LedgerEntry
from sync.core.wire_payments import CardPaymentRequest, PaymentAnswer

log = logging.getLogger("frontdesk.server.payments")
UNDONE = "The payment could not be recorded, so the card charge was cancelled and nothing was charged. {why}"
RACED = "Another change was recorded at the same moment."
CHECKING = "This card payment is being checked with the card service after a problem. Try again in a minute."
UNDO_FAILED = ("The payment could not be recorded, and the card charge could not be cancelled automatically. "
               "Please ask a manager to check the card service before charging again.")  # fmt: skip


def take_card_payment(adb: AccountDatabase, gateway: Gateway, currency: str, who: Caller, body: CardPaymentRequest) -> PaymentAnswer:
    with family_lock(who.account_id, body.family_id):
        with adb.read_session() as db:
            # A copy of a call the desk gave up on (not on the ledger): refused and audited, every time.
            late = db.get(CardAbandon, body.entry_id) is not None and db.get(LedgerEntry, body.entry_id) is None
            earlier = None if late else _earlier(db, body)
        if late:
            return _refuse_late(adb, who, body)
        if earlier is not None:
            return earlier
        payload = _payload(body)
        facts = _read(adb, who, body)
        by = made_by(who.staff_id, who.desk_id, naive_utc(body.made_at))
        probe = CardResult(method=facts.method, brand=facts.brand, last4=facts.last4, approval_code="", gateway_ref="probe")
        with adb.read_session() as db:
            try:
                dry_run(db, lambda: write_payment(db, by, payload, lambda: None, card=probe))
            except Rejected as rejected:
                raise rejected_error(adb, who, "payment.card_refused", body.entry_id, rejected, **_facts(body, facts)) from None
        with adb.write_session() as db:
            # The desk gave up on this key (server.payments.abandon): this copy came too late.
            attempt = late_call(db, body.entry_id, "sale", family_id=body.family_id, amount_cents=body.amount_cents,
                                target_id=None, staff_id=who.staff_id, desk_id=who.desk_id) or \
                begin_sale(db, body.entry_id, family_id=body.family_id, amount_cents=body.amount_cents, brand=facts.brand,
                           last4=facts.last4, staff_id=who.staff_id, desk_id=who.desk_id)  # fmt: skip
            db.commit()
            if attempt.status == "declined":  # settled by the sweep a moment ago
                return declined(attempt)
            if attempt.status != "pending":
                raise Conflict(CHECKING)
        try:
            result = gateway.sale(body.amount_cents, currency, body.card, body.entry_id)
        except GatewayUnreachable as exc:
            raise unreachable_error(adb, who, "payment.card_unreachable", body.entry_id, exc, **_facts(body, facts)) from None
        if not result.approved:
            return _decline(adb, who, body, facts, result)
        card = CardResult(method=facts.method, brand=result.brand or facts.brand, last4=result.last4 or facts.last4,
                          approval_code=result.approval_code, gateway_ref=result.gateway_ref)  # fmt: skip
        try:
            with adb.write_session() as db:
                if not end_sale(db, body.entry_id):  # the sweep took it: it is cancelling this charge
                    raise Rejected("conflict", RACED)
                written = write_payment(db, by, payload, lambda: next_usn(db), card=card)
                if written:
                    audit(db, "payment.card", staff_id=who.staff_id, desk_id=who.desk_id, record_type="ledger_entry",
                          record_id=body.entry_id, approval_code=card.approval_code, gateway_ref=card.gateway_ref,
                          allocations=[[a.charge_id, a.amount_cents] for a in body.allocations],
                          source=source_of(db, who.staff_id), **_facts(body, facts))  # fmt: skip
                db.commit()
                answer = approved(db, db.get(LedgerEntry, body.entry_id))
        except Rejected as rejected:
            return _undo(adb, gateway, who, body, facts, result, rejected)
        except IntegrityError:  # a receipt number taken by another server process in between
            return _undo(adb, gateway, who, body, facts, result, Rejected("conflict", RACED))
        return answer


def _refuse_late(adb: AccountDatabase, who: Caller, body: CardPaymentRequest) -> PaymentAnswer:
    with adb.write_session() as db:
        attempt = late_call(db, body.entry_id, "sale", family_id=body.family_id, amount_cents=body.amount_cents,
                            target_id=None, staff_id=who.staff_id, desk_id=who.desk_id)  # fmt: skip
        assert attempt is not None  # abandons are never removed
        db.commit()
        return declined(attempt)


def _earlier(db: Session, body: CardPaymentRequest) -> PaymentAnswer | None:
    entry = db.get(LedgerEntry, body.entry_id)
    if entry is not None:
        same = (entry.kind == "payment" and entry.method in CARD_METHODS and entry.family_id == body.family_id
                and -entry.amount_cents == body.amount_cents)  # fmt: skip
        if not same:
            raise Invalid(KEY_REUSED, "key_reused")
        return approved(db, entry)
    attempt = db.get(CardAttempt, body.entry_id)
    if attempt is not None:
        if (attempt.kind, attempt.family_id, attempt.amount_cents) != ("sale", body.family_id, body.amount_cents):
            raise Invalid(KEY_REUSED, "key_reused")
        if attempt.status not in UNDER_WAY:
            return declined(attempt)
    return None  # new, or a sale left under way (a lost answer, a crash): asked again with the same key


def _read(adb: AccountDatabase, who: Caller, body: CardPaymentRequest) -> CardFacts:
    try:
        return read_card(body.card)
    except CardUnusable as exc:
        audit_event(adb, who, "payment.card_refused", body.entry_id, code=exc.code, family_id=body.family_id,
                    amount_cents=body.amount_cents)  # fmt: skip
        raise Invalid(exc.message, exc.code) from None


def _payload(body: CardPaymentRequest) -> PaymentPayload:
    # method is the card's own (CardResult); "terminal" only fills the field the payload requires.
    try:
        return PaymentPayload(entry_id=body.entry_id, family_id=body.family_id, location_id=body.location_id,
                              method="terminal", amount_cents=body.amount_cents, receipt_no=body.receipt_no,
                              allocations=body.allocations, description=body.description,
                              business_date=body.business_date)  # fmt: skip
    except ValidationError as exc:  # the payload's own checks (allocations beyond the amount, a charge twice)
        why = str(exc.errors()[0].get("msg", "")).removeprefix("Value error, ")
        raise Invalid(f"The payment is not valid: {why}; nothing was charged.", "invalid") from None


def _facts(body: CardPaymentRequest, facts: CardFacts) -> dict:
    """What the audit log keeps of a card payment: never more of the card than brand and last four."""
    return {"family_id": body.family_id, "amount_cents": body.amount_cents, "receipt_no": body.receipt_no,
            "method": facts.method, "brand": facts.brand, "last4": facts.last4}  # fmt: skip


def _decline(adb: AccountDatabase, who: Caller, body: CardPaymentRequest, facts: CardFacts, result: GatewayResult) -> PaymentAnswer:
    with adb.write_session() as db:
        attempt = remember_decline(db, body.entry_id, "sale", target_id=None, family_id=body.family_id,
                                   amount_cents=body.amount_cents, result=result, staff_id=who.staff_id, desk_id=who.desk_id)  # fmt: skip
        audit(db, "payment.card_declined", staff_id=who.staff_id, desk_id=who.desk_id, record_type="ledger_entry",
              record_id=body.entry_id, decline_code=attempt.decline_code, source=source_of(db, who.staff_id),
              **_facts(body, facts))  # fmt: skip
        db.commit()
        return declined(attempt)


def _undo(adb: AccountDatabase, gateway: Gateway, who: Caller, body: CardPaymentRequest, facts: CardFacts,
          result: GatewayResult, rejected: Rejected) -> PaymentAnswer:  # fmt: skip
    """The ledger refused the entry after the gateway approved: cancel the charge, remember the key
    as declined (a retry must not record a charge that was cancelled), and say so."""
    try:
        undo = gateway.void(result.gateway_ref, f"{body.entry_id}/undo")
        ok = undo.approved
    except GatewayUnreachable:
        ok = False
    if not ok:
        log.error("card payment %s approved but not recorded, and the void failed (gateway ref %s)", body.entry_id, result.gateway_ref)
    message = UNDONE.format(why=rejected.message) if ok else UNDO_FAILED
    failed = GatewayResult(approved=False, decline_code="processing_error", message=message, brand=result.brand, last4=result.last4)
    with adb.write_session() as db:
        attempt = remember_decline(db, body.entry_id, "sale", target_id=None, family_id=body.family_id,
                                   amount_cents=body.amount_cents, result=failed, staff_id=who.staff_id, desk_id=who.desk_id)  # fmt: skip
        audit(db, "payment.card_undone" if ok else "payment.card_undo_failed", staff_id=who.staff_id, desk_id=who.desk_id,
              record_type="ledger_entry", record_id=body.entry_id, gateway_ref=result.gateway_ref, code=rejected.code,
              source=source_of(db, who.staff_id), **_facts(body, facts))  # fmt: skip
        db.commit()
        return declined(attempt)
