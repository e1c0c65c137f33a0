"""A manager makes a custom group on the staff screen and puts a staff member in it.
Real server over loopback, real widgets."""

from __future__ import annotations

import dataclasses

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from desk.widgets.group_dialog import GroupDialog, group_name_from
from server import admin
from tests.desk.desk_helpers import config_for, ops_done, signed_in_desk, until

pytestmark = [pytest.mark.gui]


def test_group_names_follow_the_servers_rule():
    assert group_name_from("  Senior Coaches! ") == "senior-coaches"
    assert group_name_from("Desk 2 (evenings)") == "desk-2-evenings"
    assert group_name_from("!!!") == ""


@pytest.mark.asyncio(loop_factories=["qasync"])
async def test_a_manager_makes_a_group_and_puts_staff_in_it(qtbot, account, live_server, tmp_path, memory_keyring):
    admin.add_staff(account["data_dir"], "acme", "mia", "mia's password", group="manager", display_name="Mia")
    config = dataclasses.replace(config_for(live_server.url, {**account, "username": "mia"}, tmp_path / "desk"), idle_lock_seconds=0)
    async with signed_in_desk(qtbot, config, "mia's password") as (_session, window):
        qtbot.keyClick(window, Qt.Key.Key_F8)
        screen = window.staff_screen
        await ops_done()
        await until(lambda: screen.table.rowCount() == 2 and screen.words, what="the staff list")
        assert screen.new_group_button.isVisible()

        qtbot.mouseClick(screen.new_group_button, Qt.MouseButton.LeftButton)
        await until(lambda: any(d.isVisible() for d in screen.findChildren(GroupDialog)), what="the new-group dialog")
        [dialog] = [d for d in screen.findChildren(GroupDialog) if d.isVisible()]
        save = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Save)

        qtbot.mouseClick(save, Qt.MouseButton.LeftButton)  # nothing typed yet: it says what is missing
        assert dialog.isVisible() and "Type a name" in dialog.problem.text()
        qtbot.keyClicks(dialog.label_field, "Coach")
        dialog.boxes["reports.run"].setChecked(True)
        qtbot.mouseClick(save, Qt.MouseButton.LeftButton)
        assert dialog.isVisible() and "already a group" in dialog.problem.text()
        dialog.label_field.clear()
        qtbot.keyClicks(dialog.label_field, "Senior coaches")
        dialog.boxes["attendance.take"].setChecked(True)
        qtbot.mouseClick(save, Qt.MouseButton.LeftButton)
        assert not dialog.isVisible()

        await until(lambda: any(g.name == "senior-coaches" for g in screen.groups), what="the group made")
        await ops_done()
        group = next(g for g in screen.groups if g.name == "senior-coaches")
        assert group.label == "Senior coaches" and not group.built_in
        assert {"attendance.take", "attendance.view", "reports.run"} <= set(group.permissions)
        assert "Senior coaches" in [screen.new_group.itemText(i) for i in range(screen.new_group.count())]
        assert "Group Senior coaches is made" in window.toast.text()

        alex = next(s for s in screen.staff if s.username == "alex")
        changed = await screen.set_group(alex.id, "senior-coaches")
        assert set(changed.permissions) == set(group.permissions)
        row = [s.id for s in screen.staff].index(alex.id)
        assert screen.table.item(row, 2).text() == "Senior coaches"

        # The group is changed later: Alex (in it) gets the new permissions at once.
        screen.table.selectRow(row)
        qtbot.mouseClick(screen.edit_group_button, Qt.MouseButton.LeftButton)
        await until(lambda: any(d.isVisible() for d in screen.findChildren(GroupDialog)), what="the edit dialog")
        [edit] = [d for d in screen.findChildren(GroupDialog) if d.isVisible()]
        assert edit.label_field.text() == "Senior coaches" and edit.boxes["reports.run"].isChecked()
        edit.boxes["reports.run"].setChecked(False)
        edit.boxes["family.view"].setChecked(True)
        qtbot.mouseClick(edit.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Save), Qt.MouseButton.LeftButton)
        await until(lambda: "Group Senior coaches is saved" in window.toast.text(), what="the group saved")
        await ops_done()
        group = next(g for g in screen.groups if g.name == "senior-coaches")
        assert "reports.run" not in group.permissions and "family.view" in group.permissions
        alex = next(s for s in screen.staff if s.username == "alex")
        assert "family.view" in alex.permissions and "reports.run" not in alex.permissions

        # A built-in group cannot be edited here.
        mia_row = [s.username for s in screen.staff].index("mia")
        screen.table.selectRow(mia_row)
        qtbot.mouseClick(screen.edit_group_button, Qt.MouseButton.LeftButton)
        assert "built-in groups stay as they are" in window.toast.text()
