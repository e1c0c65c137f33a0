"""Emailed receipts: the server renders the receipt and sends it over real SMTP (aiosmtpd on loopback)."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import socket

import httpx
import pytest
from aiosmtpd.controller import Controller

from server.settings import Settings
from sync.ids import new_id, utcnow
from tests.helpers.server_process import ThreadedServer, account_db_path
from tests.server.api import login, pull_all, push, query


class Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.refuse: set[str] = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield inbox, controller.port
    finally:
        controller.stop()


def _server(data_dir, **smtp):
    return ThreadedServer(settings=Settings(data_dir=data_dir, smtp_starttls=False, **smtp))


def _mutation(session: dict, seq: int, type_: str, payload: dict) -> dict:
    return {"id": new_id(), "desk_id": session["desk_id"], "seq": seq, "staff_id": session["staff_id"],
            "made_at": utcnow().isoformat(), "type": type_, "payload": payload}  # fmt: skip


def _cash_payment(client: httpx.Client, session: dict) -> tuple[str, dict]:
    """A tuition charge and a cash payment of it, pushed like a desk would; returns (entry id, family)."""
    changes = pull_all(client, session["headers"])
    family = next(c["data"] for c in changes if c["type"] == "family" and c["data"]["email"])
    location = next(c["data"] for c in changes if c["type"] == "location")
    today = dt.date.today().isoformat()
    charge_id, payment_id = new_id(), new_id()
    r = push(client, session, [
        _mutation(session, 1, "charge.post", {"entry_id": charge_id, "family_id": family["id"], "location_id": location["id"],
                                              "category": "tuition", "description": "November tuition",
                                              "amount_cents": 12500, "business_date": today}),
        _mutation(session, 2, "payment.record", {"entry_id": payment_id, "family_id": family["id"],
                                                 "location_id": location["id"], "method": "cash", "amount_cents": 12500,
                                                 "tendered_cents": 15000, "receipt_no": "DT-D9-000001",
                                                 "allocations": [{"allocation_id": new_id(), "charge_id": charge_id,
                                                                  "amount_cents": 12500}], "business_date": today}),
    ])  # fmt: skip
    assert [x["status"] for x in r.json()["results"]] == ["applied", "applied"], r.text
    return payment_id, family


def test_receipt_is_emailed_to_the_family_with_the_pdf(server_data_dir, smtp):
    inbox, port = smtp
    with _server(server_data_dir, smtp_host="127.0.0.1", smtp_port=port) as server, \
            httpx.Client(base_url=server.url, timeout=20) as client:
        session = login(client)
        payment_id, family = _cash_payment(client, session)
        r = client.post(f"/v1/receipts/{payment_id}/email", json={}, headers=session["headers"])
        assert r.status_code == 200, r.text
        assert r.json() == {"sent_to": family["email"], "receipt_no": "DT-D9-000001"}
    assert len(inbox.messages) == 1
    msg = inbox.messages[0]
    assert msg["To"] == family["email"]
    assert "DT-D9-000001" in msg["Subject"]
    text = msg.get_body(("plain",)).get_content()
    assert "$125.00" in text and "Tendered" in text and "$25.00" in text  # change given
    pdfs = [p for p in msg.iter_attachments() if p.get_content_type() == "application/pdf"]
    assert len(pdfs) == 1 and pdfs[0].get_content().startswith(b"%PDF")
    events = query(account_db_path(server_data_dir, "acme"),
                   "SELECT staff_id, record_id FROM audit_event WHERE action = 'receipt.emailed'")
    assert events == [(session["staff_id"], payment_id)]


def test_other_address_refused_address_and_email_off(server_data_dir, smtp):
    inbox, port = smtp
    inbox.refuse.add("nobody@example.com")
    with _server(server_data_dir, smtp_host="127.0.0.1", smtp_port=port) as server, \
            httpx.Client(base_url=server.url, timeout=20) as client:
        session = login(client)
        payment_id, _family = _cash_payment(client, session)
        r = client.post(f"/v1/receipts/{payment_id}/email", json={"to": "dad@example.org"}, headers=session["headers"])
        assert r.status_code == 200 and r.json()["sent_to"] == "dad@example.org"
        r = client.post(f"/v1/receipts/{payment_id}/email", json={"to": "nobody@example.com"}, headers=session["headers"])
        assert r.status_code == 502 and r.json()["error"]["code"] == "email_refused"
        assert "nobody@example.com" in r.json()["error"]["message"]
        r = client.post(f"/v1/receipts/{payment_id}/email", json={"to": "not an address"}, headers=session["headers"])
        assert r.status_code == 422
        r = client.post(f"/v1/receipts/{new_id()}/email", json={}, headers=session["headers"])
        assert r.status_code == 404 and "not on the server" in r.json()["error"]["message"]
    assert [m["To"] for m in inbox.messages] == ["dad@example.org"]

    with _server(server_data_dir) as server, httpx.Client(base_url=server.url, timeout=20) as client:
        session = login(client)
        r = client.post(f"/v1/receipts/{payment_id}/email", json={}, headers=session["headers"])
        assert r.status_code == 503 and r.json()["error"]["code"] == "email_off"
        assert "Print it instead" in r.json()["error"]["message"]


def test_mail_server_down_is_said_in_words(server_data_dir):
    with _server(server_data_dir, smtp_host="127.0.0.1", smtp_port=_free_port(), smtp_timeout_seconds=3) as server, \
            httpx.Client(base_url=server.url, timeout=20) as client:
        session = login(client)
        payment_id, _family = _cash_payment(client, session)
        r = client.post(f"/v1/receipts/{payment_id}/email", json={}, headers=session["headers"])
    assert r.status_code == 502 and r.json()["error"]["code"] == "email_unreachable"
    assert "could not be reached" in r.json()["error"]["message"]
