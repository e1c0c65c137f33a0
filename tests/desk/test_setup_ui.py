"""Set-up at the desk with the keyboard, on a brand-new account (no seed-demo), on the real sync stack."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from desk.presenters.formatting import now_at
from desk.presenters.setup import meetings_text
from server import admin
from tests.desk.desk_helpers import config_for, ops_done, signed_in_desk, until
from tests.helpers.server_process import ThreadedServer

pytestmark = [pytest.mark.gui, pytest.mark.asyncio(loop_factories=["qasync"])]

EVERY_DAY = "Mon 16:00 60; Tue 16:00 60; Wed 16:00 60; Thu 16:00 60; Fri 16:00 60; Sat 10:00 60; Sun 10:00 60"


@pytest.fixture
def fresh(tmp_path):
    data_dir = tmp_path / "server"
    admin.create_account(data_dir, "fresh", name="Fresh Gym")
    admin.add_staff(data_dir, "fresh", "morgan", "pw manager", group="manager", display_name="Morgan Lee")
    admin.add_staff(data_dir, "fresh", "alex", "pw desk", group="front-desk")
    with ThreadedServer(data_dir) as server:
        yield {"slug": "fresh", "username": "morgan", "password": "pw manager", "url": server.url, "data_dir": data_dir}


def fill(qtbot, form, **values: str) -> None:
    for key, text in values.items():
        field = form.fields[key]
        field.setFocus()
        field.clear()
        qtbot.keyClicks(field, text)


async def test_a_manager_sets_up_a_location_a_program_and_classes_and_the_week_shows_them(qtbot, fresh, tmp_path, memory_keyring):
    async with signed_in_desk(qtbot, config_for(fresh["url"], fresh, tmp_path / "desk"), fresh["password"]) as (session, window):
        qtbot.keyClick(window, Qt.Key.Key_F10)
        screen = window.setup_screen
        assert window.stack.currentWidget() is screen and window.title.text() == "Set-up"
        screen.tabs.setCurrentWidget(screen.lists["location"])
        tab = screen.lists["location"]
        assert "No locations yet" in tab.empty.text()
        tab.new_button.click()
        form = screen.form
        fill(qtbot, form, name="Downtown", code="dt", phone="(312) 555-0100", hours="Mon 9:00-20:00; Sat 8:00-14:00")
        form.fields["timezone"].setCurrentIndex(form.fields["timezone"].findData("America/Chicago"))
        qtbot.keyClick(form.fields["hours"], Qt.Key.Key_Return)  # Enter saves
        await ops_done()
        await until(lambda: window.location.name == "Downtown", what="the desk working at its first location")
        assert tab.table.item(0, 1).text() == "DT" and "Sat 8:00 AM" in tab.table.item(0, 5).text()

        screen.tabs.setCurrentWidget(screen.lists["program"])
        screen.lists["program"].new_button.click()
        fill(qtbot, screen.form, name="Ninja")
        qtbot.keyClick(screen.form.fields["name"], Qt.Key.Key_Return)
        await ops_done()

        classes = screen.lists["class"]
        screen.tabs.setCurrentWidget(classes)
        classes.new_button.click()
        form = screen.form
        fill(qtbot, form, name="Junior Ninja", times="Tue 17:00 60, Thu 5:30pm 45", ages="6-9", capacity="14", tuition="85")
        form.fields["program_id"].setCurrentIndex(form.fields["program_id"].findText("Ninja"))
        qtbot.keyClick(form.fields["tuition"], Qt.Key.Key_Return)
        await ops_done()
        assert classes.table.item(0, 0).text() == "Junior Ninja" and classes.table.item(0, 3).text() == "6–9"

        # A mistake keeps the form open with the applier's words; nothing is recorded.
        classes.new_button.click()
        fill(qtbot, screen.form, name="Bad", times="Funday 17:00 60")
        qtbot.keyClick(screen.form.fields["times"], Qt.Key.Key_Return)
        await ops_done()
        assert screen.form.isVisible() and "not a day of the week" in screen.form.message.text()
        screen.form.reject()
        assert [c.name for c in screen.presenter.classes()] == ["Junior Ninja"] and not session.store.rejected()

        classes.new_button.click()
        fill(qtbot, screen.form, name="Tiny Tumblers", times=EVERY_DAY, ages="2-4")
        qtbot.keyClick(screen.form.fields["name"], Qt.Key.Key_Return)
        await ops_done()
        await until(lambda: session.engine.status.pending == 0, what="set-up sent")

        # The week view: what is on for a six-year-old, and on Thursday.
        window.activateWindow()  # offscreen has no window manager to give it back after the form
        await until(window.isActiveWindow, what="the main window active again after the form")
        qtbot.keyClick(window, Qt.Key.Key_F4)
        week = window.week_screen
        assert window.stack.currentWidget() is week
        await until(week.age.hasFocus, what="focus in the age field")
        qtbot.keyClicks(week.age, "6")
        assert [(c.weekday, c.title) for c in week.cells] == [(1, "Junior Ninja · 6–9"), (3, "Junior Ninja · 6–9")]
        week.day.setCurrentIndex(week.day.findData("Thursday"))
        assert week.grid.columnCount() == 1 and week.grid.item(0, 0).text().startswith("5:30 PM\nJunior Ninja")
        week.age.clear()
        assert {c.entry.cls.name for c in week.cells} == {"Junior Ninja", "Tiny Tumblers"}
        assert "classes for any age, Thursday, at Downtown" in week.summary.text()
        # The server planned the sessions: today's rosters have a class whatever day this runs.
        today = now_at("America/Chicago", session.store.clock).date()
        await until(lambda: any(s.name == "Tiny Tumblers" for s in session.store.sessions_on(window.location.id, today)),
                    what="today's session from the server")  # fmt: skip

        # One session cancelled, another given a substitute; the class stays as it is.
        qtbot.keyClick(window, Qt.Key.Key_F10)
        screen.tabs.setCurrentWidget(classes)
        classes.reload()
        classes.table.selectRow([c.name for c in classes.records].index("Tiny Tumblers"))
        classes.sessions_button.click()
        dialog = screen.form
        first, second = dialog.sessions[0][0], dialog.sessions[1][0]
        dialog.activateWindow()  # offscreen: no window manager hands it the focus
        await until(lambda: dialog.isActiveWindow() and dialog.list.hasFocus(), what="the sessions dialog focused")
        qtbot.keyClick(dialog.list, Qt.Key.Key_Delete)
        await ops_done()
        assert "cancelled" in dialog.list.item(0).text()
        dialog.list.setCurrentRow(1)
        dialog.move()
        move = dialog.form
        move.fields["instructor_id"].setCurrentIndex(move.fields["instructor_id"].findText("Morgan Lee"))
        fill(qtbot, move, start="10:30")
        qtbot.keyClick(move.fields["start"], Qt.Key.Key_Return)
        await ops_done()
        assert "substitute Morgan Lee" in dialog.list.item(1).text() and "10:30 AM" in dialog.list.item(1).text()
        dialog.accept()
        await until(lambda: session.engine.status.pending == 0 and not session.store.rejected(), what="session changes sent")
        row = next(c for c in screen.presenter.classes() if c.name == "Tiny Tumblers")
        assert row.times == meetings_text(EVERY_DAY) and row.active  # the class itself did not change
        store_rows = {s.id: s for s in session.store.sessions_on(window.location.id, second.date)}
        assert store_rows[second.id].coach == "Morgan Lee"  # the substitute shows on the roster
        assert next(s for s in screen.presenter.setup.sessions_of(row.id, first.date, 0) if s.id == first.id).cancelled


async def test_front_desk_sees_the_week_but_not_set_up(qtbot, fresh, tmp_path, memory_keyring):
    account = {**fresh, "username": "alex"}
    async with signed_in_desk(qtbot, config_for(fresh["url"], account, tmp_path / "desk"), "pw desk") as (_session, window):
        assert window.rail.buttons[window.screens.index(window.week_screen)].isVisibleTo(window)
        assert not window.rail.buttons[window.screens.index(window.setup_screen)].isVisibleTo(window)
        qtbot.keyClick(window, Qt.Key.Key_F10)
        assert window.stack.currentWidget() is not window.setup_screen


async def test_first_run_on_an_account_with_no_location_creates_the_first_one(qtbot, fresh, tmp_path, memory_keyring):
    from desk.boot import DeskConfig
    from desk.presenters.first_run import FirstRun
    from desk.settings import SettingsStore
    from desk.widgets.first_run import FirstRunWindow
    from tests.desk.desk_helpers import FAST_ENGINE

    window = FirstRunWindow(FirstRun(DeskConfig(data_dir=tmp_path / "desks", engine_options=FAST_ENGINE),
                                     SettingsStore(tmp_path / "config")))  # fmt: skip
    qtbot.addWidget(window)
    window.show()
    try:
        window.server.setText(fresh["url"])
        window.next.click()
        await ops_done()
        window.account.setText("fresh")
        window.username.setText("morgan")
        window.password.setText("pw manager")
        window.next.click()
        await ops_done()
        assert window.stack.currentIndex() == 2 and window.locations.count() == 0
        assert window.new_location.hasFocus()  # nothing to choose: the desk asks for the first location
        qtbot.keyClicks(window.new_location, "Downtown")
        qtbot.keyClicks(window.new_code, "dt")
        window.new_zone.setCurrentIndex(window.new_zone.findData("America/Chicago"))
        qtbot.keyClick(window.new_code, Qt.Key.Key_Return)
        await ops_done()
        assert window.locations.currentItem().text() == "Downtown (DT)" and "Downtown added" in window.message.text()
        from tests.helpers.server_process import account_db_path
        from tests.server.api import query

        assert query(account_db_path(fresh["data_dir"], "fresh"), "SELECT name, code, timezone FROM location") == [
            ("Downtown", "DT", "America/Chicago")]
        window.next.click()
        assert window.stack.currentIndex() == 3
        await ops_done()
    finally:
        window.close()
        if window.presenter.session is not None:
            await window.presenter.session.close()


async def test_who_may_manage_classes_but_not_locations_sees_those_tabs_read_only(qtbot, fresh, tmp_path, memory_keyring):
    admin.add_staff(fresh["data_dir"], "fresh", "cal", "pw cal", group="front-desk", display_name="Cal")
    admin.edit_staff(fresh["data_dir"], "fresh", "cal", grants=["classes.manage"])
    config = config_for(fresh["url"], {**fresh, "username": "cal"}, tmp_path / "desk")
    async with signed_in_desk(qtbot, config, "pw cal") as (_session, window):
        screen = window.setup_screen
        assert window.rail.buttons[window.screens.index(screen)].isVisibleTo(window)
        assert screen.lists["class"].new_button.isEnabled() and screen.lists["program"].new_button.isEnabled()
        for kind in ("location", "room", "closure"):
            assert not screen.lists[kind].new_button.isEnabled()
        screen.lists["location"].new()
        assert screen.form is None  # Ctrl+N does nothing where the buttons are off
