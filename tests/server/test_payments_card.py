"""POST /v1/payments/card over real HTTP: approvals, declines, refusals, idempotency, permissions."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from devices.cards import ID_CARD
from server import admin
from server.payments.cards import ID_CARD_SWIPED
from tests.fixtures import cards as tc
from tests.server.api import PASSWORD, login, query
from tests.server.payments_api import (
    audit_events,
    card_payment,
    charges_at_gateway,
    file_bytes,
    keyed,
    ledger_rows,
    open_charges,
    pay,
    sandbox_rows,
    swiped,
)
from server.payments.sandbox import FILE_NAME

APPROVING = [(tc.VISA_2, "Visa"), (tc.MASTERCARD, "Mastercard"), (tc.AMEX, "American Express"), (tc.DISCOVER, "Discover")]


@pytest.fixture(autouse=True)
def _all_logs(caplog):
    caplog.set_level(logging.DEBUG)  # every logger at every level: what could end up in a server log


def _no_card_numbers_anywhere(caplog, data_dir, db_path) -> None:
    stored = file_bytes(db_path) + file_bytes(data_dir / FILE_NAME)
    for pan in (*tc.ALL_PANS, *tc.DECLINING_PANS, tc.BAD_LUHN):
        assert pan not in caplog.text, "a card number reached the log"
        assert pan.encode() not in stored, "a card number was stored"


def test_each_test_card_is_approved_and_written_to_the_ledger(client, session, server_data_dir, db_path, caplog):
    charges = open_charges(db_path)
    for i, (pan, brand) in enumerate(APPROVING):
        charge = charges[i]
        body = card_payment(charge, keyed(pan) if i % 2 else swiped(pan))
        r = pay(client, session, body)
        assert r.status_code == 200, r.text
        answer = r.json()
        assert (answer["status"], answer["entry_id"], answer["card_brand"], answer["card_last4"]) == (
            "approved", body["entry_id"], brand, pan[-4:])
        assert len(answer["approval_code"]) == 6 and answer["usn"] > 0
        entry, alloc = answer["records"]
        assert (entry["type"], entry["id"], alloc["type"]) == ("ledger_entry", body["entry_id"], "ledger_allocation")
        assert entry["data"]["amount_cents"] == -charge["amount_cents"]
        assert entry["data"]["method"] == ("card_keyed" if i % 2 else "card_present")
        assert alloc["data"]["charge_id"] == charge["charge_id"]
        assert charges_at_gateway(server_data_dir, body["entry_id"]) == 1
        # Pull brings the same rows, so the other desks see the payment.
        pulled = client.get("/v1/sync/pull", params={"after": answer["usn"] - 1}, headers=session["headers"]).json()
        assert {c["id"] for c in pulled["changes"]} >= {body["entry_id"], alloc["id"]}
    events = audit_events(db_path, "payment.card")
    assert len(events) == 4
    assert events[0]["staff_id"] == session["staff_id"] and events[0]["desk_id"] == session["desk_id"]
    assert {"amount_cents", "brand", "last4", "approval_code"} <= set(events[0]["detail"])
    _no_card_numbers_anywhere(caplog, server_data_dir, db_path)


@pytest.mark.parametrize("pan, code", sorted(tc.DECLINING_PANS.items()))
def test_a_declined_card_says_why_and_writes_nothing_to_the_ledger(client, session, server_data_dir, db_path, pan, code):
    body = card_payment(open_charges(db_path)[0], keyed(pan))
    before = query(db_path, "SELECT count(*) FROM ledger_entry")[0][0]
    r = pay(client, session, body)
    assert r.status_code == 200, r.text
    answer = r.json()
    assert (answer["status"], answer["decline_code"], answer["records"]) == ("declined", code, [])
    assert answer["message"] and answer["card_last4"] == pan[-4:]
    assert query(db_path, "SELECT count(*) FROM ledger_entry")[0][0] == before
    [event] = audit_events(db_path, "payment.card_declined")
    assert event["detail"]["decline_code"] == code and event["record_id"] == body["entry_id"]
    # The same key again: the same decline, and the gateway is not asked again.
    assert pay(client, session, body).json() == answer
    assert len(sandbox_rows(server_data_dir)) == 1


@pytest.mark.parametrize("card, code", [
    (keyed(tc.BAD_LUHN), "invalid_number"),
    (keyed("4242"), "invalid_number"),
    ({"track": "%E?;E?"}, "invalid_card"),
    ({"track": ";00012345?"}, "invalid_card"),  # a member card is not a way to pay
])  # fmt: skip
def test_a_card_that_cannot_be_charged_is_refused_before_the_gateway(client, session, server_data_dir, db_path, card, code, caplog):
    r = pay(client, session, card_payment(open_charges(db_path)[0], card))
    assert r.status_code == 422 and r.json()["error"]["code"] == code
    assert "card" in r.json()["error"]["message"].lower()
    assert sandbox_rows(server_data_dir) == [] and query(db_path, "SELECT count(*) FROM card_attempt") == [(0,)]
    assert tc.BAD_LUHN not in r.text
    _no_card_numbers_anywhere(caplog, server_data_dir, db_path)


@pytest.mark.parametrize("track", [tc.LICENCE, tc.LICENCE_TRACK2], ids=["three tracks", "track 2 only"])
def test_an_id_card_swiped_is_named_and_refused_before_the_gateway(client, session, server_data_dir, db_path, track, caplog):
    """A driver's licence sent as the card's track: its own words, not "could not be read"."""
    r = pay(client, session, card_payment(open_charges(db_path)[0], {"track": track}))
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_card"
    assert r.json()["error"]["message"] == ID_CARD_SWIPED and ID_CARD_SWIPED.startswith(ID_CARD)
    assert sandbox_rows(server_data_dir) == [] and query(db_path, "SELECT count(*) FROM card_attempt") == [(0,)]
    assert "12345678" not in r.text and "12345678" not in caplog.text  # the licence number is kept nowhere


@pytest.mark.parametrize("pan, brand", [
    (tc.UNIONPAY_NO_LUHN, "UnionPay"), (tc.UNIONPAY_19_NO_LUHN, "UnionPay"),
    (tc.UNIONPAY_ON_DISCOVER_NO_LUHN, "Discover"),  # 622126-622925: UnionPay cards carried on Discover's network
])  # fmt: skip
def test_a_keyed_unionpay_number_needs_no_luhn_check_digit(client, session, server_data_dir, db_path, pan, brand):
    """UnionPay (IIN 62) numbers need not pass Luhn: typed in, the server charges them all the same;
    any other brand's number with a broken check digit is still refused (tc.BAD_LUHN above)."""
    charge = open_charges(db_path)[0]
    r = pay(client, session, card_payment(charge, keyed(pan)))
    assert r.status_code == 200 and r.json()["status"] == "approved", r.text
    assert r.json()["card_brand"] == brand and r.json()["card_last4"] == pan[-4:]
    assert [kind for kind, *_ in sandbox_rows(server_data_dir)] == ["sale"]


def test_an_expired_card_is_declined_without_a_charge(client, session, server_data_dir, db_path):
    r = pay(client, session, card_payment(open_charges(db_path)[0], keyed(month=1, year=2020)))
    assert r.json()["decline_code"] == "expired_card"
    r = pay(client, session, card_payment(open_charges(db_path)[0], swiped(yymm="2001")))
    assert r.json()["decline_code"] == "expired_card"
    assert sandbox_rows(server_data_dir) == []


def test_a_double_submit_charges_once_and_writes_one_entry(client, session, server_data_dir, db_path):
    body = card_payment(open_charges(db_path)[0], keyed())
    first = pay(client, session, body)
    second = pay(client, session, body)
    assert first.status_code == second.status_code == 200
    assert second.json() == first.json()
    assert charges_at_gateway(server_data_dir, body["entry_id"]) == 1 and ledger_rows(db_path, body["entry_id"]) == 1
    assert len(audit_events(db_path, "payment.card")) == 1
    # The same key for a different payment is refused, not taken for the first one.
    other = {**body, "amount_cents": body["amount_cents"] - 100, "allocations": []}
    r = pay(client, session, other)
    assert r.status_code == 422 and r.json()["error"]["code"] == "key_reused"


def test_two_submits_at_the_same_moment_charge_once(live_server, session, server_data_dir, db_path):
    body = card_payment(open_charges(db_path)[0], keyed(tc.DISCOVER))
    start = threading.Barrier(2)

    def submit() -> dict:
        with httpx.Client(base_url=live_server.url, timeout=20) as c:
            start.wait()
            r = pay(c, session, body)
            assert r.status_code == 200, r.text
            return r.json()

    with ThreadPoolExecutor(2) as pool:
        first, second = pool.map(lambda _: submit(), range(2))
    assert first == second and first["status"] == "approved"
    assert charges_at_gateway(server_data_dir, body["entry_id"]) == 1 and ledger_rows(db_path, body["entry_id"]) == 1


def test_a_payment_on_another_familys_charge_is_refused_before_any_charge(client, session, server_data_dir, db_path):
    mine, theirs = open_charges(db_path)[:2]
    body = card_payment(mine, keyed())
    body["allocations"][0]["charge_id"] = theirs["charge_id"]
    r = pay(client, session, body)
    assert r.status_code == 422 and "not this family's" in r.json()["error"]["message"]
    unknown = card_payment({**mine, "family_id": "no-such-family"}, keyed(), allocate=False)
    r = pay(client, session, unknown)
    assert r.status_code == 422 and "no longer on file" in r.json()["error"]["message"]
    too_much = card_payment(mine, keyed(), amount=1000)
    too_much["allocations"][0]["amount_cents"] = 2000
    r = pay(client, session, too_much)
    assert r.status_code == 422 and "more than its amount" in r.json()["error"]["message"]
    assert sandbox_rows(server_data_dir) == [] and ledger_rows(db_path, body["entry_id"]) == 0
    assert len(audit_events(db_path, "payment.card_refused")) == 2


def test_an_unreachable_gateway_asks_to_try_again_and_the_retry_charges_once(live_server, client, session, server_data_dir, db_path):
    gateway = live_server.app.state.gateway
    body = card_payment(open_charges(db_path)[0], keyed())
    gateway.fault = "unreachable"
    r = pay(client, session, body)
    assert r.status_code == 502 and r.json()["error"]["code"] == "gateway_unreachable"
    assert "cash" in r.json()["error"]["message"] and ledger_rows(db_path, body["entry_id"]) == 0
    gateway.fault = "lost_answer"  # the gateway charged, but its answer never came back
    assert pay(client, session, body).status_code == 502
    assert charges_at_gateway(server_data_dir, body["entry_id"]) == 1 and ledger_rows(db_path, body["entry_id"]) == 0
    r = pay(client, session, body)
    assert r.status_code == 200 and r.json()["status"] == "approved"
    assert charges_at_gateway(server_data_dir, body["entry_id"]) == 1 and ledger_rows(db_path, body["entry_id"]) == 1


@pytest.mark.parametrize("group", ["coach", "kiosk"])
def test_staff_who_may_not_take_payments_are_refused_and_it_is_audited(client, server_account, server_data_dir, db_path, group):
    admin.add_staff(server_data_dir, "acme", "pat", PASSWORD, group=group)
    pat = login(client, username="pat")
    r = pay(client, pat, card_payment(open_charges(db_path)[0], keyed()))
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    [event] = audit_events(db_path, "request.refused")
    assert event["staff_id"] == pat["staff_id"] and event["detail"]["path"] == "/v1/payments/card"
    assert sandbox_rows(server_data_dir) == []


def test_nothing_about_the_gateway_reaches_the_desk(client, session, db_path):
    """The desk learns brand, last four, approval and the ledger rows: not which gateway, nor its settings."""
    r = pay(client, session, card_payment(open_charges(db_path)[0], keyed()))
    assert r.json()["status"] == "approved"
    for text in (r.text, str(session["body"]), client.get("/openapi.json").text):
        assert "sandbox" not in text.lower() and "gateway_timezone" not in text
