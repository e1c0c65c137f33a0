"""The Settings screen: choose the receipt printer and paper, print a test page for real (CUPS)."""

from __future__ import annotations

import pytest

from desk.settings import SettingsStore, load
from desk.widgets.settings_screen import SettingsScreen
from tests.desk.desk_helpers import ops_done, until
from tests.printing import poppler

pytestmark = [pytest.mark.gui, pytest.mark.asyncio(loop_factories=["qasync"])]


def screen_for(qtbot, folder) -> tuple[SettingsScreen, list]:
    told: list = []
    screen = SettingsScreen(SettingsStore(folder), lambda t, tone: told.append((t, tone)), business_name="Acme Gym")
    qtbot.addWidget(screen)
    screen.show()
    return screen, told


async def test_printers_listed_with_the_default_marked_and_the_choice_saved(qtbot, tmp_path, cups_pdf):
    screen, told = screen_for(qtbot, tmp_path)
    screen.activate()
    await ops_done()
    names = [screen.printer.itemText(i) for i in range(screen.printer.count())]
    assert names[0] == f"This computer's default printer ({cups_pdf.printer})"
    assert f"{cups_pdf.printer} (default)" in names
    screen.printer.setCurrentIndex(screen.printer.findData(cups_pdf.printer))
    screen.paper.setCurrentIndex(screen.paper.findData("page"))
    screen.receipt_boxes["check"].setCurrentIndex(screen.receipt_boxes["check"].findData("email"))
    screen.idle.setValue(12)
    screen.kiosk_before.setValue(20)
    screen.kiosk_alerts["waiver"].setChecked(False)
    screen.kiosk_alerts["allergy"].setChecked(True)
    screen.save_button.click()
    assert told == [("Settings saved", "ok")]
    saved = load(tmp_path).settings
    assert (saved.printer, saved.receipt_layout, saved.receipts.check, saved.idle_lock_minutes) == (
        cups_pdf.printer, "page", "email", 12.0)

    assert (saved.kiosk.opens_before_minutes, sorted(saved.kiosk.blocking_alerts)) == (20, ["allergy", "balance"])
    again, _ = screen_for(qtbot, tmp_path)  # a restart shows what was saved
    assert again.kiosk_before.value() == 20 and again.kiosk_alerts["allergy"].isChecked()
    assert again.printer.currentData() == cups_pdf.printer and again.paper.currentData() == "page"


async def test_test_page_prints_on_the_chosen_printer(qtbot, tmp_path, cups_pdf):
    screen, _ = screen_for(qtbot, tmp_path)
    screen.activate()
    await ops_done()
    screen.printer.setCurrentIndex(screen.printer.findData(cups_pdf.printer))
    before = set(cups_pdf.out_dir.glob("*.pdf"))
    screen.test_button.click()
    await until(lambda: "sent to the printer" in screen.message.text() or "could not" in screen.message.text(),
                timeout=30, what="the test page to be sent")
    assert f"sent to the printer {cups_pdf.printer}" in screen.message.text()
    printed = cups_pdf.newest_after(before)
    words = poppler.text(printed)
    assert "Acme Gym" in words and "This is a printer test" in words
    assert load(tmp_path).settings.printer is None  # testing did not save anything


async def test_a_missing_printer_is_said_and_kept_selectable(qtbot, tmp_path):
    from desk.settings import DeskSettings, save

    save(DeskSettings(printer="Gone TM-T20"), tmp_path)
    screen, _ = screen_for(qtbot, tmp_path)
    assert screen.printer.currentText() == "Gone TM-T20 - not found on this computer"
    screen.test_button.click()
    await until(lambda: screen.message.text() not in ("", "Printing a test page…"), timeout=30)
    assert "email the receipt" in screen.message.text()
