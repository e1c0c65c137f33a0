"""Emailed receipts: asked for as a pushed change (offline too), sent by the server's mail queue
over real SMTP (aiosmtpd on loopback), the outcome written back for every desk to see."""

from __future__ import annotations

import time

import httpx
import pytest

from server.settings import Settings
from sync.core.ids import new_id, utcnow
from tests.helpers.clock import pinned_today
from tests.helpers.server_process import ThreadedServer, account_db_path, free_port
from tests.helpers.smtp import smtp_inbox
from tests.server.api import login, pull_all, push, query


@pytest.fixture
def smtp():
    with smtp_inbox() as inbox:
        yield inbox, inbox.port


def _server(data_dir, **smtp):
    return ThreadedServer(settings=Settings(data_dir=data_dir, smtp_starttls=False, **smtp))


class Desk:
    """A desk's pushes, numbered as its outbox would number them."""

    def __init__(self, client: httpx.Client):
        self.client, self.session, self.seq = client, login(client), 0

    def push(self, type_: str, **payload) -> dict:
        self.seq += 1
        m = {"id": new_id(), "desk_id": self.session["desk_id"], "seq": self.seq, "staff_id": self.session["staff_id"],
             "made_at": utcnow().isoformat(), "type": type_, "payload": payload}  # fmt: skip
        result = push(self.client, self.session, [m]).json()["results"][0]
        return result

    def rows(self, type_: str) -> list[dict]:
        return [c["data"] for c in pull_all(self.client, self.session["headers"]) if c["type"] == type_]

    def email_status(self, email_id: str, wanted: set[str], timeout: float = 20.0) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            row = next((r for r in self.rows("receipt_email") if r["id"] == email_id), None)
            if row is not None and row["status"] in wanted:
                return row
            time.sleep(0.1)
        raise AssertionError(f"receipt email {email_id} not {wanted} after {timeout} s: {row}")

    def cash_payment(self, receipt_no: str = "DT-D9-000001") -> tuple[str, dict]:
        family = next(f for f in self.rows("family") if f["email"])
        location = self.rows("location")[0]
        today = pinned_today().isoformat()
        charge_id, payment_id = new_id(), new_id()
        assert self.push("charge.post", entry_id=charge_id, family_id=family["id"], location_id=location["id"],
                         category="tuition", description="November tuition", amount_cents=12500,
                         business_date=today)["status"] == "applied"  # fmt: skip
        assert self.push("payment.record", entry_id=payment_id, family_id=family["id"], location_id=location["id"],
                         method="cash", amount_cents=12500, tendered_cents=15000, receipt_no=receipt_no,
                         allocations=[{"allocation_id": new_id(), "charge_id": charge_id, "amount_cents": 12500}],
                         business_date=today)["status"] == "applied"  # fmt: skip
        return payment_id, family


def test_a_receipt_asked_for_is_sent_with_its_pdf_and_every_desk_sees_it_sent(server_data_dir, smtp):
    inbox, port = smtp
    with _server(server_data_dir, smtp_host="127.0.0.1", smtp_port=port) as server, \
            httpx.Client(base_url=server.url, timeout=20) as client:
        desk, other = Desk(client), Desk(client)
        payment_id, family = desk.cash_payment()
        email_id = new_id()
        assert desk.push("receipt.email", email_id=email_id, entry_id=payment_id)["status"] == "applied"
        row = other.email_status(email_id, {"sent"})
        assert row["to_address"] == family["email"] and row["attempts"] == 1 and row["message"].startswith("Sent to")
        # Sent once, whatever the desks do next: a replay of the same push sends nothing more.
        desk.seq -= 1
        desk.push("receipt.email", email_id=email_id, entry_id=payment_id)
        time.sleep(0.5)
    assert len(inbox.messages) == 1
    msg = inbox.messages[0]
    assert msg["To"] == family["email"] and "DT-D9-000001" in msg["Subject"]
    text = msg.get_body(("plain",)).get_content()
    assert "$125.00" in text and "Tendered" in text and "$25.00" in text  # change given
    pdfs = [p for p in msg.iter_attachments() if p.get_content_type() == "application/pdf"]
    assert len(pdfs) == 1 and pdfs[0].get_content().startswith(b"%PDF")
    events = query(account_db_path(server_data_dir, "acme"),
                   "SELECT record_id FROM audit_event WHERE action = 'receipt.email_sent'")
    assert events == [(email_id,)]


def test_another_address_a_refused_one_no_address_and_email_off(server_data_dir, smtp):
    inbox, port = smtp
    inbox.refuse.add("nobody@example.com")
    with _server(server_data_dir, smtp_host="127.0.0.1", smtp_port=port) as server, \
            httpx.Client(base_url=server.url, timeout=20) as client:
        desk = Desk(client)
        payment_id, _family = desk.cash_payment()
        ok, refused = new_id(), new_id()
        desk.push("receipt.email", email_id=ok, entry_id=payment_id, to="dad@example.org")
        desk.push("receipt.email", email_id=refused, entry_id=payment_id, to="nobody@example.com")
        assert desk.email_status(ok, {"sent"})["to_address"] == "dad@example.org"
        failed = desk.email_status(refused, {"failed"})
        assert "refused the address nobody@example.com" in failed["message"]
        bad = desk.push("receipt.email", email_id=new_id(), entry_id=new_id())
        assert bad["status"] == "rejected" and "not on file" in bad["message"]
        # No address on file: said at once, at the desk that asked (nothing queued).
        family_id = next(e["family_id"] for e in desk.rows("ledger_entry") if e["id"] == payment_id)
        assert desk.push("family.update", id=family_id, changes={"email": ""})["status"] == "applied"
        none = desk.push("receipt.email", email_id=new_id(), entry_id=payment_id)
        assert none["status"] == "rejected" and "no email address on file" in none["message"]
    assert [m["To"] for m in inbox.messages] == ["dad@example.org"]

    with _server(server_data_dir) as server, httpx.Client(base_url=server.url, timeout=20) as client:
        desk = Desk(client)
        off = new_id()
        desk.push("receipt.email", email_id=off, entry_id=payment_id, to="mum@example.org")
        assert "Print it instead" in desk.email_status(off, {"failed"})["message"]


def test_a_mail_server_down_is_tried_again_then_said_in_words(server_data_dir, monkeypatch):
    monkeypatch.setattr("server.mail_queue.RETRY_SECONDS", 0.2)
    with _server(server_data_dir, smtp_host="127.0.0.1", smtp_port=free_port(), smtp_timeout_seconds=2) as server, \
            httpx.Client(base_url=server.url, timeout=20) as client:
        desk = Desk(client)
        payment_id, _family = desk.cash_payment()
        email_id = new_id()
        desk.push("receipt.email", email_id=email_id, entry_id=payment_id)
        row = desk.email_status(email_id, {"failed"}, timeout=30)
    assert row["attempts"] == 3 and "could not be reached" in row["message"]
