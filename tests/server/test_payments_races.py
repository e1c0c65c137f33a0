"""The ledger changes while the card is being charged: the charge is cancelled, nothing recorded."""

from __future__ import annotations

import httpx

from sync.core.ids import new_id, utcnow
from tests.server.api import push
from tests.server.payments_api import (
    audit_events,
    card_payment,
    keyed,
    ledger_rows,
    open_charges,
    pay,
    sandbox_rows,
    today,
)


class ChangeDuringSale:
    """The real sandbox, with something else happening on the server while it charges."""

    def __init__(self, inner, during):
        self.inner, self.during = inner, during

    def sale(self, *args, **kwargs):
        result = self.inner.sale(*args, **kwargs)
        self.during()
        return result

    def __getattr__(self, name):
        return getattr(self.inner, name)


def test_a_receipt_number_taken_meanwhile_cancels_the_charge(live_server, client, session, server_data_dir, db_path):
    charges = open_charges(db_path)
    body = card_payment(charges[0], keyed())
    cash = {"entry_id": new_id(), "family_id": charges[1]["family_id"], "location_id": charges[1]["location_id"],
            "method": "cash", "amount_cents": 1000, "receipt_no": body["receipt_no"], "business_date": today().isoformat()}  # fmt: skip

    def another_desk_takes_the_receipt_number() -> None:
        with httpx.Client(base_url=live_server.url, timeout=10) as c:
            m = {"id": new_id(), "desk_id": session["desk_id"], "seq": 1, "staff_id": session["staff_id"],
                 "made_at": utcnow().isoformat() + "Z", "type": "payment.record", "payload": cash}  # fmt: skip
            assert push(c, session, [m]).json()["results"][0]["status"] == "applied"

    sandbox = live_server.app.state.gateway
    live_server.app.state.gateway = ChangeDuringSale(sandbox, another_desk_takes_the_receipt_number)
    try:
        answer = pay(client, session, body).json()
    finally:
        live_server.app.state.gateway = sandbox
    assert (answer["status"], answer["decline_code"]) == ("declined", "processing_error")
    assert "cancelled" in answer["message"] and body["receipt_no"] in answer["message"]
    assert ledger_rows(db_path, body["entry_id"]) == 0
    assert [(k, s, key) for k, s, key, _a, _p in sandbox_rows(server_data_dir)] == [
        ("sale", "approved", body["entry_id"]), ("void", "approved", f"{body['entry_id']}/undo")]
    assert len(audit_events(db_path, "payment.card_undone")) == 1
    # A retry with the same key must not record the cancelled charge: it gets the same answer.
    assert pay(client, session, body).json() == answer
    assert len(sandbox_rows(server_data_dir)) == 2
