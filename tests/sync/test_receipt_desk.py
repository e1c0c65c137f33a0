"""ReceiptDesk: a receipt printed from the cache, and one asked for by email while offline that the
server sends once the desk is back (real server, real SMTP on loopback, a network really down)."""

from __future__ import annotations

import asyncio
import time

import pytest
from sqlmodel import Session, select

from server.settings import Settings
from sync.auth import DeskAuth
from sync.client import ApiClient
from sync.engine import SyncEngine
from sync.errors import RejectedError
from sync.money_desk import MoneyDesk
from sync.receipt_desk import ReceiptDesk
from sync.core.schema import Family, Location
from tests.helpers.enrollment import code_for
from tests.helpers.fault_proxy import FaultProxy
from tests.helpers.server_process import ThreadedServer
from tests.helpers.smtp import smtp_inbox
from tests.sync.conftest import FAST


@pytest.fixture
def inbox():
    with smtp_inbox() as box:
        yield box, box.port


@pytest.mark.asyncio
async def test_a_receipt_emailed_offline_is_sent_when_the_desk_is_back(server_account, inbox, desks, http, memory_keyring):
    box, port = inbox
    settings = Settings(data_dir=server_account["data_dir"], smtp_host="127.0.0.1", smtp_port=port, smtp_starttls=False)
    with ThreadedServer(settings=settings) as server, FaultProxy(server.port) as proxy:
        store = desks("a")
        client = ApiClient(http, proxy.url)
        auth = DeskAuth(client, proxy.url, "acme", store.desk_id, "Desk a", keep_desk_code=store.keep_desk_code,
                        enrollment_code=code_for(proxy.url, "acme"), desk_folder=store.data_dir)  # fmt: skip
        store.staff_id = (await auth.login(server_account["username"], server_account["password"])).staff.id
        engine = SyncEngine(store, client, **FAST)
        try:
            await engine.sync_now()
            with Session(store.cache.engine) as s:
                family = s.exec(select(Family).where(Family.email != "").order_by(Family.name)).first()
                location = s.exec(select(Location).order_by(Location.name)).first()
            money, receipts = MoneyDesk(store, client), ReceiptDesk(store, business_name="Acme")

            proxy.down = True
            charge = await money.post_charge(family.id, location.id, 6000, "tuition", "December tuition")
            paid = await money.record_payment(family.id, location.id, "cash", 6000, tendered_cents=6000, apply_to=[charge])
            printed = receipts.receipt(paid.entry_id)
            assert printed.pending_sync and printed.receipt_number == paid.receipt_no and printed.total_cents == 6000
            email_id = await receipts.email(paid.entry_id)
            [waiting] = receipts.emails(paid.entry_id)
            assert waiting.pending and "when this desk is back online" in waiting.words
            with pytest.raises(RejectedError, match="not on file"):
                await receipts.email(charge)  # a charge has no receipt: nothing recorded
            await engine.sync_now()
            assert box.messages == []

            proxy.down = False
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                await engine.sync_now()
                [row] = receipts.emails(paid.entry_id)
                if row.status == "sent":
                    break
                await asyncio.sleep(0.2)
            assert (row.id, row.status, row.pending, row.to_address) == (email_id, "sent", False, family.email)
            assert not receipts.receipt(paid.entry_id).pending_sync  # confirmed by the server now
        finally:
            await engine.stop()
    assert len(box.messages) == 1 and paid.receipt_no in box.messages[0]["Subject"]
