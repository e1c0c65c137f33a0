"""The server dies between charging the card and writing the ledger entry.

The sandbox gateway's "crash_after" fault ends the server process (os._exit, like SIGKILL) right
after it stored the sale: the card is charged, the ledger is not written, the desk gets no answer.
Either the desk sends the same request again (the payment is recorded once, the card charged
once), or nobody does and the server's sweep cancels the charge; a late retry is then told the
card was not charged, and nothing is recorded.
"""

from __future__ import annotations

import time

import httpx
import pytest

from server.payments.reconcile import CANCELLED, NOT_CHARGED, settle_stale
from server.payments.sandbox import FAULT_ENV
from tests.fixtures import cards as tc
from tests.helpers.server_process import ServerProcess, ThreadedServer
from tests.server.api import login, query
from tests.server.payments_api import (
    audit_events, card_payment, charges_at_gateway, keyed, ledger_rows, open_charges, pay, sandbox_rows, swiped,
)  # fmt: skip

pytestmark = pytest.mark.timeout(90)


def attempts(db_path, key: str) -> list[tuple]:  # noqa: ANN001
    return query(db_path, "SELECT status, decline_code FROM card_attempt WHERE key = ?", key)


def _charge_then_die(server: ServerProcess, db_path, body: dict) -> None:  # noqa: ANN001
    with httpx.Client(base_url=server.url, timeout=10) as client:
        session = login(client)
        with pytest.raises(httpx.TransportError):  # the process is gone before it answers
            pay(client, session, body)
    assert server.proc.wait(10) == 137  # os._exit in the sandbox, right after the charge was stored
    server.kill()  # reaps it and closes its log
    assert ledger_rows(db_path, body["entry_id"]) == 0 and attempts(db_path, body["entry_id"]) == [("pending", None)]


def test_the_desk_sends_it_again_after_the_crash_and_it_is_recorded_once(server_data_dir, db_path):
    body = card_payment(open_charges(db_path)[0], swiped(tc.MASTERCARD))
    with ServerProcess(server_data_dir, env={FAULT_ENV: "crash_after"}) as server:
        _charge_then_die(server, db_path, body)
        assert charges_at_gateway(server_data_dir, body["entry_id"]) == 1  # charged, not on the ledger
        server.env = {}
        server.start()
        with httpx.Client(base_url=server.url, timeout=10) as client:
            r = pay(client, login(client), body)
    assert r.status_code == 200 and r.json()["status"] == "approved"
    assert charges_at_gateway(server_data_dir, body["entry_id"]) == 1 and ledger_rows(db_path, body["entry_id"]) == 1
    assert attempts(db_path, body["entry_id"]) == []  # on the ledger: no longer an attempt


def test_with_no_retry_the_sweep_cancels_the_charge_and_a_late_retry_records_nothing(server_data_dir, db_path):
    body = card_payment(open_charges(db_path)[0], keyed(tc.VISA_2))
    with ServerProcess(server_data_dir, env={FAULT_ENV: "crash_after"}) as server:
        _charge_then_die(server, db_path, body)
        server.env = {"FRONTDESK_CARD_PENDING_SECONDS": "1", "FRONTDESK_CARD_SWEEP_SECONDS": "0.2"}
        server.start()  # finds the account's sale under way at start, and settles it once it is stale
        deadline = time.monotonic() + 30
        while attempts(db_path, body["entry_id"]) != [("declined", "processing_error")]:
            assert time.monotonic() < deadline, f"not settled: {attempts(db_path, body['entry_id'])}\n{server.log[-3000:]}"
            time.sleep(0.1)
        with httpx.Client(base_url=server.url, timeout=10) as client:
            late = pay(client, login(client), body).json()
    assert late["status"] == "declined" and late["message"] == CANCELLED
    assert ledger_rows(db_path, body["entry_id"]) == 0
    sale, void = sandbox_rows(server_data_dir, "idempotency_key LIKE ?", body["entry_id"] + "%")
    assert sale[:3] == ("sale", "approved", body["entry_id"]) and void[:2] == ("void", "approved")
    (event,) = audit_events(db_path, "payment.card_reconciled")
    assert event["record_id"] == body["entry_id"] and event["detail"]["outcome"] == "cancelled"
    assert event["detail"]["last4"] == tc.VISA_2[-4:] and tc.VISA_2 not in str(event)


def test_a_sale_the_gateway_never_received_is_settled_as_not_charged(server_data_dir, db_path):
    body = card_payment(open_charges(db_path)[0], keyed(tc.VISA_2))
    with ThreadedServer(server_data_dir) as server, httpx.Client(base_url=server.url, timeout=10) as client:
        session = login(client)
        gateway = server.app.state.gateway
        gateway.fault = "unreachable"
        r = pay(client, session, body)
        assert r.status_code == 502 and attempts(db_path, body["entry_id"]) == [("pending", None)]
        adb = server.app.state.frontdesk.account_db(server.app.state.frontdesk.registry.accounts()[0])
        assert settle_stale(adb, gateway, stale_after=3600) == []  # young: the desk may still send it again
        gateway.fault = "unreachable"  # the gateway is still away: the sale stays under way
        assert [s.outcome for s in settle_stale(adb, gateway, stale_after=0)] == ["left"]
        assert attempts(db_path, body["entry_id"]) == [("pending", None)]
        assert [s.outcome for s in settle_stale(adb, gateway, stale_after=0)] == ["not_charged"]
        late = pay(client, session, body).json()
    assert late["status"] == "declined" and late["message"] == NOT_CHARGED
    assert charges_at_gateway(server_data_dir, body["entry_id"]) == 0 and ledger_rows(db_path, body["entry_id"]) == 0
    assert [e["detail"]["outcome"] for e in audit_events(db_path, "payment.card_reconciled")] == ["not_charged"]
    assert len(audit_events(db_path, "payment.card_reconcile_failed")) == 1


def test_a_retry_in_time_keeps_the_sweep_away(server_data_dir, db_path):
    body = card_payment(open_charges(db_path)[0], keyed(tc.VISA_2))
    with ThreadedServer(server_data_dir) as server, httpx.Client(base_url=server.url, timeout=10) as client:
        session = login(client)
        gateway = server.app.state.gateway
        gateway.fault = "lost_answer"  # charged, answer lost: the desk will send it again
        assert pay(client, session, body).status_code == 502
        adb = server.app.state.frontdesk.account_db(server.app.state.frontdesk.registry.accounts()[0])
        r = pay(client, session, body)
        assert r.json()["status"] == "approved"
        assert settle_stale(adb, gateway, stale_after=0) == []  # nothing under way any more
    assert charges_at_gateway(server_data_dir, body["entry_id"]) == 1 and ledger_rows(db_path, body["entry_id"]) == 1
    assert sandbox_rows(server_data_dir, "kind = 'void'") == []


def test_a_crash_in_the_sale_and_the_desk_gave_up_the_charge_is_cancelled_without_the_long_wait(server_data_dir, db_path):
    """The server died between the charge and the ledger, and the desk gave the payment up (issue
    18): its sale is settled once the abandon is a moment old, not after card_pending_seconds."""
    from tests.server.api import push
    from tests.server.test_payments_abandon import abandon, settled

    charge = open_charges(db_path)[0]
    body = card_payment(charge, keyed(tc.VISA_2))
    with ServerProcess(server_data_dir, env={FAULT_ENV: "crash_after"}) as server:
        _charge_then_die(server, db_path, body)
        server.env = {"FRONTDESK_CARD_ABANDONED_SECONDS": "0.5", "FRONTDESK_CARD_SWEEP_SECONDS": "0.2"}
        server.start()  # card_pending_seconds stays at its default (10 minutes)
        with httpx.Client(base_url=server.url, timeout=10) as client:
            session = login(client)
            push(client, session, [abandon(session, 1, body["entry_id"], charge["family_id"], charge["amount_cents"])])
        assert settled(db_path, body["entry_id"], timeout=15)[0] == "cancelled"
    assert ledger_rows(db_path, body["entry_id"]) == 0
    sale, void = sandbox_rows(server_data_dir, "idempotency_key LIKE ?", body["entry_id"] + "%")
    assert sale[:2] == ("sale", "approved") and void[:2] == ("void", "approved")
