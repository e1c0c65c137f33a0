"""The sandbox gateway on its own: test numbers, declines, idempotency across restarts, settlement."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest

from server.payments.gateway import Gateway, GatewayUnreachable
from server.payments.sandbox import FILE_NAME, SandboxGateway
from sync.core.wire_payments import CardData
from tests.fixtures import cards as tc

EVENING = dt.datetime(2026, 3, 11, 23, 0, tzinfo=dt.UTC)  # 18:00 in Chicago


@pytest.fixture
def clock():
    now = [EVENING]
    return now


@pytest.fixture
def sandbox(tmp_path, clock):
    gateway = SandboxGateway(tmp_path / FILE_NAME, clock=lambda: clock[0])
    yield gateway
    gateway.close()


def keyed(pan: str, month: int = 12, year: int = 2030, cvc: str | None = "123") -> CardData:
    return CardData(number=pan, exp_month=month, exp_year=year, cvc=cvc)


def swiped(pan: str, yymm: str = "2812") -> CardData:
    return CardData(track=tc.magtek(pan, yymm=yymm))


def rows(gateway: SandboxGateway, where: str = "1") -> list[sqlite3.Row]:
    con = sqlite3.connect(gateway.path)
    con.row_factory = sqlite3.Row
    try:
        return con.execute(f"SELECT * FROM operation WHERE {where} ORDER BY created_at").fetchall()
    finally:
        con.close()


def test_the_sandbox_is_a_gateway(sandbox):
    assert isinstance(sandbox, Gateway)


@pytest.mark.parametrize("pan, brand", [(tc.VISA_2, "Visa"), (tc.MASTERCARD, "Mastercard"), (tc.AMEX, "American Express"),
                                        (tc.DISCOVER, "Discover")])  # fmt: skip
@pytest.mark.parametrize("how", [keyed, swiped])
def test_test_cards_are_approved_and_only_brand_and_last_four_are_kept(sandbox, pan, brand, how):
    result = sandbox.sale(4500, "USD", how(pan), "key-1")
    assert result.approved and result.decline_code is None
    assert (result.brand, result.last4) == (brand, pan[-4:])
    assert result.gateway_ref.startswith("sbx_sale_") and len(result.approval_code) == 6
    [row] = rows(sandbox)
    assert (row["kind"], row["status"], row["amount_cents"], row["brand"], row["last4"]) == ("sale", "approved", 4500, brand, pan[-4:])
    assert pan.encode() not in sandbox.path.read_bytes()


@pytest.mark.parametrize("pan, code", sorted(tc.DECLINING_PANS.items()))
def test_decline_triggers_decline_with_their_reason(sandbox, pan, code):
    result = sandbox.sale(4500, "USD", keyed(pan), "key-1")
    assert not result.approved and result.decline_code == code
    assert result.message and pan[-4:] not in result.message
    assert [(r["status"], r["decline_code"]) for r in rows(sandbox)] == [("declined", code)]


def test_a_bad_number_or_a_past_expiry_is_refused_before_any_charge(sandbox):
    bad = sandbox.sale(4500, "USD", keyed(tc.BAD_LUHN), "key-1")
    assert (bad.approved, bad.decline_code) == (False, "invalid_number")
    old = sandbox.sale(4500, "USD", keyed(tc.VISA_2, month=2, year=2026), "key-2")  # good through February
    assert (old.approved, old.decline_code) == (False, "expired_card")
    swipe = sandbox.sale(4500, "USD", swiped(tc.VISA_2, yymm="2602"), "key-3")
    assert swipe.decline_code == "expired_card"
    assert sandbox.sale(4500, "USD", keyed(tc.VISA_2, month=3, year=2026), "key-4").approved  # good through March
    assert len(rows(sandbox)) == 1


def test_a_repeated_key_gets_the_first_result_also_after_a_restart(sandbox, tmp_path, clock):
    first = sandbox.sale(4500, "USD", keyed(tc.VISA_2), "key-1")
    again = sandbox.sale(4500, "USD", keyed(tc.VISA_2), "key-1")
    assert again == first
    reopened = SandboxGateway(tmp_path / FILE_NAME, clock=lambda: clock[0])
    assert reopened.sale(4500, "USD", keyed(tc.VISA_2), "key-1") == first
    assert len(rows(sandbox)) == 1


def test_void_on_the_same_day_then_never_again(sandbox):
    sale = sandbox.sale(4500, "USD", keyed(tc.VISA_2), "sale-1")
    void = sandbox.void(sale.gateway_ref, "void-1")
    assert void.approved and not void.settled and (void.brand, void.last4) == ("Visa", tc.VISA_2[-4:])
    assert sandbox.void(sale.gateway_ref, "void-1") == void  # the same key: the first answer
    assert not sandbox.void(sale.gateway_ref, "void-2").approved  # a second void of the same sale
    assert not sandbox.refund(sale.gateway_ref, 100, "refund-1").approved  # nothing left to refund


def test_a_sale_settles_at_the_end_of_its_business_day(sandbox, clock):
    sale = sandbox.sale(4500, "USD", keyed(tc.VISA_2), "sale-1")
    clock[0] = EVENING + dt.timedelta(hours=5, minutes=59)  # 23:59 in Chicago: still the same day
    assert not sandbox._settled(rows(sandbox)[0])
    clock[0] = EVENING + dt.timedelta(hours=6, minutes=1)  # past midnight in Chicago
    void = sandbox.void(sale.gateway_ref, "void-1")
    assert (void.approved, void.settled) == (False, True) and "refund" in void.message
    assert sandbox.refund(sale.gateway_ref, 4500, "refund-1").approved
    assert [r["kind"] for r in rows(sandbox)] == ["sale", "refund"]


def test_closing_the_batch_settles_todays_sales(sandbox):
    sale = sandbox.sale(4500, "USD", keyed(tc.VISA_2), "sale-1")
    assert sandbox.settle_batch() == 1
    assert sandbox.void(sale.gateway_ref, "void-1").settled


def test_refunds_of_an_unsettled_sale_never_beyond_what_it_has_left(sandbox):
    sale = sandbox.sale(4500, "USD", keyed(tc.VISA_2), "sale-1")
    assert sandbox.refund(sale.gateway_ref, 1000, "refund-1").approved
    assert sandbox.refund(sale.gateway_ref, 3000, "refund-2").approved
    beyond = sandbox.refund(sale.gateway_ref, 501, "refund-3")
    assert not beyond.approved and "more than" in beyond.message
    assert sandbox.refund(sale.gateway_ref, 500, "refund-4").approved
    assert not sandbox.void(sale.gateway_ref, "void-1").approved  # refunded: no void any more
    assert not sandbox.refund("sbx_sale_unknown", 100, "refund-5").approved


def test_an_outage_before_the_call_stores_nothing_after_it_the_retry_gets_the_first_result(sandbox):
    sandbox.fault = "unreachable"
    with pytest.raises(GatewayUnreachable):
        sandbox.sale(4500, "USD", keyed(tc.VISA_2), "sale-1")
    assert rows(sandbox) == []
    sandbox.fault = "lost_answer"
    with pytest.raises(GatewayUnreachable) as lost:
        sandbox.sale(4500, "USD", keyed(tc.VISA_2), "sale-1")
    assert tc.VISA_2 not in str(lost.value) and tc.VISA_2[-4:] not in repr(lost.value)
    assert sandbox.sale(4500, "USD", keyed(tc.VISA_2), "sale-1").approved
    assert len(rows(sandbox)) == 1
