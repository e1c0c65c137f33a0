"""The status bar tells offline from online, and what is waiting to be sent."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from tests.desk.desk_helpers import config_for, open_a_roster_of, ops_done, signed_in_desk, until
from tests.helpers.server_process import ServerProcess

pytestmark = [pytest.mark.gui, pytest.mark.slow, pytest.mark.asyncio(loop_factories=["qasync"])]


async def test_offline_with_three_pending_then_online_with_none_when_the_server_is_back(
    qtbot, account, tmp_path, memory_keyring
):
    with ServerProcess(account["data_dir"]) as server:  # stopped even when the test fails
        config = config_for(server.url, account, tmp_path / "desk")
        async with signed_in_desk(qtbot, config, account["password"]) as (session, window):
            bar = window.status
            await until(lambda: "Online" in bar.text(), what="online")
            assert "0 pending" in bar.text() and bar.sync_label.property("tone") == "neutral"

            server.stop()
            open_a_roster_of(qtbot, window, 3)
            table = window.roster.table
            for key in (Qt.Key.Key_P, Qt.Key.Key_P, Qt.Key.Key_A):  # three changes, recorded here only
                qtbot.keyClick(table, key)
            await ops_done()
            await until(lambda: "Offline" in bar.text() and "3 pending" in bar.text(), what="offline, 3 pending")
            assert bar.text().startswith("○ Offline · 3 pending · last synced ")
            assert bar.sync_label.property("tone") == "amber"
            assert [r.status for r in window.roster.presenter.rows[:3]] == ["present", "present", "absent"]

            server.start()  # same port and data: the desk comes back by itself
            await until(lambda: "Online" in bar.text() and "0 pending" in bar.text(), timeout=20, what="back online")
            assert bar.text().startswith("● Online · 0 pending · synced ")
            assert bar.sync_label.property("tone") == "neutral"
