"""The answer to a card payment is lost after the server committed it: the desk sends the same
request again (same entry_id) and gets the first answer. One charge at the gateway, one entry on
the ledger, whether or not the server restarted in between."""

from __future__ import annotations

import httpx
import pytest

from tests.fixtures import cards as tc
from tests.helpers.fault_proxy import FaultProxy
from tests.helpers.server_process import ServerProcess, ThreadedServer
from tests.server.api import login, query
from tests.server.payments_api import card_payment, charges_at_gateway, file_bytes, keyed, ledger_rows, open_charges, pay, swiped

PATH = "/v1/payments/card"


def _lose_the_answer(proxy: FaultProxy, client: httpx.Client, session: dict, body: dict) -> None:
    proxy.fail_next("cut_response", path=PATH)
    with pytest.raises(httpx.TransportError):
        pay(client, session, body)
    assert proxy.injected["cut_response"] == 1


def test_a_lost_answer_then_the_same_request_again(server_data_dir, db_path):
    with ThreadedServer(server_data_dir) as server, FaultProxy(server.port) as proxy, \
            httpx.Client(base_url=proxy.url, timeout=10) as client:  # fmt: skip
        session = login(client)
        body = card_payment(open_charges(db_path)[0], swiped(tc.MASTERCARD))
        _lose_the_answer(proxy, client, session, body)
        assert ledger_rows(db_path, body["entry_id"]) == 1  # committed before the answer was cut
        r = pay(client, session, body)
        assert r.status_code == 200 and r.json()["status"] == "approved"
        assert [c["id"] for c in r.json()["records"]][0] == body["entry_id"]
        assert charges_at_gateway(server_data_dir, body["entry_id"]) == 1 and ledger_rows(db_path, body["entry_id"]) == 1
        assert query(db_path, "SELECT count(*) FROM ledger_allocation WHERE payment_id = ?", body["entry_id"]) == [(1,)]


def test_a_lost_answer_and_a_server_restart_before_the_retry(server_data_dir, db_path):
    with ServerProcess(server_data_dir) as server:
        with FaultProxy(server.port) as proxy, httpx.Client(base_url=proxy.url, timeout=10) as client:
            session = login(client)
            body = card_payment(open_charges(db_path)[0], keyed(tc.AMEX, cvc="1234"))
            _lose_the_answer(proxy, client, session, body)
            server.restart()
            r = pay(client, session, body)
            assert r.status_code == 200 and r.json()["status"] == "approved"
            assert r.json()["card_last4"] == tc.AMEX[-4:]
            declined = card_payment(open_charges(db_path)[1], keyed(tc.DECLINE_INSUFFICIENT_FUNDS))
            first = pay(client, session, declined).json()
            server.restart()
            assert pay(client, session, declined).json() == first  # a decline is remembered too
        log = server.log
    assert charges_at_gateway(server_data_dir, body["entry_id"]) == 1 and ledger_rows(db_path, body["entry_id"]) == 1
    assert first["decline_code"] == "insufficient_funds" and ledger_rows(db_path, declined["entry_id"]) == 0
    assert "/v1/payments/card" in log  # the log is the server's: it does show requests...
    for pan in (tc.AMEX, tc.DECLINE_INSUFFICIENT_FUNDS):
        assert pan not in log and pan.encode() not in file_bytes(db_path)  # ...but never a card number
