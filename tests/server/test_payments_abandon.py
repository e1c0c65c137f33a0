"""A desk gave up on a card call (server.payments.abandon): both orders, over real HTTP.

- the abandon arrives first: the late charge is answered "not charged" and never reaches the
  card service;
- the charge completed first: it is voided at the card service at once, and the ledger shows
  the charge and its reversal;
- the same for a refund the desk gave up on: never made twice, never lost.
"""

from __future__ import annotations

import time

import pytest

from server import admin
from sync.core.ids import new_id, utcnow
from tests.fixtures import cards as tc
from tests.server.api import PASSWORD, login, push, query
from tests.server.payments_api import (
    card_payment,
    charges_at_gateway,
    open_charges,
    paid_by_a_manager,
    pay,
    refund_body,
    sandbox_rows,
    swiped,
)

pytestmark = pytest.mark.timeout(30)


def abandon(session: dict, seq: int, key: str, family_id: str, amount: int, kind: str = "sale",
            target_id: str | None = None) -> dict:  # fmt: skip
    return {"id": new_id(), "desk_id": session["desk_id"], "seq": seq, "staff_id": session["staff_id"],
            "made_at": utcnow().isoformat() + "Z", "type": "payment.abandon",
            "payload": {"key": key, "kind": kind, "family_id": family_id, "amount_cents": amount,
                        "target_id": target_id, "why": "timeout"}}  # fmt: skip


def settled(db_path, key: str, timeout: float = 10.0) -> tuple:
    """The abandon row once the server settled it: (status, message, reversal_id, gateway_ref)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = query(db_path, "SELECT status, message, reversal_id, gateway_ref FROM card_abandon WHERE id = ?", key)
        if rows and rows[0][0] != "cancelling":
            return rows[0]
        time.sleep(0.05)
    raise AssertionError(f"abandon {key} not settled: {rows}")


def ledger(db_path, *ids: str) -> list[tuple]:
    marks = ",".join("?" * len(ids))
    return query(db_path, f"SELECT id, kind, amount_cents, corrects_id FROM ledger_entry WHERE id IN ({marks}) "
                          f"OR corrects_id IN ({marks}) ORDER BY usn", *ids, *ids)  # fmt: skip


def test_the_abandon_first_then_the_late_charge_is_not_charged(client, session, db_path, server_data_dir):
    charge = open_charges(db_path)[0]
    body = card_payment(charge, swiped(tc.VISA))
    r = push(client, session, [abandon(session, 1, body["entry_id"], charge["family_id"], charge["amount_cents"])])
    assert r.json()["results"][0]["status"] == "applied", r.text
    assert settled(db_path, body["entry_id"])[0] == "not_charged"
    late = pay(client, session, body)
    assert late.status_code == 200 and late.json()["status"] == "declined"
    assert "not charged" in late.json()["message"]
    assert sandbox_rows(server_data_dir, "idempotency_key = ?", body["entry_id"]) == []  # never reached the gateway
    assert ledger(db_path, body["entry_id"]) == []
    assert pay(client, session, body).json() == late.json()  # and stays refused


def test_a_late_charge_already_in_the_server_is_refused_before_the_sweep(client, session, db_path, server_data_dir):
    """The tombstone alone refuses it: the sweep's outcome is not needed first."""
    charge = open_charges(db_path)[0]
    body = card_payment(charge, swiped(tc.MASTERCARD))
    push(client, session, [abandon(session, 1, body["entry_id"], charge["family_id"], charge["amount_cents"])])
    assert pay(client, session, body).json()["status"] == "declined"
    assert charges_at_gateway(server_data_dir, body["entry_id"]) == 0
    assert settled(db_path, body["entry_id"])[0] == "not_charged"


def test_the_charge_first_then_the_abandon_reverses_it(client, session, db_path, server_data_dir):
    charge = open_charges(db_path)[0]
    body = card_payment(charge, swiped(tc.VISA))
    assert pay(client, session, body).json()["status"] == "approved"
    push(client, session, [abandon(session, 1, body["entry_id"], charge["family_id"], charge["amount_cents"])])
    status, _message, reversal_id, gateway_ref = settled(db_path, body["entry_id"])
    assert status == "cancelled" and reversal_id and gateway_ref
    assert ledger(db_path, body["entry_id"]) == [
        (body["entry_id"], "payment", -charge["amount_cents"], None),
        (reversal_id, "void", charge["amount_cents"], body["entry_id"]),
    ]
    ops = sandbox_rows(server_data_dir, "idempotency_key LIKE ?", body["entry_id"] + "%")
    assert [(kind, status) for kind, status, *_ in ops] == [("sale", "approved"), ("void", "approved")]
    # pushed again (a replay): nothing more happens
    push(client, session, [abandon(session, 1, body["entry_id"], charge["family_id"], charge["amount_cents"])])
    time.sleep(0.3)
    assert len(sandbox_rows(server_data_dir, "idempotency_key LIKE ?", body["entry_id"] + "%")) == 2


def test_a_settled_charge_is_refunded(live_server, client, session, db_path, server_data_dir):
    charge = open_charges(db_path)[0]
    body = card_payment(charge, swiped(tc.VISA))
    assert pay(client, session, body).json()["status"] == "approved"
    live_server.app.state.gateway.settle_batch()
    push(client, session, [abandon(session, 1, body["entry_id"], charge["family_id"], charge["amount_cents"])])
    status, *_ = settled(db_path, body["entry_id"])
    assert status == "cancelled"
    assert [k for _, k, _, _ in ledger(db_path, body["entry_id"])] == ["payment", "refund"]
    ops = sandbox_rows(server_data_dir, "idempotency_key LIKE ?", body["entry_id"] + "%")
    assert [(kind, status) for kind, status, *_ in ops] == [("sale", "approved"), ("refund", "approved")]


def test_a_refund_given_up_on_is_never_made_twice_nor_lost(client, session, db_path, server_data_dir):
    admin.add_staff(server_data_dir, "acme", "mia", PASSWORD, group="manager")
    session = login(client, username="mia")
    charge = open_charges(db_path)[0]
    payment = card_payment(charge, swiped(tc.VISA))
    assert pay(client, session, payment).json()["status"] == "approved"
    # never arrived: the abandon says "not made", and its late copy is refused
    lost = refund_body(500)
    push(client, session, [abandon(session, 1, lost["refund_id"], charge["family_id"], 500, "refund", payment["entry_id"])])
    assert settled(db_path, lost["refund_id"])[0] == "not_charged"
    late = client.post(f"/v1/payments/{payment['entry_id']}/refund", json=lost, headers=session["headers"])
    assert late.json()["status"] == "declined" and sandbox_rows(server_data_dir, "kind = 'refund'") == []
    # went through before the abandon: it stands, once
    made = refund_body(700)
    r = client.post(f"/v1/payments/{payment['entry_id']}/refund", json=made, headers=session["headers"])
    assert r.json()["status"] == "approved"
    push(client, session, [abandon(session, 2, made["refund_id"], charge["family_id"], 700, "refund", payment["entry_id"])])
    assert settled(db_path, made["refund_id"])[0] == "done"
    assert [row[2] for row in sandbox_rows(server_data_dir, "kind = 'refund'")] == [made["refund_id"]]


def test_the_outcome_reaches_other_desks_by_pull(client, session, db_path):
    charge = open_charges(db_path)[0]
    body = card_payment(charge, swiped(tc.VISA))
    push(client, session, [abandon(session, 1, body["entry_id"], charge["family_id"], charge["amount_cents"])])
    settled(db_path, body["entry_id"])
    other = login(client)
    r = client.get("/v1/sync/pull", params={"types": "card_abandon"}, headers=other["headers"])
    rows = [c["data"] for c in r.json()["changes"] if c["type"] == "card_abandon"]
    assert [(row["id"], row["status"]) for row in rows] == [(body["entry_id"], "not_charged")]




@pytest.mark.parametrize("settle", [False, True], ids=["unsettled", "settled"])
def test_a_partly_refunded_charge_is_reversed_by_refunding_the_rest(live_server, client, session, db_path,
                                                                    server_data_dir, settle):  # fmt: skip
    """A manager refunded part of the charge before the desk's abandon arrived: a card service
    voids no sale something was refunded from, so the rest is refunded, settled or not, and the
    ledger shows the charge, the part refund and the reversal: the family is where it was."""
    manager, charge, body = paid_by_a_manager(client, db_path, server_data_dir)
    part = client.post(f"/v1/payments/{body['entry_id']}/refund", json=refund_body(300), headers=manager["headers"])
    assert part.json()["status"] == "approved"
    if settle:
        live_server.app.state.gateway.settle_batch()
    push(client, session, [abandon(session, 1, body["entry_id"], charge["family_id"], charge["amount_cents"])])
    status, _message, reversal_id, gateway_ref = settled(db_path, body["entry_id"])
    assert status == "cancelled" and reversal_id and gateway_ref.startswith("sbx_sale_")  # the charge reversed
    rows = ledger(db_path, body["entry_id"])
    assert [(kind, amount) for _, kind, amount, _ in rows] == [
        ("payment", -charge["amount_cents"]), ("refund", 300), ("refund", charge["amount_cents"] - 300)]
    assert rows[-1][0] == reversal_id and sum(amount for _, _, amount, _ in rows) == 0
    ops = sandbox_rows(server_data_dir, "parent_ref = (SELECT ref FROM operation WHERE idempotency_key = ?)", body["entry_id"])
    assert sorted((kind, status, amount) for kind, status, _key, amount, *_ in ops) == sorted(
        [("refund", "approved", 300), ("refund", "approved", charge["amount_cents"] - 300)])


def test_a_charge_refunded_in_full_on_the_ledger_needs_nothing_more(client, session, db_path, server_data_dir):
    manager, charge, body = paid_by_a_manager(client, db_path, server_data_dir)
    whole = client.post(f"/v1/payments/{body['entry_id']}/refund", json=refund_body(charge["amount_cents"]),
                        headers=manager["headers"])  # fmt: skip
    assert whole.json()["status"] == "approved"
    push(client, session, [abandon(session, 1, body["entry_id"], charge["family_id"], charge["amount_cents"])])
    status, message, _reversal_id, _ref = settled(db_path, body["entry_id"])
    assert status == "cancelled" and "refunded in full already" in message
    assert [k for _, k, _, _ in ledger(db_path, body["entry_id"])] == ["payment", "refund"]  # nothing more written


def test_a_reversal_the_gateway_refuses_needs_attention_with_its_reference(live_server, client, session, db_path,
                                                                           server_data_dir):  # fmt: skip
    """The charge was refunded at the card service by hand, not on the ledger: the card service
    will not void it, so a person must look, with the charge's reference."""
    charge = open_charges(db_path)[0]
    body = card_payment(charge, swiped(tc.VISA))
    answer = pay(client, session, body).json()
    assert answer["status"] == "approved"
    (ref,) = [row[0] for row in query(db_path, "SELECT gateway_ref FROM ledger_entry WHERE id = ?", body["entry_id"])]
    assert live_server.app.state.gateway.refund(ref, charge["amount_cents"], "by-hand").approved
    push(client, session, [abandon(session, 1, body["entry_id"], charge["family_id"], charge["amount_cents"])])
    status, message, _reversal_id, gateway_ref = settled(db_path, body["entry_id"])
    assert status == "needs_attention" and gateway_ref == ref and gateway_ref in message
    assert "Void it by hand" in message
    assert [k for _, k, _, _ in ledger(db_path, body["entry_id"])] == ["payment"]  # nothing more written


@pytest.mark.parametrize("fault, outcome", [("unreachable", "not_charged"), ("lost_answer", "needs_attention")])
def test_a_refund_without_an_answer_then_given_up_is_asked_of_the_gateway(live_server, client, db_path, server_data_dir,
                                                                          fault, outcome):  # fmt: skip
    """The gateway did not answer the refund (502), so the desk gave it up: the server asks the
    gateway by its key. Never made: said so, and a late copy is refused. Made: a person records
    it by hand (its reference given), and it is never made again."""
    admin.add_staff(server_data_dir, "acme", "mia", PASSWORD, group="manager")
    session = login(client, username="mia")
    charge = open_charges(db_path)[0]
    payment = card_payment(charge, swiped(tc.VISA))
    assert pay(client, session, payment).json()["status"] == "approved"
    body = refund_body(400)
    live_server.app.state.gateway.fault = fault
    r = client.post(f"/v1/payments/{payment['entry_id']}/refund", json=body, headers=session["headers"])
    assert r.status_code == 502
    push(client, session, [abandon(session, 1, body["refund_id"], charge["family_id"], 400, "refund", payment["entry_id"])])
    status, message, _reversal, gateway_ref = settled(db_path, body["refund_id"])
    assert status == outcome and ledger(db_path, body["refund_id"]) == []
    refunds = sandbox_rows(server_data_dir, "kind = 'refund'")
    if outcome == "needs_attention":
        assert len(refunds) == 1 and gateway_ref and gateway_ref in message and "do not make it again" in message
    else:
        assert refunds == []
    again = client.post(f"/v1/payments/{payment['entry_id']}/refund", json=body, headers=session["headers"])
    assert again.json()["status"] == "declined"  # the copy that comes late makes nothing
    assert len(sandbox_rows(server_data_dir, "kind = 'refund'")) == len(refunds)
