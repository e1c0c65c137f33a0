"""sync.money_reports: statement, end of day and drawer counts agree with the ledger to the cent."""

from __future__ import annotations

import datetime as dt
from itertools import count
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, SQLModel, create_engine

from sync.core.ids import new_id, utcnow
from sync.core.ledger_mutations import CardResult, PaymentPayload, made_by, family_ledger, write_payment
from sync.money_reports import drawer_counts, end_of_day, family_statement
from sync.core.mutations import apply_mutation
from sync.queries import NotFound
from sync.core.schema import SHARED_TABLES, Family, Location, Staff
from sync.core.wire import Mutation

D1, D2, D3 = dt.date(2026, 11, 2), dt.date(2026, 11, 16), dt.date(2026, 11, 25)


@pytest.fixture
def db():
    engine = create_engine("sqlite://")
    SQLModel.metadata.create_all(engine, tables=SHARED_TABLES)
    with Session(engine) as s:
        s.add(Location(id="L", name="Downtown", code="DT", timezone="America/Chicago"))
        s.add(Family(id="F", name="Lee"))
        s.add(Family(id="G", name="Okafor"))
        s.add(Staff(id="S", username="alex", display_name="Alex Kim"))
        s.commit()
        yield s


USN = count(1)


def do(db, type_, **payload):
    m = Mutation(id=new_id(), desk_id="D", seq=1, staff_id="S", made_at=utcnow(), type=type_, payload=payload)
    apply_mutation(db, m, lambda: next(USN))
    db.commit()
    return payload.get("entry_id") or payload.get("count_id")


def charge(db, family, day, cents, what="Tuition"):
    return do(db, "charge.post", entry_id=new_id(), family_id=family, location_id="L", category="tuition",
              description=what, amount_cents=cents, business_date=day.isoformat())


def pay(db, family, day, method, cents, receipt, **extra):
    return do(db, "payment.record", entry_id=new_id(), family_id=family, location_id="L", method=method,
              amount_cents=cents, receipt_no=receipt, business_date=day.isoformat(), **extra)


def test_statement_brings_the_balance_forward_and_ends_on_the_ledger_balance(db):
    charge(db, "F", D1, 10000, "October tuition")
    pay(db, "F", D1, "cash", 4000, "DT-D1-000001", tendered_cents=5000)
    c2 = charge(db, "F", D2, 12000, "November tuition")
    p2 = pay(db, "F", D2, "check", 12000, "DT-D1-000002", check_number="1042")
    do(db, "refund.record", entry_id=new_id(), corrects_id=p2, family_id="F", location_id="L", amount_cents=2000,
       receipt_no="DT-D1-000003", reason="sibling discount", business_date=D3.isoformat())
    do(db, "void.entry", entry_id=new_id(), corrects_id=c2, family_id="F", location_id="L", reason="billed twice",
       business_date=D3.isoformat())
    st = family_statement(db, "F", D2, D3)
    assert st.opening_cents == 6000  # October: 100.00 charged, 40.00 paid
    assert [r.amount_cents for r in st.rows] == [12000, -12000, 2000, -12000]
    assert st.closing_cents == family_ledger(db, "F").balance_cents == -4000  # a $40 credit
    assert st.opening_cents + st.charged_cents - st.paid_cents == st.closing_cents
    assert st.charged_cents == 0 and st.paid_cents == 10000  # the charge was voided; 120 paid, 20 refunded
    assert "Check #1042 · receipt DT-D1-000002" in st.rows[1].detail
    assert family_statement(db, "F", D1, D1).closing_cents == 6000
    with pytest.raises(NotFound):
        family_statement(db, "nobody", D1, D3)


def test_end_of_day_groups_by_method_and_leaves_out_same_day_voids(db):
    for fam in ("F", "G"):
        charge(db, fam, D3, 20000)
    pay(db, "F", D3, "cash", 5000, "DT-D1-000010", tendered_cents=6000)
    pay(db, "G", D3, "cash", 2500, "DT-D1-000011")
    pay(db, "G", D3, "check", 7500, "DT-D1-000012", check_number="88")
    gone = pay(db, "F", D3, "cash", 999, "DT-D1-000013")
    do(db, "void.entry", entry_id=new_id(), corrects_id=gone, family_id="F", location_id="L", reason="wrong family",
       business_date=D3.isoformat())
    card = CardResult(method="card_present", brand="Visa", last4="4242", approval_code="OK1234", gateway_ref="ch_9")
    write_payment(db, made_by("S", "D", utcnow()), PaymentPayload(
        entry_id=new_id(), family_id="F", location_id="L", method="cash", amount_cents=3000,
        receipt_no="DT-D1-000014", business_date=D3), lambda: next(USN), card=card)
    db.commit()
    p_old = pay(db, "G", D2, "cash", 1000, "DT-D1-000009")  # another day: only its refund today counts
    do(db, "refund.record", entry_id=new_id(), corrects_id=p_old, family_id="G", location_id="L", amount_cents=400,
       receipt_no="DT-D1-000015", reason="class cancelled", business_date=D3.isoformat())

    day = end_of_day(db, "L", D3)
    totals = {t.method: (t.count, t.in_cents, t.out_cents) for t in day.totals}
    assert totals == {"cash": (3, 7500, 400), "check": (1, 7500, 0), "card_present": (1, 3000, 0)}
    assert day.deposit_cents == 7100 + 7500
    assert [v.receipt_no for v in day.voided] == ["DT-D1-000013"]
    assert [x.detail for x in day.lines["check"]] == ["Check #88"]
    assert day.lines["card_present"][0].detail == "Visa **** 4242 (approval OK1234)"
    assert day.net_cents == 7100 + 7500 + 3000
    assert end_of_day(db, "L", D1).totals == ()


def test_drawer_counts_of_a_local_day(db):
    start = dt.datetime(2026, 11, 25, 14, 0)  # 8:00 AM in Chicago
    do(db, "drawer.count", count_id=new_id(), location_id="L", period_start=start.isoformat(),
       period_end=(start + dt.timedelta(hours=8)).isoformat(), opening_float_cents=10000,
       expected_cash_cents=17100, counted_cash_cents=17000, note="one dollar short")
    today_there = dt.datetime.now(ZoneInfo("America/Chicago")).date()  # counted_at is now, on the desk clock
    counts = drawer_counts(db, "L", today_there)
    assert drawer_counts(db, "L", today_there - dt.timedelta(days=1)) == ()
    assert len(counts) == 1
    c = counts[0]
    assert (c.difference_cents, c.staff_name, c.note, c.pending) == (-100, "Alex Kim", "one dollar short", False)
    assert c.period_start.hour == 8 and c.period_start.tzname() in ("CST", "CDT")
