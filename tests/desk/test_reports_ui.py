"""The Reports screen (F5) on a real desk cache: make, save and print reports without blocking."""

from __future__ import annotations

import datetime as dt
import os
import stat
from pathlib import Path

import pytest
from PySide6.QtCore import QDate, Qt

from desk.presenters.reports import ReportsPresenter
from desk.widgets.main_window import MainWindow
from desk.widgets.reports_screen import ReportsScreen
from sync.store import DeskStore
from tests.desk.desk_helpers import ops_done, until
from tests.printing import poppler
from tests.sync.data import DAY, world

pytestmark = [pytest.mark.gui, pytest.mark.asyncio(loop_factories=["qasync"])]
YESTERDAY = DAY - dt.timedelta(days=1)


@pytest.fixture
def desk(tmp_path: Path):
    demo = world()
    store = DeskStore(tmp_path / "desk", staff_id="staff-1")
    changes = demo.changes()
    store.cache.apply_pull(changes, cursor=len(changes))
    try:
        yield store, demo
    finally:
        store.close()


def screen_for(qtbot, store: DeskStore) -> tuple[ReportsScreen, list[tuple[str, str]]]:
    downtown = next(loc for loc in store.locations() if loc.code == "DT")
    told: list[tuple[str, str]] = []
    screen = ReportsScreen(ReportsPresenter(store, downtown, "Springfield Gymnastics"), lambda t, tone: told.append((t, tone)))
    qtbot.addWidget(screen)
    screen.show()
    screen.start.setDate(QDate(YESTERDAY.year, YESTERDAY.month, YESTERDAY.day))
    screen.end.setDate(QDate(DAY.year, DAY.month, DAY.day))
    return screen, told


def saving_to(screen: ReportsScreen, folder: Path) -> list[Path]:
    saved: list[Path] = []

    def answer(file_name: str, done) -> None:  # noqa: ANN001 - what the file dialog would call
        saved.append(folder / file_name)
        done(folder / file_name)

    screen.ask_save_path = answer
    return saved


async def test_attendance_report_is_saved_as_a_pdf_with_progress(qtbot, desk, tmp_path: Path):
    store, demo = desk
    await store.mark_attendance(demo.ids["sess_tumbling"], demo.ids["emmett"], "present")
    screen, told = screen_for(qtbot, store)
    steps: list[int] = []
    screen.progress.valueChanged.connect(steps.append)
    saved = saving_to(screen, tmp_path)
    qtbot.mouseClick(screen.save_button, Qt.MouseButton.LeftButton)
    assert not screen.print_button.isEnabled() and not screen.busy_row.isHidden()  # busy at once, not blocked
    await until(lambda: saved and saved[0].exists(), what="report saved")
    await ops_done()
    assert saved[0].name == f"attendance-DT-{YESTERDAY}-to-{DAY}.pdf"
    text = poppler.text(saved[0])
    assert "Attendance by class" in text and "Downtown" in text and "Tumbling" in text and "Ninja" in text
    assert "not synced with the server yet" in text and "1 change made here not yet sent" in text
    assert [s for s in steps if s] == [1, 2, 3]  # three classes laid out, one by one
    assert screen.busy_row.isHidden() and screen.print_button.isEnabled()
    assert told == [(f"Report saved as {saved[0].name}", "ok")]


async def test_student_history_needs_a_student_picked_by_name(qtbot, desk, tmp_path: Path):
    store, demo = desk
    await store.mark_attendance(demo.ids["sess_tumbling"], demo.ids["zoe"], "late")
    screen, _ = screen_for(qtbot, store)
    screen.kind.setCurrentIndex(1)
    assert not screen.student_row.isHidden()
    saved = saving_to(screen, tmp_path)
    qtbot.mouseClick(screen.save_button, Qt.MouseButton.LeftButton)
    assert "Choose a student first" in screen.message.text() and not saved
    qtbot.keyClicks(screen.student, "zoe mu")  # QTest types ASCII only; search ignores accents
    assert screen.hits.count() == 1
    qtbot.keyClick(screen.hits, Qt.Key.Key_Return)
    assert screen.student.text() == "Zoë Müller"
    qtbot.mouseClick(screen.save_button, Qt.MouseButton.LeftButton)
    await until(lambda: saved and saved[0].exists(), what="history saved")
    await ops_done()
    text = poppler.text(saved[0])
    assert "Student attendance history" in text and "Zoë Müller" in text and "Late" in text
    assert saved[0].name.startswith("attendance-history-zoë-müller-")


async def test_a_printer_problem_is_said_in_words_and_save_still_offered(qtbot, desk, tmp_path: Path, monkeypatch):
    store, _ = desk
    lpstat = tmp_path / "lpstat"  # a computer whose spooler has no printer at all
    lpstat.write_text('#!/bin/sh\necho "no system default destination"\n')
    lpstat.chmod(lpstat.stat().st_mode | stat.S_IEXEC)
    (tmp_path / "lp").write_text("#!/bin/sh\nexit 0\n")
    (tmp_path / "lp").chmod(lpstat.stat().st_mode)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    screen, told = screen_for(qtbot, store)
    screen.activate()
    await until(lambda: screen.printer.count() == 1, what="printers listed")
    assert screen.printer.currentText() == "No printer on this computer"
    qtbot.mouseClick(screen.print_button, Qt.MouseButton.LeftButton)
    await until(lambda: told, what="print outcome")
    await ops_done()
    text, tone = told[0]
    assert tone == "red" and "no default printer" in text and "save the report as a PDF" in text
    assert screen.message.text() == text


async def test_f5_opens_reports_from_the_main_window(qtbot, desk):
    store, _ = desk
    window = MainWindow(store, staff_name="Alex", account_name="Springfield Gymnastics", location_code="DT")
    qtbot.addWidget(window)
    window.show()
    window.activateWindow()
    await until(window.isActiveWindow, what="the main window active (shortcuts need it)")
    qtbot.keyClick(window, Qt.Key.Key_F5)
    assert window.current_screen() is window.reports and window.title.text() == "Reports"
    assert window.rail.buttons[window.screens.index(window.reports)].isChecked()
    assert "not synced with the server yet" in window.reports.as_of.text()
    await ops_done()
    window.close()
    await ops_done()


async def test_enrollment_history_and_the_end_of_day_are_made_from_the_desk_data(qtbot, desk, tmp_path: Path):
    store, _demo = desk
    screen, _ = screen_for(qtbot, store)
    screen.kind.setCurrentIndex(screen.kind.findData("enrollments"))
    assert screen.student_row.isVisibleTo(screen) and not screen.start.isVisibleTo(screen)
    saved = saving_to(screen, tmp_path)
    qtbot.keyClicks(screen.student, "zoe mu")
    qtbot.keyClick(screen.hits, Qt.Key.Key_Return)
    qtbot.mouseClick(screen.save_button, Qt.MouseButton.LeftButton)
    await until(lambda: saved and saved[0].exists(), what="enrollments saved")
    await ops_done()
    text = poppler.text(saved[0])
    assert "Student enrollment history" in text and "Zoë Müller" in text and "Still enrolled" in text

    screen.kind.setCurrentIndex(screen.kind.findData("end_of_day"))
    assert not screen.student_row.isVisibleTo(screen) and not screen.start.isVisibleTo(screen) and screen.end.isVisibleTo(screen)
    qtbot.mouseClick(screen.save_button, Qt.MouseButton.LeftButton)
    await until(lambda: len(saved) == 2 and saved[1].exists(), what="end of day saved")
    await ops_done()
    assert "No payments or refunds on this day." in poppler.text(saved[1])
    assert saved[1].name.startswith("end-of-day-DT-")
