"""Voids and refunds of card payments over real HTTP: same-day voids, refunds after, never beyond."""

from __future__ import annotations

import datetime as dt

import pytest

from server import admin
from tests.server.api import PASSWORD, login, query
from tests.server.payments_api import (
    audit_events,
    card_payment,
    keyed,
    ledger_rows,
    open_charges,
    pay,
    refund_body,
    sandbox_rows,
    today,
    void_body,
)


@pytest.fixture
def manager(client, server_data_dir) -> dict:
    admin.add_staff(server_data_dir, "acme", "mia", PASSWORD, group="manager")
    return login(client, username="mia")


@pytest.fixture
def paid(client, session, db_path) -> dict:
    """A card payment of a seeded charge, taken by the front desk."""
    body = card_payment(open_charges(db_path)[0], keyed())
    r = pay(client, session, body)
    assert r.json()["status"] == "approved", r.text
    return body


def _void(client, who, entry_id, body):
    return client.post(f"/v1/payments/{entry_id}/void", json=body, headers=who["headers"])


def _refund(client, who, entry_id, body):
    return client.post(f"/v1/payments/{entry_id}/refund", json=body, headers=who["headers"])


def _balance(db_path, family_id) -> int:
    return query(db_path, "SELECT coalesce(sum(amount_cents), 0) FROM ledger_entry WHERE family_id = ?", family_id)[0][0]


def test_a_card_payment_is_voided_on_its_own_day(client, manager, paid, server_data_dir, db_path):
    owed_before = _balance(db_path, paid["family_id"]) + paid["amount_cents"]
    body = void_body()
    r = _void(client, manager, paid["entry_id"], body)
    assert r.status_code == 200, r.text
    answer = r.json()
    assert answer["status"] == "approved" and answer["entry_id"] == body["void_id"]
    [record] = answer["records"]
    assert (record["data"]["kind"], record["data"]["corrects_id"]) == ("void", paid["entry_id"])
    assert record["data"]["amount_cents"] == paid["amount_cents"]
    assert _balance(db_path, paid["family_id"]) == owed_before  # the charge is owed again
    assert [(k, s) for k, s, *_ in sandbox_rows(server_data_dir)] == [("sale", "approved"), ("void", "approved")]
    assert _void(client, manager, paid["entry_id"], body).json() == answer  # the same void again: its first answer
    again = _void(client, manager, paid["entry_id"], void_body())
    assert again.status_code == 422 and "already voided" in again.json()["error"]["message"]
    assert len(sandbox_rows(server_data_dir)) == 2
    [event] = audit_events(db_path, "payment.card_void")
    assert event["staff_id"] == manager["staff_id"] and event["detail"]["corrects_id"] == paid["entry_id"]


def test_the_next_business_day_a_void_is_refused_and_a_refund_does_it(client, manager, paid, server_data_dir, db_path):
    tomorrow = today() + dt.timedelta(days=1)
    r = _void(client, manager, paid["entry_id"], void_body(business_date=tomorrow))
    assert r.status_code == 422 and r.json()["error"]["code"] == "refund_instead"
    assert "refund it instead" in r.json()["error"]["message"]
    assert len(sandbox_rows(server_data_dir)) == 1  # the gateway was not asked
    r = _refund(client, manager, paid["entry_id"], refund_body(paid["amount_cents"], business_date=tomorrow))
    assert r.status_code == 200 and r.json()["status"] == "approved", r.text
    assert r.json()["records"][0]["data"]["kind"] == "refund"
    assert [(k, s) for k, s, *_ in sandbox_rows(server_data_dir)] == [("sale", "approved"), ("refund", "approved")]


def test_a_settled_card_payment_cannot_be_voided_even_on_its_day(live_server, client, manager, paid, server_data_dir, db_path):
    live_server.app.state.gateway.settle_batch()  # the processor closed the batch early
    body = void_body()
    r = _void(client, manager, paid["entry_id"], body)
    assert r.status_code == 422 and r.json()["error"]["code"] == "refund_instead"
    assert ledger_rows(db_path, body["void_id"]) == 0
    assert [e["detail"]["code"] for e in audit_events(db_path, "payment.card_void_refused")] == ["settled"]


def test_partial_refunds_never_beyond_what_the_payment_holds(client, manager, session, db_path, server_data_dir):
    charge = open_charges(db_path)[0]
    paid = card_payment(charge, keyed())
    assert pay(client, session, paid).json()["status"] == "approved"
    total = paid["amount_cents"]
    first = refund_body(1000)
    assert _refund(client, manager, paid["entry_id"], first).json()["status"] == "approved"
    assert _refund(client, manager, paid["entry_id"], first).json()["entry_id"] == first["refund_id"]  # idempotent
    assert _refund(client, manager, paid["entry_id"], refund_body(2000)).json()["status"] == "approved"
    beyond = refund_body(total - 3000 + 1)
    r = _refund(client, manager, paid["entry_id"], beyond)
    assert r.status_code == 422 and "more than this payment can still refund" in r.json()["error"]["message"]
    assert ledger_rows(db_path, beyond["refund_id"]) == 0
    refunds = [(k, s, amount) for k, s, _key, amount, _p in sandbox_rows(server_data_dir) if k == "refund"]
    assert refunds == [("refund", "approved", 1000), ("refund", "approved", 2000)]
    rest = _refund(client, manager, paid["entry_id"], refund_body(total - 3000))
    assert rest.json()["status"] == "approved"
    assert _balance(db_path, charge["family_id"]) > 0  # all of it given back: the charge is owed again
    r = _void(client, manager, paid["entry_id"], void_body())
    assert r.status_code == 422  # refunded: not voidable any more
    assert len(audit_events(db_path, "payment.card_refund")) == 3


def test_the_front_desk_may_neither_void_nor_refund(client, session, paid, db_path, server_data_dir):
    assert _void(client, session, paid["entry_id"], void_body()).status_code == 403
    assert _refund(client, session, paid["entry_id"], refund_body(100)).status_code == 403
    assert {e["detail"]["path"] for e in audit_events(db_path, "request.refused")} == {
        f"/v1/payments/{paid['entry_id']}/void", f"/v1/payments/{paid['entry_id']}/refund"}
    assert len(sandbox_rows(server_data_dir)) == 1


def test_only_card_payments_on_file_go_through_these_routes(client, manager, db_path):
    r = _void(client, manager, "no-such-entry", void_body())
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    cash = query(db_path, "SELECT id FROM ledger_entry WHERE kind = 'payment' AND method = 'cash' LIMIT 1")[0][0]
    r = _refund(client, manager, cash, refund_body(100))
    assert r.status_code == 422 and r.json()["error"]["code"] == "not_card"


def test_a_seeded_card_payment_is_known_to_the_sandbox_and_refunds(client, manager, db_path, server_data_dir):
    """Demo data: its card payments are settled sales at the sandbox, so the demo can refund one."""
    entry_id, amount = query(db_path, "SELECT id, -amount_cents FROM ledger_entry WHERE gateway_ref LIKE 'seed_%' "
                                      "ORDER BY id LIMIT 1")[0]  # fmt: skip
    r = _refund(client, manager, entry_id, refund_body(amount // 2))
    assert r.status_code == 200 and r.json()["status"] == "approved", r.text
    (refund,) = sandbox_rows(server_data_dir, "kind = 'refund'")
    assert refund[1] == "approved" and refund[3] == amount // 2
    assert query(db_path, "SELECT count(*) FROM ledger_entry WHERE kind = 'refund' AND corrects_id = ?", entry_id) == [(1,)]
