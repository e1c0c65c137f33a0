"""A card "needs attention" item marked handled (sync.core.card_attention), over real HTTP: applied by
whoever may take payments, refused to others, audited with the note and the status before and
after, and off every desk's list at their next pull (issue 18)."""

from __future__ import annotations

import json

import pytest

from server import admin
from sync.core.card_attention import ATTENTION_HANDLED, NOT_NEEDED
from sync.core.ids import new_id, utcnow
from tests.fixtures import cards as tc
from tests.server.api import PASSWORD, login, push, query
from tests.server.payments_api import (
    card_payment,
    open_charges,
    paid_by_a_manager,
    refund_body,
    swiped,
)
from tests.server.test_payments_abandon import abandon, settled

pytestmark = pytest.mark.timeout(30)
NOTE = "Refund of $4.00 recorded by hand after checking the card service"


def handled(session: dict, seq: int, key: str, note: str = NOTE) -> dict:
    return {"id": new_id(), "desk_id": session["desk_id"], "seq": seq, "staff_id": session["staff_id"],
            "made_at": utcnow().isoformat() + "Z", "type": ATTENTION_HANDLED, "payload": {"key": key, "note": note}}  # fmt: skip


def a_refund_made_but_not_recorded(live_server, client, db_path, server_data_dir) -> tuple[dict, str]:
    """(manager session, key): the card service made a refund whose answer was lost; the desk gave
    it up, and the server put it in needs attention (server.payments.abandon)."""
    manager, charge, payment = paid_by_a_manager(client, db_path, server_data_dir)
    body = refund_body(400)
    live_server.app.state.gateway.fault = "lost_answer"
    assert client.post(f"/v1/payments/{payment['entry_id']}/refund", json=body, headers=manager["headers"]).status_code == 502
    push(client, manager, [abandon(manager, 1, body["refund_id"], charge["family_id"], 400, "refund", payment["entry_id"])])
    assert settled(db_path, body["refund_id"])[0] == "needs_attention"
    return manager, body["refund_id"]


def test_marked_handled_with_a_note_is_audited_and_leaves_every_desk(live_server, client, db_path, server_data_dir):
    manager, key = a_refund_made_but_not_recorded(live_server, client, db_path, server_data_dir)
    (before,) = query(db_path, "SELECT message, gateway_ref FROM card_abandon WHERE id = ?", key)
    r = push(client, manager, [handled(manager, 2, key)])
    assert r.json()["results"][0]["status"] == "applied", r.text
    (status, message), = query(db_path, "SELECT status, message FROM card_abandon WHERE id = ?", key)
    assert status == "handled" and message == f"{before[0]}\nHandled: {NOTE}"  # the reference stays
    (detail,) = [json.loads(d) for (d,) in query(
        db_path, "SELECT detail FROM audit_event WHERE action = 'mutation.applied' AND record_id = ?", key)
        if json.loads(d)["type"] == ATTENTION_HANDLED]  # fmt: skip
    assert detail["changes"]["status"] == {"before": "needs_attention", "after": "handled"}
    assert detail["changes"]["message"]["after"].endswith(NOTE) and detail["changes"]["gateway_ref"]["before"] == before[1]
    # Another desk hears of it at its next pull: its list drops the item (sync.attention lists needs_attention only).
    other = login(client)
    pulled = client.get("/v1/sync/pull", params={"types": "card_abandon"}, headers=other["headers"]).json()
    assert [(c["data"]["id"], c["data"]["status"]) for c in pulled["changes"] if c["type"] == "card_abandon"] == [
        (key, "handled")]
    # A second desk marking it too (it had not pulled yet) changes nothing and is not an error.
    again = push(client, other, [handled(other, 1, key, "Voided by hand")])
    assert again.json()["results"][0]["status"] == "applied"
    assert query(db_path, "SELECT message FROM card_abandon WHERE id = ?", key)[0][0].count("Handled:") == 1


def test_only_who_may_take_payments_marks_it_and_only_while_it_needs_attention(live_server, client, db_path,
                                                                              server_data_dir):  # fmt: skip
    manager, key = a_refund_made_but_not_recorded(live_server, client, db_path, server_data_dir)
    admin.add_staff(server_data_dir, "acme", "kim", PASSWORD, group="coach")
    coach = login(client, username="kim")
    r = push(client, coach, [handled(coach, 1, key)]).json()["results"][0]
    assert r["status"] == "rejected" and r["code"] == "forbidden"
    assert query(db_path, "SELECT status FROM card_abandon WHERE id = ?", key) == [("needs_attention",)]
    blank = push(client, manager, [handled(manager, 2, key, "   ")]).json()["results"][0]
    assert blank["status"] == "rejected" and blank["code"] == "invalid"  # a note is required
    # An item that does not need attention cannot be marked handled.
    charge = open_charges(db_path)[0]
    body = card_payment(charge, swiped(tc.MASTERCARD))
    push(client, manager, [abandon(manager, 3, body["entry_id"], charge["family_id"], charge["amount_cents"])])
    assert settled(db_path, body["entry_id"])[0] == "not_charged"
    r = push(client, manager, [handled(manager, 4, body["entry_id"])]).json()["results"][0]
    assert r["status"] == "rejected" and r["message"] == NOT_NEEDED
