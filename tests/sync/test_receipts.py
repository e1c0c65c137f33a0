"""sync.core.receipts: one ReceiptData from ledger rows, whichever side asks."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import Session, SQLModel, create_engine

from printing.receipt import receipt_lines
from sync.core.ids import new_id, utcnow
from sync.core.ledger_mutations import CardResult, PaymentPayload, made_by, write_payment
from sync.core.mutations import apply_mutation
from sync.core.receipts import NoReceipt, receipt_data
from sync.core.schema import SHARED_TABLES, Family, Location, Staff
from sync.core.wire import Mutation

TODAY = dt.date(2026, 11, 25)


@pytest.fixture
def db():
    engine = create_engine("sqlite://")
    SQLModel.metadata.create_all(engine, tables=SHARED_TABLES)
    with Session(engine) as s:
        s.add(Location(id="L", name="Downtown", code="DT", address="1 Main St"))
        s.add(Family(id="F", name="Lee", email="lee@example.org"))
        s.add(Staff(id="S", username="alex", display_name="Alex Kim"))
        s.commit()
        yield s


def _apply(db, type_, payload, usn=[0]):
    def next_usn():
        usn[0] += 1
        return usn[0]

    m = Mutation(id=new_id(), desk_id="D", seq=1, staff_id="S", made_at=utcnow(), type=type_, payload=payload)
    apply_mutation(db, m, next_usn)
    db.commit()


def test_card_payment_and_its_refund_make_receipts_without_card_data(db):
    charge = new_id()
    _apply(db, "charge.post", dict(entry_id=charge, family_id="F", location_id="L", category="tuition",
                                   description="November tuition", amount_cents=9000, business_date=TODAY.isoformat()))
    pay = new_id()
    payload = PaymentPayload(entry_id=pay, family_id="F", location_id="L", method="cash", amount_cents=10000,
                             receipt_no="DT-D1-000001", business_date=TODAY,
                             allocations=[dict(allocation_id=new_id(), charge_id=charge, amount_cents=9000)])
    card = CardResult(method="card_present", brand="Visa", last4="4242", approval_code="A1B2C3", gateway_ref="ch_1")
    write_payment(db, made_by("S", "D", utcnow()), payload, lambda: 7, card=card)
    db.commit()
    data = receipt_data(db, pay, business_name="Acme Gym")
    assert data.method.text() == "Visa **** 4242"
    assert data.total_cents == 10000 and data.tendered_cents is None
    assert [(a.description, a.amount_cents) for a in data.applied_to] == [("November tuition", 9000)]
    assert data.balance_after_cents == -1000  # $10 left as credit
    assert not data.pending_sync and data.family_name == "Lee family" and data.staff_name == "Alex Kim"

    refund = new_id()
    from sync.core.ledger_mutations import RefundPayload, write_refund
    write_refund(db, made_by("S", "D", utcnow()), RefundPayload(
        entry_id=refund, corrects_id=pay, family_id="F", location_id="L", amount_cents=1000,
        receipt_no="DT-D1-000002", reason="overpaid", business_date=TODAY), lambda: None, card_refund=card)
    db.commit()
    r = receipt_data(db, refund, business_name="Acme Gym")
    assert r.lines[0].description == "Refund of receipt DT-D1-000001" and r.total_cents == 1000
    assert r.balance_after_cents == 0 and r.pending_sync  # usn None: not confirmed by the server yet
    text = "\n".join(line for line, _ in receipt_lines(r))
    assert "PENDING SYNC" in text and "4242" in text


def test_a_charge_has_no_receipt(db):
    charge = new_id()
    _apply(db, "charge.post", dict(entry_id=charge, family_id="F", location_id="L", category="fee",
                                   description="Registration", amount_cents=3500, business_date=TODAY.isoformat()))
    with pytest.raises(NoReceipt):
        receipt_data(db, charge, business_name="Acme Gym")
    with pytest.raises(NoReceipt):
        receipt_data(db, "nope", business_name="Acme Gym")
