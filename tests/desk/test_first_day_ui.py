"""A school's first day on a brand-new account, through the screens a person would use.

No seed-demo: the account and its staff come from the admin commands' Python API, then everything
else is done at the desk by keys on the real sync stack (a real server over loopback HTTP, real
caches and outboxes, real CUPS printing). The day is the tests' pinned moment
(tests.helpers.clock), so "today's class" is made for whatever weekday and hour that is.
"""

from __future__ import annotations

import datetime as dt
import time
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import Qt

from desk.app import open_main_window
from desk.boot import DeskConfig, DeskSession
from desk.presenters.first_run import FirstRun
from desk.presenters.formatting import clock
from desk.settings import SettingsStore
from desk.widgets.first_run import FirstRunWindow
from sync.core.class_times import WEEKDAY_SHORT
from tests.desk.desk_helpers import (
    FAST_ENGINE,
    config_for,
    open_a_roster_of,
    ops_done,
    until,
)
from tests.desk.test_family_file_ui import (
    THE_CALL,
    retype,
    row_form,
    table_texts,
    the_call_saved,
)
from tests.desk.test_family_ui import closed
from tests.desk.test_receipts_ui import pay_cash
from tests.desk.test_setup_ui import fill
from tests.helpers.clock import pinned_clock, pinned_moment
from tests.helpers.school import a_new_account
from tests.helpers.server_process import ThreadedServer, account_db_path
from tests.printing import poppler
from tests.server.api import query

pytestmark = [pytest.mark.gui, pytest.mark.asyncio(loop_factories=["qasync"])]
CTRL = Qt.KeyboardModifier.ControlModifier
ZONE = "America/Chicago"  # the pinned moment is read on this clock (tests.helpers.clock)


def todays_times(moment: dt.datetime) -> str:
    """A meeting on the pinned moment's weekday that is on at that moment and ends by midnight,
    whatever the hour is pinned to (23:59 gives a class of 23:54 to midnight)."""
    midnight = dt.datetime.combine(moment.date(), dt.time(), tzinfo=moment.tzinfo)
    start = max(midnight, moment - dt.timedelta(minutes=5)).replace(second=0, microsecond=0)
    minutes = max(1, int((min(start + dt.timedelta(minutes=60), midnight + dt.timedelta(days=1)) - start).total_seconds() // 60))
    return f"{WEEKDAY_SHORT[moment.weekday()]} {start:%H:%M} {minutes}"


def rows(data_dir, sql: str) -> list[tuple]:
    """What the new account's server database holds."""
    return query(account_db_path(data_dir, "newgym"), sql)


def printed(cups_pdf, before: set, receipt_no: str, timeout: float = 30.0) -> str:
    """The words of the new PDF that holds this receipt: the printer's folder is shared by every
    test run on this machine, so the newest file may be another run's."""
    deadline = time.monotonic() + timeout
    seen = set(before)
    while time.monotonic() < deadline:
        path = cups_pdf.newest_after(seen, timeout=deadline - time.monotonic())
        words = poppler.text(path)
        if receipt_no in words:
            return words
        seen.add(path)
    raise AssertionError(f"no PDF with receipt {receipt_no} in {cups_pdf.out_dir}")


async def main_window_keys(window) -> None:
    """Offscreen has no window manager to hand the focus back after a dialog: the desk takes it."""
    window.activateWindow()
    await until(window.isActiveWindow, what="the main window active (its keys work)")


TAB_KEYS = {"program": Qt.Key.Key_P, "class": Qt.Key.Key_C, "closure": Qt.Key.Key_O}  # Alt+ the tab's letter


async def new_in_tab(qtbot, window, kind: str):
    """In Set-up: Alt+letter picks the tab, Ctrl+N in its list opens the new record's form."""
    await main_window_keys(window)
    screen = window.setup_screen
    qtbot.keyClick(screen.tabs, TAB_KEYS[kind], Qt.KeyboardModifier.AltModifier)
    tab = screen.tabs.currentWidget()
    assert tab is screen.lists[kind]
    tab.table.setFocus()
    qtbot.keyClick(tab.table, Qt.Key.Key_N, CTRL)
    assert screen.form is not None and screen.form.isVisible() and screen.form.windowTitle().startswith("New")
    return screen.form


@pytest.fixture
def brand_new(tmp_path):
    data_dir = tmp_path / "server"
    a_new_account(data_dir, "newgym", ("morgan", "pw manager", "manager"), ("alex", "pw desk", "front-desk"))
    with ThreadedServer(data_dir) as server:  # on the pinned clock by default
        yield {"slug": "newgym", "url": server.url, "data_dir": data_dir}


@pytest.mark.timeout(60)
async def test_a_schools_first_day_on_a_brand_new_account(qtbot, brand_new, tmp_path, memory_keyring, cups_pdf):
    moment = pinned_moment().astimezone(ZoneInfo(ZONE))
    today = moment.date()
    other_day = (moment.weekday() + 2) % 7
    url, data = brand_new["url"], brand_new["data_dir"]
    assert rows(data, "SELECT count(*) FROM location") == [(0,)]  # nothing but the account and its staff

    # 1. First run at the desk: the manager's sign-in sets this computer up (no code), and the
    #    account has no location, so the desk asks for the first one.
    settings = SettingsStore(tmp_path / "config")
    first_run = FirstRunWindow(FirstRun(DeskConfig(data_dir=tmp_path / "desk", engine_options=FAST_ENGINE,
                                                   clock=pinned_clock()), settings))  # fmt: skip
    qtbot.addWidget(first_run)
    first_run.show()
    finished: list[DeskSession] = []
    first_run.finished.connect(finished.append)
    first_run.server.setText(url)
    first_run.next.click()
    await ops_done()
    for field, text in ((first_run.account, "newgym"), (first_run.desk_name, "Front desk 1"),
                        (first_run.username, "morgan"), (first_run.password, "pw manager")):  # fmt: skip
        field.clear()
        qtbot.keyClicks(field, text)
    qtbot.keyClick(first_run.password, Qt.Key.Key_Return)
    await ops_done()
    assert first_run.stack.currentIndex() == 2 and first_run.locations.count() == 0, first_run.message.text()
    assert first_run.new_location.hasFocus()
    qtbot.keyClicks(first_run.new_location, "Downtown")
    qtbot.keyClicks(first_run.new_code, "dt")
    first_run.new_zone.setCurrentIndex(first_run.new_zone.findData(ZONE))
    qtbot.keyClick(first_run.new_code, Qt.Key.Key_Return)
    await ops_done()
    assert first_run.locations.currentItem().text() == "Downtown (DT)" and "Downtown added" in first_run.message.text()
    first_run.next.click()
    await ops_done()
    first_run.printer.setCurrentIndex(first_run.printer.findData(cups_pdf.printer))  # receipts go here
    first_run.next.click()
    first_run.next.click()  # no swiper on the first day: Finish
    await ops_done()
    assert len(finished) == 1
    session = finished[0]
    window = open_main_window(session, settings)
    qtbot.addWidget(window)
    second: DeskSession | None = None
    try:
        await main_window_keys(window)
        assert window.location.name == "Downtown"

        # 2. Set-up (F10): a program, today's class, a class on another weekday, a closure.
        qtbot.keyClick(window, Qt.Key.Key_F10)
        screen = window.setup_screen
        assert window.stack.currentWidget() is screen
        await new_in_tab(qtbot, window, "program")
        fill(qtbot, screen.form, name="Recreational Gymnastics")
        qtbot.keyClick(screen.form.fields["name"], Qt.Key.Key_Return)
        await ops_done()
        for name, times in (("Tumbling Tots", todays_times(moment)), ("Junior Ninja", f"{WEEKDAY_SHORT[other_day]} 17:00 60")):
            form = await new_in_tab(qtbot, window, "class")
            fill(qtbot, form, name=name, times=times, ages="4-9", capacity="12", tuition="85")
            form.fields["program_id"].setCurrentIndex(form.fields["program_id"].findText("Recreational Gymnastics"))
            qtbot.keyClick(form.fields["name"], Qt.Key.Key_Return)
            await ops_done()
            assert not form.isVisible(), form.message.text()
        assert sorted(c.name for c in screen.presenter.classes()) == ["Junior Ninja", "Tumbling Tots"]
        # Closed on the Ninja class's next day: that session is never made.
        closed_on = today + dt.timedelta(days=(other_day - moment.weekday()) % 7 or 7)
        await new_in_tab(qtbot, window, "closure")
        fill(qtbot, screen.form, name="Floor repairs", start_date=closed_on.isoformat())
        qtbot.keyClick(screen.form.fields["name"], Qt.Key.Key_Return)
        await ops_done()
        assert screen.lists["closure"].table.item(0, 0).text() == "Floor repairs"
        await until(lambda: session.engine.status.pending == 0 and not session.store.rejected(), what="set-up sent")
        loc = window.location
        await until(lambda: [s.name for s in session.store.sessions_on(loc.id, today)] == ["Tumbling Tots"],
                    what="today's session planned by the server")  # fmt: skip
        week_on = closed_on + dt.timedelta(days=7)
        await until(lambda: [s.name for s in session.store.sessions_on(loc.id, week_on)] == ["Junior Ninja"],
                    what="the week after the closure planned")  # fmt: skip
        # The closure came after the classes: a pull between the two showed the closed day's class,
        # and the next pull brings its cancellation.
        await until(lambda: all(s.cancelled for s in session.store.sessions_on(loc.id, closed_on)),
                    what="no class on the closed day")  # fmt: skip

        # 3. A parent calls (F3, Ctrl+N): a family with two children, one with an allergy.
        await main_window_keys(window)
        family_id = await the_call_saved(qtbot, window)
        families = window.families
        assert window.toast.last_text.startswith("Okafor family added · 2 children")
        assert table_texts(families.notes_tab.table) == [["Allergy", "Ada", "Peanuts: EpiPen in her bag", "Open"]]

        # 4. Ada comes in (F1): found by name, today's class picked by its number, Enter checks her in.
        await main_window_keys(window)
        qtbot.keyClick(window, Qt.Key.Key_F1)
        checkin = window.checkin
        qtbot.keyClicks(checkin.search, "Ada Ok")
        assert [h.first_name for h in checkin.presenter.hits] == ["Ada"]
        qtbot.keyClick(checkin.search, Qt.Key.Key_Return)
        card = checkin.presenter.card
        assert [c.session.name for c in card.sessions_today] == ["Tumbling Tots"]
        assert "Peanuts" in " ".join(a.text for a in card.alerts)  # the allergy shows at check-in
        qtbot.keyClick(checkin.search, Qt.Key.Key_1)
        qtbot.keyClick(checkin.search, Qt.Key.Key_Return)
        await ops_done()
        klass = card.sessions_today[0].session
        assert window.toast.last_text == f"Ada Okafor checked in · Tumbling Tots {clock(klass.starts_at)}"

        # 5. The roster (F2): Ada is on it, present; A marks her absent (a slip), P present again, L late.
        open_a_roster_of(qtbot, window, 1)
        roster = window.roster
        assert roster.presenter.current_session.id == klass.id
        assert [(r.full_name, roster.table.item(0, 1).text()) for r in roster.presenter.rows] == [("Ada Okafor", "✓ Present")]
        for key, shown in ((Qt.Key.Key_A, "✗ Absent"), (Qt.Key.Key_P, "✓ Present"), (Qt.Key.Key_L, "◷ Late")):
            qtbot.keyClick(roster.table, Qt.Key.Key_Home)
            qtbot.keyClick(roster.table, key)
            await ops_done()
            assert roster.table.item(0, 1).text() == shown
        assert "1 late" in roster.counts.text() and roster.counts.text().startswith("1 of ")
        assert [r.status for r in session.store.roster(klass.id)] == ["late"]

        # 6. Cash at the desk (F3, Ctrl+P), the receipt printed through CUPS on first run's printer.
        await main_window_keys(window)
        qtbot.keyClick(window, Qt.Key.Key_F3)
        qtbot.keyClicks(families.search, "Okafor")
        assert [h.id for h in families.presenter.hits] == [family_id]
        qtbot.keyClick(families.search, Qt.Key.Key_Return)
        assert families.presenter.view.id == family_id
        before = set(cups_pdf.out_dir.glob("*.pdf"))
        line = await pay_cash(qtbot, families, "20", Qt.Key.Key_P)
        await until(lambda: "sent to the printer" in (window.toast.last_text or ""), timeout=30, what="printed")
        assert f"Receipt {line.receipt_no} sent to the printer {cups_pdf.printer}" in window.toast.last_text
        words = printed(cups_pdf, before, line.receipt_no)
        assert line.receipt_no in words and "$20.00" in words and "Okafor family" in words
        await until(lambda: session.engine.status.pending == 0, what="the day's work sent")
        assert rows(data, "SELECT status FROM attendance_mark ORDER BY usn DESC LIMIT 1") == [("late",)]
        assert rows(data, "SELECT kind, abs(amount_cents), method FROM ledger_entry") == [("payment", 2000, "cash")]

        # 7. Alex, front desk, at a second desk (set up with the owner's code), offline, fixes the
        #    mother's phone in the family's Guardians tab; the first desk shows it after the sync.
        second = DeskSession.open(config_for(url, {"slug": "newgym", "username": "alex"}, tmp_path / "desk2"))
        await second.login("alex", "pw desk")
        await second.engine.sync_now()
        other = open_main_window(second)
        qtbot.addWidget(other)
        await second.engine.stop()  # offline from here: nothing leaves its outbox
        await main_window_keys(other)
        qtbot.keyClick(other, Qt.Key.Key_F3)
        qtbot.keyClicks(other.families.search, "Okafor")
        qtbot.keyClick(other.families.search, Qt.Key.Key_Return)
        edit = await row_form(qtbot, other.families, other.families.guardians_tab)
        assert edit.inputs["first_name"].text() == "Ngozi"
        retype(qtbot, edit.inputs["phone"], "(312) 555-0211")
        qtbot.keyClick(edit.inputs["phone"], Qt.Key.Key_Return)
        await until(lambda: closed(edit), what="the phone saved at the second desk")
        assert second.store.pending_count() == 2  # her phone, and the family's that was hers
        assert "(312) 555-0247" in families.contact.text()  # the first desk has not heard yet
        await second.engine.sync_now()  # back online
        await until(lambda: "(312) 555-0211" in families.contact.text(), timeout=15, what="the edit shown at desk 1")
        assert rows(data, "SELECT count(*) FROM family") == [(1,)]
        assert THE_CALL["guardian0.phone"] not in families.contact.text()
        other.close()
    finally:
        window.close()
        await ops_done()
        if second is not None:
            await second.close()
        await session.close()
