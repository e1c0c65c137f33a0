"""A shared desk: the idle lock hides family data and the PIN brings it back; switch user; screens
shown by permission; the staff and audit screens of a manager. Real server, real widgets."""

from __future__ import annotations

import csv
import dataclasses

import pytest
from PySide6.QtCore import Qt

from desk.presenters.idle_lock import MAX_PIN_TRIES
from server import admin
from tests.desk.desk_helpers import config_for, ops_done, signed_in_desk, until

pytestmark = [pytest.mark.gui, pytest.mark.asyncio(loop_factories=["qasync"])]


def _visible_texts(window) -> str:
    from PySide6.QtWidgets import QLabel, QLineEdit, QTableWidget

    parts = [w.text() for w in window.findChildren(QLabel) if w.isVisible()]
    parts += [w.text() for w in window.findChildren(QLineEdit) if w.isVisible()]
    for t in window.findChildren(QTableWidget):
        if t.isVisible():
            parts += [t.item(r, c).text() for r in range(t.rowCount()) for c in range(t.columnCount()) if t.item(r, c)]
    return "\n".join(parts)


async def test_idle_lock_hides_family_data_and_the_pin_unlocks(qtbot, account, live_server, tmp_path, memory_keyring):
    admin.set_pin(account["data_dir"], "acme", "alex", "2468")
    config = dataclasses.replace(config_for(live_server.url, account, tmp_path / "desk"), idle_lock_seconds=0.6)
    async with signed_in_desk(qtbot, config, account["password"]) as (session, window):
        lock = window.desk_lock
        lock.timer.setInterval(100)
        student = session.store.search_students("a")[0]
        window.checkin.search.setText(student.last_name)  # a family's name on screen
        await until(lambda: student.last_name in _visible_texts(window), what="the family on screen")
        await until(lambda: lock.locked, timeout=10, what="the desk to lock itself")
        assert not window.centralWidget().isVisible() and lock.screen.isVisible()
        assert student.last_name not in _visible_texts(window)
        assert "Alex" in lock.screen.who.text()

        qtbot.keyClicks(lock.screen.pin, "1111")
        qtbot.keyClick(lock.screen.pin, Qt.Key.Key_Return)
        await until(lock.screen.message.isVisible, what="the wrong PIN said")
        assert "not right" in lock.screen.message.text() and lock.locked
        qtbot.keyClicks(lock.screen.pin, "2468")
        qtbot.keyClick(lock.screen.pin, Qt.Key.Key_Return)
        await until(lambda: not lock.locked, what="unlocked by the PIN")
        assert window.centralWidget().isVisible() and not lock.screen.isVisible()


async def test_too_many_wrong_pins_need_the_password(qtbot, account, live_server, tmp_path, memory_keyring):
    admin.set_pin(account["data_dir"], "acme", "alex", "2468")
    config = dataclasses.replace(config_for(live_server.url, account, tmp_path / "desk"), idle_lock_seconds=0)
    async with signed_in_desk(qtbot, config, account["password"]) as (_session, window):
        from desk.kem_filter import KemSwipeFilter

        [kem] = window.findChildren(KemSwipeFilter)
        lock = window.desk_lock
        lock.lock()
        assert kem.signalsBlocked()  # a card swiped at a locked desk checks nobody in behind the lock
        for _ in range(MAX_PIN_TRIES):
            assert await lock._try_pin("0000") is False
        assert not lock.screen.pin.isVisibleTo(lock.screen) and "password" in lock.screen.message.text()
        assert await lock._try_pin("2468") is False  # even the right PIN: the password is needed now
        assert await lock._sign_in("alex", account["password"]) is True
        assert not lock.locked and not kem.signalsBlocked()


async def test_switch_user_at_the_lock_screen_shows_what_the_new_person_may_do(qtbot, account, live_server, tmp_path, memory_keyring):
    owner_id = admin.add_staff(account["data_dir"], "acme", "olga", "olga's password", group="owner", display_name="Olga")
    config = dataclasses.replace(config_for(live_server.url, account, tmp_path / "desk"), idle_lock_seconds=0)
    async with signed_in_desk(qtbot, config, account["password"]) as (session, window):
        rail = window.rail.buttons
        staff_i, audit_i = window.screens.index(window.staff_screen), window.screens.index(window.audit_screen)
        settings_i = window.screens.index(window.settings_screen)
        # Front desk: no staff, audit or settings screens, and their keys do nothing.
        assert not rail[staff_i].isVisibleTo(window) and not rail[audit_i].isVisibleTo(window)
        assert not rail[settings_i].isVisibleTo(window)
        assert rail[0].isVisibleTo(window) and rail[1].isVisibleTo(window)
        qtbot.keyClick(window, Qt.Key.Key_F9)
        assert window.current_screen() is not window.audit_screen
        qtbot.keyClick(window, Qt.Key.Key_Comma, Qt.KeyboardModifier.ControlModifier)
        assert window.current_screen() is not window.settings_screen

        lock = window.desk_lock
        qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)  # lock now, before stepping away
        assert lock.locked and not window.centralWidget().isVisible()
        lock.screen.username.setText("olga")
        qtbot.keyClicks(lock.screen.password, "olga's password")
        qtbot.keyClick(lock.screen.password, Qt.Key.Key_Return)
        await until(lambda: not lock.locked, what="Olga signed in at the lock screen")
        assert window.staff.text() == "Signed in: Olga" and session.store.staff_id == owner_id
        assert rail[staff_i].isVisibleTo(window) and rail[audit_i].isVisibleTo(window)
        assert rail[settings_i].isVisibleTo(window)  # the owner manages this desk's settings
        qtbot.keyClick(window, Qt.Key.Key_Comma, Qt.KeyboardModifier.ControlModifier)
        assert window.current_screen() is window.settings_screen

        lock.lock()
        assert await lock._sign_in("olga", "wrong") is False
        assert lock.locked and "Wrong account, username or password" in lock.screen.message.text()
        await ops_done()


async def test_a_manager_adds_and_disables_staff_and_exports_the_audit_log(qtbot, account, live_server, tmp_path, memory_keyring):
    admin.add_staff(account["data_dir"], "acme", "mia", "mia's password", group="manager", display_name="Mia")
    config = dataclasses.replace(config_for(live_server.url, {**account, "username": "mia"}, tmp_path / "desk"), idle_lock_seconds=0)
    async with signed_in_desk(qtbot, config, "mia's password") as (_session, window):
        qtbot.keyClick(window, Qt.Key.Key_F8)
        screen = window.staff_screen
        assert window.current_screen() is screen
        await ops_done()
        await until(lambda: screen.table.rowCount() == 2, what="the staff list")
        created = await screen.add("cora", "Cora", "coach", "tumbling1", "1357")
        assert [screen.table.item(r, 0).text() for r in range(screen.table.rowCount())] == ["Alex", "Cora", "Mia"]
        row = [s.id for s in screen.staff].index(created.id)
        assert screen.table.item(row, 2).text() == "Coach" and screen.table.item(row, 4).text() == "Set"
        await screen.set_active(created.id, False)
        assert screen.table.item(row, 3).text() == "Disabled"
        dialog = screen.grants_dialog(screen.staff[row])
        qtbot.addWidget(dialog)
        assert not dialog.boxes["attendance.take"].isEnabled()  # the coach group gives it already
        dialog.boxes["reports.run"].setChecked(True)
        changed = await screen.set_grants(created.id, dialog.grants())
        assert changed.grants == ["reports.run"] and changed.permissions == []  # disabled: nothing at all
        changed = await screen.set_active(created.id, True)
        assert "reports.run" in changed.permissions and "attendance.take" in changed.permissions

        qtbot.keyClick(window, Qt.Key.Key_F9)
        audit = window.audit_screen
        await ops_done()
        await until(lambda: audit.table.rowCount() > 0, what="the audit log")
        audit.action.setCurrentIndex(audit.action.findData("staff."))
        await audit.reload()
        said = [audit.table.item(r, 1).text() for r in range(audit.table.rowCount())]
        # Newest first: cora's 3 changes, 3 staff added; in words, at the location's time (no ids, no ISO times).
        assert [s.split(" at ")[0] for s in said] == ["Mia changed Cora's staff details"] * 3 + [
            "Mia added cora to the staff", "An administrator added mia to the staff", "An administrator added alex to the staff"]
        assert all(s.endswith(("AM", "PM")) for s in said)
        details = [audit.table.item(r, 2).text() for r in range(3)]
        assert "active: False → True" in details[0] and "grants: [] → ['reports.run']" in details[1]
        assert "active: True → False" in details[2]
        out = tmp_path / "audit.csv"
        assert audit.export_to(out) == audit.table.rowCount()
        rows = list(csv.DictReader(out.read_text().splitlines()))
        assert [r["action"] for r in rows[:3]] == ["staff.updated"] * 3 and '"active": false' in rows[2]["detail"]
