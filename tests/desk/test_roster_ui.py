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


async def test_view_only_attendance_shows_the_register_but_keys_do_nothing_and_say_why(
    qtbot, live_server, account, tmp_path, memory_keyring
):
    from server import admin

    # A kiosk checks in only; "See class attendance" granted to this one person is attendance "view".
    admin.add_staff(account["data_dir"], "acme", "vera", "vera's password", group="kiosk", display_name="Vera")
    admin.edit_staff(account["data_dir"], "acme", "vera", grants=["attendance.view"])
    config = config_for(live_server.url, {**account, "username": "vera"}, tmp_path / "desk")
    async with signed_in_desk(qtbot, config, "vera's password") as (session, window):
        assert window.rail.buttons[window.screens.index(window.roster)].isVisibleTo(window)
        open_a_roster_of(qtbot, window, 2)
        screen = window.roster
        klass = screen.presenter.current_session
        before = [screen.table.item(i, 1).text() for i in range(screen.table.rowCount())]
        assert screen.table.rowCount() >= 2 and screen.keys.isVisible()
        assert "can see attendance but not take it" in screen.keys.text()

        for key in (Qt.Key.Key_P, Qt.Key.Key_A, Qt.Key.Key_L, Qt.Key.Key_Space):
            qtbot.keyClick(screen.table, key)
        await ops_done()
        assert [screen.table.item(i, 1).text() for i in range(screen.table.rowCount())] == before
        assert screen.presenter.cursor == 0  # P did not move on to the next child either
        assert session.store.pending_count() == 0
        assert {r.status for r in session.store.roster(klass.id)} == {r.status for r in screen.presenter.rows}
        assert window.toast.isVisible() and "Take attendance" in window.toast.text()
