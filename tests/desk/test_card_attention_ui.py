"""A card item in "needs attention" marked handled at the desk (issue 18), on the real stack: two
desks list it; at the first, someone who may take payments marks it handled with a note (Mark
handled…), it leaves that desk's list at once, and the other desk's at its next pull. Where the
person may not take payments, the button stays disabled. Real server over loopback, real desk
files, the dialog offscreen."""

from __future__ import annotations

import httpx
import pytest
from PySide6.QtCore import Qt

from desk.widgets.needs_attention import NeedsAttentionDialog
from sync.attention import CARD_NEEDS_HAND
from tests.desk.desk_helpers import ops_done, until
from tests.e2e.test_card_faults import desk_at
from tests.helpers.server_process import account_db_path
from tests.server.api import query
from tests.server.test_card_attention import a_refund_made_but_not_recorded

pytestmark = [pytest.mark.gui, pytest.mark.asyncio(loop_factories=["qasync"]), pytest.mark.timeout(60)]
NOTE = "Refund found on the card service's site and recorded by hand"


def card_items(desk) -> list:
    return [r for r in desk.store.rejected() if r.code == CARD_NEEDS_HAND]


async def test_mark_handled_with_a_note_leaves_every_desk(qtbot, live_server, account, tmp_path):
    db = account_db_path(account["data_dir"], account["slug"])
    with httpx.Client(base_url=live_server.url, timeout=10) as client:
        _manager, key = a_refund_made_but_not_recorded(live_server, client, db, account["data_dir"])
    async with (httpx.AsyncClient(timeout=httpx.Timeout(10.0, connect=2.0)) as http,
                desk_at(http, live_server.url, account, tmp_path / "a") as a,
                desk_at(http, live_server.url, account, tmp_path / "b") as b):  # fmt: skip
            for desk in (a, b):
                await until(lambda desk=desk: [r.mutation_id for r in card_items(desk)] == [key], what="the item listed")

            # Who may not take payments sees it, with the button disabled and saying why.
            looking = NeedsAttentionDialog(b.store.rejected(), actions=b.store, may_handle=False)
            qtbot.addWidget(looking)
            assert looking.items.count() == 1 and not looking.handled_button.isEnabled()
            assert "take payments" in looking.handled_button.toolTip()

            asked = []
            dialog = NeedsAttentionDialog(a.store.rejected(), actions=a.store, may_handle=True,
                                          ask_note=lambda _parent: asked.append(1) or NOTE)  # fmt: skip
            qtbot.addWidget(dialog)
            dialog.show()
            assert dialog.handled_button.text() == "Mark handled…" and dialog.handled_button.isEnabled()
            assert not dialog.retry_button.isEnabled() and not dialog.discard_button.isEnabled()
            with qtbot.waitSignal(dialog.changed, timeout=5000):
                qtbot.mouseClick(dialog.handled_button, Qt.MouseButton.LeftButton)
                await ops_done()
            assert asked == [1]
            assert card_items(a) == [] and dialog.items.count() == 0  # gone here at once
            await until(lambda: query(db, "SELECT status FROM card_abandon WHERE id = ?", key) == [("handled",)],
                        what="the server has it", timeout=15)
            await until(lambda: card_items(b) == [], what="gone from the other desk", timeout=15)
            assert a.store.rejected() == [] and b.store.rejected() == []  # nothing refused either
            (message,) = query(db, "SELECT message FROM card_abandon WHERE id = ?", key)[0]
            assert message.endswith(f"Handled: {NOTE}")
