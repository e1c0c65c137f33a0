"""The Authorize.Net adapter against a local stand-in of its API (tests/helpers/authorize_net_standin.py),
over real HTTP: approvals (keyed and swiped), declines, the duplicate window as our idempotency,
a timeout whose charge went through (found by its key, then voided), settled charges refunded,
wrong credentials, and no card number in any log."""

from __future__ import annotations

import logging

import pytest

from server.payments.authorize_net import AuthorizeNetGateway, invoice_of
from server.payments.gateway import Gateway, GatewayUnreachable
from sync.core.ids import new_id
from sync.core.wire_payments import CardData
from tests.fixtures import cards as tc
from tests.helpers.authorize_net_standin import DECLINE_CARD, KEY, LOGIN, AuthorizeNetStandIn

pytestmark = pytest.mark.timeout(30)


@pytest.fixture
def standin():
    with AuthorizeNetStandIn() as running:
        yield running


@pytest.fixture
def gateway(standin):
    gw = AuthorizeNetGateway(LOGIN, KEY, url=standin.url, timeout=1.0)
    yield gw
    gw.close()


def keyed(pan: str = tc.VISA, cvc: str = "123") -> CardData:
    return CardData(number=pan, exp_month=12, exp_year=2030, cvc=cvc)


def swiped(pan: str = tc.MASTERCARD) -> CardData:
    return CardData(track=tc.magtek(pan, yymm="3012"))


def test_it_is_a_gateway_and_keyed_and_swiped_cards_are_approved(gateway, standin):
    assert isinstance(gateway, Gateway) and LOGIN not in repr(gateway) and KEY not in repr(gateway)
    one = gateway.sale(4500, "USD", keyed(), new_id())
    two = gateway.sale(3300, "USD", swiped(), new_id())
    assert one.approved and one.approval_code and (one.brand, one.last4) == ("Visa", "1111")
    assert two.approved and (two.brand, two.last4) == ("MasterCard", "4444")
    assert {t["transactionStatus"] for t in standin.transactions.values()} == {"capturedPendingSettlement"}
    assert sorted(t["settleAmount"] for t in standin.transactions.values()) == [33.0, 45.0]


def test_a_decline_says_why_in_desk_words(gateway):
    declined = gateway.sale(200, "USD", keyed(DECLINE_CARD, cvc="123"), new_id())  # $2.00: reason 2, declined
    assert not declined.approved and declined.decline_code == "declined" and "declined" in declined.message
    expired = gateway.sale(800, "USD", keyed(DECLINE_CARD), new_id())  # reason 8: card expired
    assert expired.decline_code == "expired_card"


def test_the_same_key_again_is_the_first_answer_inside_the_duplicate_window(gateway, standin):
    key = new_id()
    first = gateway.sale(4500, "USD", keyed(), key)
    again = gateway.sale(4500, "USD", keyed(), key)
    assert again.approved and (again.gateway_ref, again.approval_code) == (first.gateway_ref, first.approval_code)
    assert len(standin.transactions) == 1  # charged once
    other = gateway.sale(4500, "USD", keyed(), new_id())  # another payment of the same amount, same card
    assert other.gateway_ref != first.gateway_ref and len(standin.transactions) == 2


def test_a_timeout_after_the_charge_is_found_by_its_key_and_voided(gateway, standin):
    key = new_id()
    standin.hold_next(2.0)  # the charge is made; its answer comes after the adapter stopped waiting
    with pytest.raises(GatewayUnreachable):
        gateway.sale(4500, "USD", swiped(), key)
    found = gateway.find(key)
    assert found is not None and found.approved and found.last4 == "4444"
    assert gateway.find(new_id()) is None  # never received
    voided = gateway.void(found.gateway_ref, f"{key}/abandon")
    assert voided.approved
    (t,) = standin.transactions.values()
    assert t["transactionStatus"] == "voided" and t["invoiceNumber"] == invoice_of(key)


def test_a_settled_charge_cannot_be_voided_and_is_refunded_within_what_is_left(gateway, standin):
    sale = gateway.sale(5000, "USD", keyed(), new_id())
    standin.settle()
    void = gateway.void(sale.gateway_ref, new_id())
    assert not void.approved and void.settled
    part = gateway.refund(sale.gateway_ref, 2000, new_id())
    assert part.approved and part.gateway_ref != sale.gateway_ref
    too_much = gateway.refund(sale.gateway_ref, 3500, new_id())
    assert not too_much.approved and too_much.decline_code == "processing_error"


def test_wrong_credentials_are_refused_in_words_and_nothing_is_charged(standin):
    gw = AuthorizeNetGateway(LOGIN, "wrong", url=standin.url, timeout=1.0)
    try:
        result = gw.sale(4500, "USD", keyed(), new_id())
    finally:
        gw.close()
    assert not result.approved and "authentication failed" in result.message and standin.transactions == {}


def test_no_card_number_reaches_a_log(gateway, caplog):
    caplog.set_level(logging.DEBUG)
    gateway.sale(4500, "USD", keyed(tc.DISCOVER), new_id())
    gateway.sale(4500, "USD", keyed(tc.DISCOVER), "not-a-uuid-but-a-key")
    assert tc.DISCOVER not in caplog.text


def test_an_account_chooses_authorize_net_its_credentials_encrypted_and_the_sale_logic_uses_it(
    server_data_dir, standin, monkeypatch,
):
    """Chosen per account (admin set-gateway), kept encrypted in the registry: a card payment and
    a desk's abandon go through the account's own gateway; the desk's answer is the same shape."""
    import httpx

    from server import admin
    from server.secrets_box import KEY_ENV, new_key
    from tests.helpers.server_process import ThreadedServer, account_db_path
    from tests.server.api import login, push
    from tests.server.payments_api import card_payment, file_bytes, open_charges, pay, swiped
    from tests.server.test_payments_abandon import abandon, settled

    monkeypatch.setenv(KEY_ENV, new_key())
    admin.set_gateway(server_data_dir, "acme", "authorize_net", login_id=LOGIN, transaction_key=KEY, url=standin.url)
    assert KEY.encode() not in file_bytes(server_data_dir / "registry.sqlite")
    db = account_db_path(server_data_dir, "acme")
    with ThreadedServer(server_data_dir) as server, httpx.Client(base_url=server.url, timeout=10) as client:
        session = login(client)
        charge = open_charges(db)[0]
        body = card_payment(charge, swiped(tc.VISA))
        answer = pay(client, session, body).json()
        assert answer["status"] == "approved" and answer["card_last4"] == "1111"
        (t,) = standin.transactions.values()
        assert t["invoiceNumber"] == invoice_of(body["entry_id"]) and t["settleAmount"] == charge["amount_cents"] / 100
        push(client, session, [abandon(session, 1, body["entry_id"], charge["family_id"], charge["amount_cents"])])
        assert settled(db, body["entry_id"])[0] == "cancelled"  # reversed at Authorize.Net
        assert t["transactionStatus"] == "voided"
    admin.set_gateway(server_data_dir, "acme", "default")  # back to the server's own
    with pytest.raises(admin.AdminError, match="needs transaction_key"):
        admin.set_gateway(server_data_dir, "acme", "authorize_net", login_id=LOGIN)
