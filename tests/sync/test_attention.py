"""A receipt email the server could not send is in "needs attention" with the reason, counted on
the status bar, and "send again" there asks the server again (issue 18). Real server, real SMTP
(aiosmtpd on loopback refusing the address at first), real desk files; the dialog offscreen."""

from __future__ import annotations

import pytest

from desk.widgets.needs_attention import NeedsAttentionDialog
from server.settings import Settings
from sync.attention import EMAIL_FAILED
from sync.receipt_desk import ReceiptDesk
from tests.e2e.card_desk_worker import owing_family
from tests.e2e.test_card_faults import desk_at
from tests.helpers.server_process import ThreadedServer
from tests.helpers.smtp import smtp_inbox
from tests.helpers.waits import until

pytestmark = [pytest.mark.timeout(60)]


@pytest.mark.asyncio
async def test_a_failed_receipt_email_needs_attention_until_it_is_sent_again(server_account, tmp_path, http, qtbot):
    with smtp_inbox() as inbox:
        inbox.refuse.add("dad@example.org")
        settings = Settings(data_dir=server_account["data_dir"], smtp_host="127.0.0.1", smtp_port=inbox.port,
                            smtp_starttls=False)  # fmt: skip
        with ThreadedServer(settings=settings) as server:
            async with desk_at(http, server.url, server_account, tmp_path / "desk") as desk:
                family_id, location_id = owing_family(desk.store, desk.money)
                paid = await desk.money.record_payment(family_id, location_id, "cash", 2000)
                await ReceiptDesk(desk.store).email(paid.entry_id, to="dad@example.org")

                def items():
                    return [r for r in desk.store.rejected() if r.code == EMAIL_FAILED]

                await until(lambda: len(items()) == 1, 20, "the failed email in needs attention")
                (item,) = items()
                assert item.summary.startswith(f"Receipt {paid.receipt_no} by email to dad@example.org for the ")
                assert item.summary.endswith(": not sent") and "refused the address dad@example.org" in item.message
                await until(lambda: desk.engine.status.rejected == 1, 10, "the status bar's count")

                dialog = NeedsAttentionDialog(desk.store.rejected(), actions=desk.store)
                qtbot.addWidget(dialog)
                assert dialog.items.count() == 1 and "not sent" in dialog.items.item(0).text()
                assert dialog.retry_button.isEnabled() and not dialog.discard_button.isEnabled()

                inbox.refuse.clear()  # the address was fixed at the family's mail provider, say
                await desk.store.retry_rejected(item.mutation_id)  # "Send again"
                await until(lambda: not items(), 20, "the email sent, and the item gone")
                await until(lambda: desk.engine.status.rejected == 0, 10, "the count back to 0")
    assert [m["To"] for m in inbox.messages] == ["dad@example.org"]


def test_a_charge_the_server_could_not_cancel_is_listed_with_its_reference_and_no_actions(tmp_path, qtbot):
    """What the server wrote back (sync.core.card_abandon: needs_attention) is listed on every desk that
    sees money, with the words and the reference; neither "send again" nor "let go" applies."""
    import datetime as dt

    from sync.core.schema import CardAbandon, Family
    from sync.store import DeskStore
    from tests.sync.data import change

    store = DeskStore(tmp_path / "desk", staff_id="staff-1")
    try:
        row = CardAbandon(id="key-1", usn=7, kind="sale", family_id="fam-1", amount_cents=4500, status="needs_attention",
                          message="Void it by hand on the card service's site, reference sbx_sale_1.", gateway_ref="sbx_sale_1",
                          card_brand="Visa", card_last4="1111", staff_id="staff-1", desk_id="desk-1",
                          made_at=dt.datetime(2025, 3, 10, 17, 0))  # fmt: skip
        store.cache.apply_server_changes([change(Family(id="fam-1", name="Lee"), 6), change(row, 7)])
        (item,) = store.rejected()
        assert item.summary == "Card payment on Visa ending 1111 of 45.00 for the Lee family: needs attention"
        assert "sbx_sale_1" in item.message and store.attention_count() == 1
        dialog = NeedsAttentionDialog(store.rejected(), actions=store)
        qtbot.addWidget(dialog)
        assert not dialog.retry_button.isEnabled() and not dialog.discard_button.isEnabled()
    finally:
        store.close()
