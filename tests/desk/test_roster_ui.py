"""Taking attendance on the roster screen with the keyboard only, on the real sync stack."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from tests.desk.desk_helpers import config_for, open_a_roster_of, ops_done, signed_in_desk, until

pytestmark = [pytest.mark.gui, pytest.mark.asyncio(loop_factories=["qasync"])]


async def test_p_a_l_mark_rows_in_order_and_counts_follow(qtbot, live_server, account, tmp_path, memory_keyring):
    async with signed_in_desk(qtbot, config_for(live_server.url, account, tmp_path / "desk"), account["password"]) as (
        session, window,
    ):
        open_a_roster_of(qtbot, window, 3)
        screen = window.roster
        assert window.stack.currentWidget() is screen and window.title.text() == "Rosters"
        klass = screen.presenter.current_session
        students = [r.student_id for r in screen.presenter.rows[:3]]

        for key in (Qt.Key.Key_P, Qt.Key.Key_A, Qt.Key.Key_L):
            qtbot.keyClick(screen.table, key)
        assert [screen.table.item(i, 1).text() for i in range(3)] == ["✓ Present", "✗ Absent", "◷ Late"]
        assert screen.counts.text().startswith("2 of ")  # present and late are here
        assert "1 late · 1 absent" in screen.counts.text()
        await ops_done()
        recorded = {r.student_id: r.status for r in session.store.roster(klass.id)}
        assert [recorded[s] for s in students] == ["present", "absent", "late"]

        qtbot.keyClick(screen.table, Qt.Key.Key_Home)
        qtbot.keyClick(screen.table, Qt.Key.Key_Down)
        qtbot.keyClick(screen.table, Qt.Key.Key_Down)  # the late one
        qtbot.keyClick(screen.table, Qt.Key.Key_Space)  # late -> absent
        await ops_done()
        assert screen.table.item(2, 1).text() == "✗ Absent"
        assert {r.student_id: r.status for r in session.store.roster(klass.id)}[students[2]] == "absent"
        assert screen.counts.text().startswith("1 of ")
        row_widget = screen.sessions.itemWidget(screen.sessions.item(screen.presenter.session_index))
        assert row_widget.counts.text().startswith("1/")

        await until(lambda: session.engine.status.pending == 0 and session.engine.status.online, what="marks sent")
