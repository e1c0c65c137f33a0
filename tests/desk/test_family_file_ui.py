"""The family file at the desk, on the real sync stack: a parent calls and the family is added in
one step (likely duplicates shown first), then every part of it is edited by keys.

Real server over loopback, real cache and outbox, real widgets; a second desk offline edits a
guardian's phone and the first desk shows it after the sync.
"""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt

from desk.boot import DeskSession
from desk.widgets.move_student_dialog import MoveStudentDialog
from desk.widgets.new_family_dialog import NewFamilyDialog
from desk.widgets.record_dialog import RecordDialog
from sync.family_desk import FamilyDesk, GuardianDraft, NewFamily, StudentDraft
from tests.desk.desk_helpers import config_for, ops_done, signed_in_desk, until
from tests.desk.test_family_ui import closed
from tests.sync.conftest import server_rows

pytestmark = [pytest.mark.gui, pytest.mark.asyncio(loop_factories=["qasync"])]
CTRL = Qt.KeyboardModifier.ControlModifier
THE_BIRTH_DATE = dt.date(2019, 4, 2)  # Ada's, as THE_CALL types it
ALT = Qt.KeyboardModifier.AltModifier
THE_CALL = {  # what the front desk types while the parent is on the phone
    "name": "Okafor", "address": "12 Elm St, Chicago",
    "guardian0.first_name": "Ngozi", "guardian0.relation": "mother", "guardian0.phone": "(312) 555-0247",
    "guardian0.email": "ngozi@example.com",
    "emergency.first_name": "Ada", "emergency.last_name": "Eze", "emergency.relation": "grandmother",
    "emergency.phone": "773 555 0299",
    "child0.first_name": "Ada", "child0.birth_date": "4/2/2019", "child0.allergy": "Peanuts: EpiPen in her bag",
    "child1.first_name": "Obi", "child1.birth_date": "9/30/2021",
}  # fmt: skip


async def new_family_dialog(qtbot, window) -> NewFamilyDialog:
    await until(window.isActiveWindow, what="the desk active again (its keys work)")
    qtbot.keyClick(window, Qt.Key.Key_F3)
    screen = window.families
    qtbot.keyClick(screen.search, Qt.Key.Key_N, CTRL)
    dialog = screen.dialog
    assert isinstance(dialog, NewFamilyDialog) and dialog.isVisible()
    await until(dialog.fields["name"].hasFocus, what="the family name ready to type")
    return dialog


def type_the_call(qtbot, dialog: NewFamilyDialog, typed: dict[str, str]) -> None:
    for key, text in typed.items():
        qtbot.keyClicks(dialog.fields[key], text)


async def the_call_saved(qtbot, window, typed: dict[str, str] = THE_CALL) -> str:
    """Ctrl+N, the call typed, Enter (nothing like it on file): the new family's id, its file open."""
    dialog = await new_family_dialog(qtbot, window)
    type_the_call(qtbot, dialog, typed)
    qtbot.keyClick(dialog.fields["name"], Qt.Key.Key_Return)
    await until(lambda: closed(dialog), what=f"the {typed['name']} family saved")
    return window.families.presenter.view.id


async def row_form(qtbot, screen, tab, record_id: str | None = None) -> RecordDialog:
    """The tab shown, a row picked (the first by default), Enter: its form, ready to type."""
    screen.tabs.setCurrentWidget(tab)
    if record_id is not None:
        tab.select(record_id)
    tab.table.setFocus()
    qtbot.keyClick(tab.table, Qt.Key.Key_Return)
    form = screen.dialog
    assert isinstance(form, RecordDialog)
    await until(next(iter(form.inputs.values())).hasFocus, what="the form ready to type")
    return form


def retype(qtbot, field, text: str) -> None:
    field.clear()
    qtbot.keyClicks(field, text)


def table_texts(table) -> list[list[str]]:
    return [[table.item(r, c).text() for c in range(table.columnCount())] for r in range(table.rowCount())]


async def test_a_parent_calls_the_family_is_added_in_one_step_and_a_second_call_is_caught_as_a_likely_duplicate(
    qtbot, live_server, account, tmp_path, memory_keyring,
):
    async with signed_in_desk(qtbot, config_for(live_server.url, account, tmp_path / "desk"), account["password"]) as (
        session, window,
    ):
        dialog = await new_family_dialog(qtbot, window)
        type_the_call(qtbot, dialog, {**THE_CALL, "guardian0.phone": "555-0247"})
        qtbot.keyClick(dialog.fields["child1.birth_date"], Qt.Key.Key_Return)
        assert "not a full phone number: type it with its area code" in dialog.problem.text()
        assert dialog.fields["guardian0.phone"].hasFocus() and dialog.isVisible()
        dialog.fields["guardian0.phone"].clear()
        qtbot.keyClicks(dialog.fields["guardian0.phone"], "(312) 555-0247")
        qtbot.keyClick(dialog.fields["guardian0.phone"], Qt.Key.Key_Return)  # nothing like it on file: saved at once
        await until(lambda: closed(dialog), what="the new family saved")
        screen = window.families
        assert screen.name.text() == "Okafor family"
        assert window.toast.last_text.startswith("Okafor family added · 2 children")
        assert "Ngozi Okafor (mother, primary) · (312) 555-0247 · ngozi@example.com" in screen.contact.text()
        assert table_texts(screen.guardians_tab.table)[1][:3] == ["Ada Eze", "emergency contact, grandmother", "(773) 555-0299"]
        assert [[row[0], row[2]] for row in table_texts(screen.students)] == [["Ada Okafor", "Apr 2, 2019"],
                                                                             ["Obi Okafor", "Sep 30, 2021"]]
        assert table_texts(screen.notes_tab.table) == [["Allergy", "Ada", "Peanuts: EpiPen in her bag", "Open"]]
        family_id = screen.presenter.view.id
        await until(lambda: session.engine.status.pending == 0, what="the family sent")
        data = account["data_dir"]
        assert server_rows(data, "SELECT count(*) FROM student WHERE family_id = ?", family_id) == [(2,)]

        # The other parent calls about the same children: the desk shows the family on file first.
        dialog = await new_family_dialog(qtbot, window)
        type_the_call(qtbot, dialog, {"name": "Okafor", "guardian0.first_name": "Chidi", "guardian0.phone": "312-555-0247",
                                      "child0.first_name": "Ada", "child0.birth_date": "4/2/2019"})  # fmt: skip
        qtbot.keyClick(dialog.fields["child0.birth_date"], Qt.Key.Key_Return)
        assert dialog.duplicates_box.isVisible() and dialog.duplicates.hasFocus()
        line = dialog.duplicates.item(0).text()
        assert line.startswith("Okafor family\n   · same phone (312) 555-0247 (Ngozi Okafor)") and "same child Ada Okafor" in line
        assert dialog.primary.text() == "Open this family" and dialog.save_anyway.isVisible()
        qtbot.keyClick(dialog.duplicates, Qt.Key.Key_Return)  # Enter: it is the same family after all
        await until(lambda: closed(dialog), what="the dialog closed")
        assert screen.presenter.view.id == family_id and session.store.pending_count() == 0  # nothing added

        # Save anyway: a second family, and each says it may be the other.
        dialog = await new_family_dialog(qtbot, window)
        type_the_call(qtbot, dialog, {"name": "Okafor", "guardian0.first_name": "Chidi", "guardian0.phone": "312-555-0247"})
        qtbot.keyClick(dialog.fields["guardian0.phone"], Qt.Key.Key_Return)
        assert dialog.duplicates_box.isVisible()
        qtbot.keyClick(dialog, Qt.Key.Key_S, ALT)
        await until(lambda: closed(dialog), what="saved anyway")
        second = screen.presenter.view.id
        assert second != family_id and screen.same_box.isVisibleTo(window)
        assert screen.same_banner.text().startswith("May be the same family as the Okafor family: same phone (312) 555-0247")
        qtbot.keyClick(screen.search, Qt.Key.Key_D, CTRL)  # Ctrl+D: open the other one
        assert screen.presenter.view.id == family_id


async def test_every_part_of_the_file_is_edited_by_keys_and_a_second_desk_offline_edit_shows_after_sync(
    qtbot, live_server, account, tmp_path, memory_keyring,
):
    async with signed_in_desk(qtbot, config_for(live_server.url, account, tmp_path / "desk"), account["password"]) as (
        session, window,
    ):
        family_id = await the_call_saved(qtbot, window)
        screen = window.families

        # Ctrl+E: the family's own fields; only what changed is sent.
        await until(window.isActiveWindow, what="the desk active again (its keys work)")
        qtbot.keyClick(screen.search, Qt.Key.Key_E, CTRL)
        edit = screen.dialog
        assert isinstance(edit, RecordDialog)
        await until(edit.inputs["name"].hasFocus, what="the first field ready to type")
        retype(qtbot, edit.inputs["address"], "9 Oak Ave, Chicago")
        qtbot.keyClick(edit.inputs["address"], Qt.Key.Key_Return)
        await until(lambda: closed(edit), what="family saved")
        assert window.toast.last_text == "Saved: address"

        # Guardians tab: Enter on a row edits it; a wrong email is said in the dialog.
        edit = await row_form(qtbot, screen, screen.guardians_tab)
        assert edit.inputs["first_name"].text() == "Ngozi"
        assert edit.inputs["phone"].text() == "(312) 555-0247"  # shown as the location writes it
        retype(qtbot, edit.inputs["email"], "ngozi@")
        qtbot.keyClick(edit.inputs["email"], Qt.Key.Key_Return)
        assert "is not an email address" in edit.problem.text() and edit.inputs["email"].hasFocus()
        qtbot.keyClicks(edit.inputs["email"], "okafor.family")
        retype(qtbot, edit.inputs["phone"], "312.555.0290")
        qtbot.keyClick(edit.inputs["phone"], Qt.Key.Key_Return)
        await until(lambda: closed(edit), what="guardian saved")
        assert "(312) 555-0290 · ngozi@okafor.family" in screen.contact.text()
        family = screen.file.file  # the family's own phone and email were hers: they follow
        assert (family.phone, family.email) == ("+13125550290", "ngozi@okafor.family")

        # Students: Enter edits the one picked (a birth date typed as the desk writes dates).
        ada = next(st.id for st in screen.file.file.students if st.first_name == "Ada")
        edit = await row_form(qtbot, screen, screen.students_tab, ada)
        assert edit.inputs["birth_date"].text() == "4/2/2019"
        retype(qtbot, edit.inputs["birth_date"], "4/3/2019")
        qtbot.keyClick(edit.inputs["birth_date"], Qt.Key.Key_Return)
        await until(lambda: closed(edit), what="student saved")
        assert window.toast.last_text == "Saved: birth date"
        assert ["Ada Okafor", "Apr 3, 2019"] == [table_texts(screen.students)[0][i] for i in (0, 2)]

        # Inactive and back; moving needs a manager.
        screen.students_tab.select(screen.presenter.view.students[1].id)
        obi = screen.students_tab.selected()
        screen.students_tab.buttons["active"].click()
        await ops_done()
        assert window.toast.last_text == "Obi Okafor is now inactive (kept on file)"
        assert table_texts(screen.students)[-1][3] == "Not active"
        assert screen.students_tab.select(obi) and screen.students_tab.buttons["active"].text() == "Make active"
        assert not screen.students_tab.buttons["move"].isVisibleTo(window)  # front desk: managers move children
        assert screen.move_student() is None and window.toast.last_text.startswith("Ask a manager")

        # Notes: add one for the family, resolve the allergy.
        screen.tabs.setCurrentWidget(screen.notes_tab)
        screen.notes_tab.buttons["add"].click()
        edit = screen.dialog
        assert isinstance(edit, RecordDialog)
        qtbot.keyClicks(edit.inputs["text"], "Dad picks up on Tuesdays")
        qtbot.keyClick(edit.inputs["text"], Qt.Key.Key_Return)
        await until(lambda: closed(edit), what="note added")
        texts = table_texts(screen.notes_tab.table)
        assert ["Note", "Family", "Dad picks up on Tuesdays", "Open"] in texts
        allergy = next(n.id for n in screen.file.file.notes if n.kind == "allergy")
        screen.notes_tab.select(allergy)
        screen.notes_tab.buttons["resolve"].click()
        await ops_done()
        assert ["Allergy", "Ada", "Peanuts: EpiPen in her bag", "Resolved"] in table_texts(screen.notes_tab.table)
        await until(lambda: session.engine.status.pending == 0, what="all sent")

        # A second desk, offline, changes the mother's phone; after its sync the first desk shows it.
        other = DeskSession.open(config_for(live_server.url, account, tmp_path / "desk2"))
        try:
            await other.login(account["username"], account["password"])
            await other.engine.sync_now()
            mother = FamilyDesk(other.store).file(family_id, screen.file.today()).guardians[0]
            await FamilyDesk(other.store).update("guardian", mother.id, {"phone": "(312) 555-0211"}, "US")
            assert other.store.pending_count() == 2  # offline, in its outbox: her phone, and the family's that was hers
            await other.engine.sync_now()
        finally:
            await other.close()
        await until(lambda: "(312) 555-0211" in screen.contact.text(), timeout=15, what="the other desk's edit shown")
        assert server_rows(account["data_dir"], "SELECT count(*) FROM family WHERE name = 'Okafor'") == [(1,)]


async def test_a_manager_moves_a_child_to_the_other_parents_family_by_keys(qtbot, live_server, account, tmp_path, memory_keyring):
    from server import admin

    admin.add_staff(account["data_dir"], "acme", "morgan", "manager pass 123", group="manager")
    manager = {**account, "username": "morgan", "password": "manager pass 123"}
    async with signed_in_desk(qtbot, config_for(live_server.url, manager, tmp_path / "desk"), manager["password"]) as (
        session, window,
    ):
        eze = await the_call_saved(qtbot, window, {"name": "Eze", "guardian0.first_name": "Chidi",
                                                   "guardian0.phone": "312 555 0270"})
        await the_call_saved(qtbot, window)
        screen = window.families
        screen.tabs.setCurrentWidget(screen.students_tab)
        ada = next(st.id for st in screen.file.file.students if st.first_name == "Ada")
        screen.students_tab.select(ada)
        assert screen.students_tab.buttons["move"].isVisibleTo(window)
        screen.students_tab.buttons["move"].click()
        move = screen.dialog
        assert isinstance(move, MoveStudentDialog)
        await until(move.search.hasFocus, what="the family search ready")
        qtbot.keyClicks(move.search, "eze")
        assert move.results.item(0).text() == "Eze family · Chidi Eze"
        qtbot.keyClick(move.search, Qt.Key.Key_Return)
        await until(lambda: closed(move), what="moved")
        assert window.toast.last_text == "Ada Okafor moved to the Eze family"
        assert [row[0] for row in table_texts(screen.students)] == ["Obi Okafor"]
        await until(lambda: session.engine.status.pending == 0, what="sent")
        assert server_rows(account["data_dir"], "SELECT family_id FROM student WHERE id = ?", ada) == [(eze,)]


async def test_the_same_family_added_offline_at_another_desk_is_flagged_when_the_family_is_next_open(
    qtbot, live_server, account, tmp_path, memory_keyring,
):
    async with signed_in_desk(qtbot, config_for(live_server.url, account, tmp_path / "desk"), account["password"]) as (
        session, window,
    ):
        ours = await the_call_saved(qtbot, window)
        screen = window.families
        assert not screen.same_box.isVisibleTo(window)
        other = DeskSession.open(config_for(live_server.url, account, tmp_path / "desk2"))
        try:  # the other parent called the other desk, which was offline
            await other.login(account["username"], account["password"])
            theirs = await FamilyDesk(other.store).add_family(NewFamily("Okafor", guardians=[
                GuardianDraft("Chidi", "Okafor", "father", "+1 312 555 0247")], students=[
                StudentDraft("Ada", "Okafor", THE_BIRTH_DATE)]), "US")  # fmt: skip
            await other.engine.sync_now()
        finally:
            await other.close()
        await until(lambda: screen.same_box.isVisibleTo(window), timeout=15, what="the banner on the open family")
        assert screen.same_banner.text() == ("May be the same family as the Okafor family: same phone (312) 555-0247 "
                                             "(Chidi Okafor); same child Ada Okafor, born Apr 2, 2019.")  # fmt: skip
        qtbot.keyClick(screen.search, Qt.Key.Key_D, CTRL)
        assert screen.presenter.view.id == theirs != ours  # two families, side by side: nothing merged
