"""The Reports screen (F5): pick a report and dates, then save it as a PDF or print it.

Everything slow runs off the UI thread (desk.presenters.reports); a progress bar with Cancel shows
while a long report is laid out. A printer problem is said in words, and Save as PDF still works.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QComboBox, QDateEdit, QFileDialog, QFormLayout, QHBoxLayout, QLineEdit, QListWidget, QListWidgetItem,
    QProgressBar, QPushButton, QVBoxLayout, QWidget,
)

from desk.ops import Op
from desk.presenters.reports import KINDS, NEEDS_STUDENT, NO_DATES, ONE_DAY, Kind, MadeReport, PrintOutcome, ReportsPresenter
from desk.widgets.common import label, set_tone
from printing.printer import PrinterChoice
from sync.views import LocationView

Notify = Callable[[str, str], None]
AskPath = Callable[[str, Callable[[Path], None]], None]


class ReportsScreen(QWidget):
    title = "Reports"

    def __init__(self, presenter: ReportsPresenter, notify: Notify, parent: QWidget | None = None):
        super().__init__(parent)
        self.presenter = presenter
        self.notify = notify
        self.setAccessibleName("Reports")
        self.ask_save_path: AskPath = self._ask_save_path  # tests answer without a dialog
        self._student_id: str | None = None
        self._cancel: threading.Event | None = None
        self._busy = False

        self.kind = QComboBox()
        self.kind.setAccessibleName("Report")
        for key, words in KINDS.items():
            self.kind.addItem(words, key)
        self.kind.currentIndexChanged.connect(self._kind_changed)
        self.start, self.end = QDateEdit(), QDateEdit()
        for edit, name in ((self.start, "From"), (self.end, "To")):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("MMM d, yyyy")
            edit.setAccessibleName(name)
            edit.setMinimumWidth(170)
        self.student = QLineEdit()
        self.student.setPlaceholderText("Type a student's name")
        self.student.setAccessibleName("Student")
        self.student.textEdited.connect(self._search)
        self.hits = QListWidget()
        self.hits.setAccessibleName("Students found")
        self.hits.setMaximumHeight(150)
        self.hits.itemActivated.connect(self._student_chosen)
        self.hits.itemClicked.connect(self._student_chosen)
        self.printer = QComboBox()
        self.printer.setAccessibleName("Printer")
        self.printer.setMinimumWidth(260)

        form = QFormLayout()
        form.setHorizontalSpacing(16)
        form.setVerticalSpacing(10)
        form.addRow("Report", self.kind)
        dates = QHBoxLayout()
        dates.addWidget(self.start)
        self.to_label = label("to", "muted")
        dates.addWidget(self.to_label)
        dates.addWidget(self.end)
        dates.addStretch(1)
        self.dates_row = QWidget()
        dates.setContentsMargins(0, 0, 0, 0)
        self.dates_row.setLayout(dates)
        form.addRow("Dates", self.dates_row)
        self.student_row = QWidget()
        student_box = QVBoxLayout(self.student_row)
        student_box.setContentsMargins(0, 0, 0, 0)
        student_box.addWidget(self.student)
        student_box.addWidget(self.hits)
        form.addRow("Student", self.student_row)
        self._form = form
        form.addRow("Printer", self.printer)

        self.save_button = QPushButton("Save as PDF…")
        self.save_button.setAccessibleName("Save report as PDF")
        self.print_button = QPushButton("Print")
        self.print_button.setObjectName("primary")
        self.print_button.setAccessibleName("Print report")
        self.save_button.clicked.connect(lambda: self.make("save"))
        self.print_button.clicked.connect(lambda: self.make("print"))
        buttons = QHBoxLayout()
        buttons.addWidget(self.print_button)
        buttons.addWidget(self.save_button)
        buttons.addStretch(1)

        self.progress = QProgressBar()
        self.progress.setAccessibleName("Report progress")
        self.progress.setTextVisible(True)
        self.progress.setFormat("Making the report… %p%")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        busy = QHBoxLayout()
        busy.addWidget(self.progress, 1)
        busy.addWidget(self.cancel_button)
        self.busy_row = QWidget()
        self.busy_row.setLayout(busy)
        self.busy_row.setVisible(False)
        self.as_of = label("", "muted", wrap=True)
        self.message = label("", "hint", wrap=True)

        column = QVBoxLayout()
        column.setContentsMargins(32, 24, 32, 24)
        column.setSpacing(14)
        column.addWidget(label("Reports are made from the data on this desk, so they work offline.", "muted", wrap=True))
        column.addLayout(form)
        column.addLayout(buttons)
        column.addWidget(self.busy_row)
        column.addWidget(self.as_of)
        column.addWidget(self.message)
        column.addStretch(1)
        panel = QWidget()
        panel.setLayout(column)
        panel.setMinimumWidth(620)
        outer = QHBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(panel, 0)
        outer.addStretch(1)

        self._set_range(*presenter.default_range())
        self._kind_changed()

    # --- what the main window calls ---------------------------------------------------------
    def activate(self) -> None:
        self.as_of.setText(self.presenter.as_of())
        if self.printer.count() == 0:
            Op(self, self.presenter.printers, doing="listing printers").success(self._show_printers).run()
        self.kind.setFocus()

    def set_location(self, location: LocationView) -> None:
        self.presenter.set_location(location)

    def refresh(self) -> None:
        self.as_of.setText(self.presenter.as_of())

    # --- making a report --------------------------------------------------------------------
    def make(self, then: str) -> None:
        if self._busy:
            return
        kind: Kind = self.kind.currentData()
        start, end = self.start.date().toPython(), self.end.date().toPython()
        problem = self.presenter.check(kind, start, end, self._student_id)
        if problem:
            self._say(problem, "red")
            return
        self._cancel = threading.Event()
        self._set_busy(True)
        factory = lambda: self.presenter.make(kind, start, end, self._student_id, self._progressed, self._cancel)  # noqa: E731
        Op(self, factory, doing="making the report").success(
            lambda made: self._made(made, then)).failure(self._failed).run()

    def cancel(self) -> None:
        if self._cancel is not None:
            self._cancel.set()

    def _progressed(self, done: int, total: int) -> None:
        self.progress.setMaximum(max(total, 1))
        self.progress.setValue(done)

    def _made(self, made: MadeReport | None, then: str) -> None:
        self._set_busy(False)
        if made is None:
            self._say("Report cancelled.", "blue")
            return
        self.as_of.setText(made.as_of)
        if then == "save":
            self.ask_save_path(made.file_name, lambda path: self._save(made, path))
        else:
            self._say("Sending to the printer…", "blue")
            Op(self, lambda: self.presenter.print(made, self.printer.currentData()), doing="printing the report").success(
                self._printed).run()

    def _failed(self, _exc: BaseException) -> None:
        self._set_busy(False)  # show_error says what happened

    def _save(self, made: MadeReport, path: Path) -> None:
        saved = self.presenter.save(made, path)
        self._say(f"Saved {saved.name}.", "ok")
        self.notify(f"Report saved as {saved.name}", "ok")

    def _printed(self, outcome: PrintOutcome) -> None:
        self._say(outcome.message, "ok" if outcome.ok else "red")
        self.notify(outcome.message, "ok" if outcome.ok else "red")

    # --- small parts ------------------------------------------------------------------------
    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.busy_row.setVisible(busy)
        self.progress.setMaximum(0)  # busy until the first section is laid out
        self.progress.setValue(0)
        for widget in (self.print_button, self.save_button, self.kind):
            widget.setEnabled(not busy)

    def _say(self, text: str, tone: str) -> None:
        self.message.setText(text)
        set_tone(self.message, tone)

    def _set_range(self, start, end) -> None:  # noqa: ANN001 - dates
        self.start.setDate(QDate(start.year, start.month, start.day))
        self.end.setDate(QDate(end.year, end.month, end.day))

    def _kind_changed(self) -> None:
        kind = self.kind.currentData()
        self._form.setRowVisible(self.student_row, kind in NEEDS_STUDENT)  # the label goes too
        self._form.setRowVisible(self.dates_row, kind not in NO_DATES)  # (shows the row's widgets again)
        for widget in (self.start, self.to_label):  # a day's report is made for the "to" date
            widget.setVisible(kind not in ONE_DAY)

    def _search(self, text: str) -> None:
        self._student_id = None
        self.hits.clear()
        for hit in self.presenter.search_students(text):
            item = QListWidgetItem(f"{hit.full_name}  ·  {hit.family_name} family")
            item.setData(Qt.ItemDataRole.UserRole, hit.id)
            self.hits.addItem(item)
        if self.hits.count():
            self.hits.setCurrentRow(0)

    def _student_chosen(self, item: QListWidgetItem) -> None:
        self._student_id = item.data(Qt.ItemDataRole.UserRole)
        self.student.setText(item.text().split("  ·  ")[0])
        self.hits.clear()

    def _show_printers(self, printers: list[PrinterChoice]) -> None:
        self.printer.clear()
        if not printers:
            self.printer.addItem("No printer on this computer", None)
            return
        for choice in printers:
            self.printer.addItem(choice.label(), choice.name)

    def _ask_save_path(self, file_name: str, done: Callable[[Path], None]) -> None:
        dialog = QFileDialog(self, "Save report as PDF", str(Path.home() / file_name), "PDF files (*.pdf)")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix("pdf")
        dialog.fileSelected.connect(lambda path: done(Path(path)))
        dialog.open()  # not exec(): a nested loop would stall the asyncio tasks on Qt's loop


__all__ = ["ReportsScreen"]
