"""The Import screen (managers, permission data.import): bring the families in from the previous
software, and take everything out again.

Choose a file; check the columns we guessed; Check the file shows what would be created or
matched and every row with a problem (type over a value to fix it, or tick Skip); Import runs as
one job on the server with a progress bar and Cancel (nothing is written if cancelled). Export
saves a ZIP of every record as CSV files or an Excel workbook. All of it needs the server.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QFileDialog, QHBoxLayout, QProgressBar, QPushButton, QSplitter, QTabWidget, QVBoxLayout, QWidget,
)
from PySide6.QtCore import Qt

from desk.ops import Op
from desk.presenters.imports import ACCEPT_WORDS, BALANCE_PER, DATE_ORDERS, MONEY_READS, ImportPresenter
from desk.widgets.common import label, set_tone
from desk.widgets.import_tables import ColumnsTable, MappingTable, ProblemsTable
from sync.views import LocationView
from sync.core.wire_imports import JobStatus, PreviewAnswer, UploadAnswer

Notify = Callable[[str, str], None]
AskPath = Callable[[Callable[[Path], None]], None]
FILE_TYPES = "Spreadsheets (*.csv *.txt *.xlsx *.zip);;All files (*)"


class ImportScreen(QWidget):
    title = "Import"

    def __init__(self, presenter: ImportPresenter, notify: Notify, parent: QWidget | None = None):
        super().__init__(parent)
        self.presenter = presenter
        self.notify = notify
        self.setAccessibleName("Import and export")
        self.ask_open_path: AskPath = self._ask_open_path  # tests answer without a dialog
        self.ask_save_path: Callable[[str, Callable[[Path], None]], None] = self._ask_save_path
        self._busy = threading.Event()

        self.choose_button = QPushButton("Choose file…")
        self.choose_button.setAccessibleName("Choose a file to import")
        self.choose_button.clicked.connect(self.choose)
        self.file_label = label(presenter.file_words(), "muted", wrap=True)
        self.mapping = MappingTable(self._column_chosen)
        self.date_order = QComboBox()
        self.date_order.setAccessibleName("How birth dates are written")
        for key, words in DATE_ORDERS.items():
            self.date_order.addItem(words, key)
        self.date_order.currentIndexChanged.connect(lambda _i: self._changed(self.presenter.set_date_order(self.date_order.currentData())))
        self.money_reads = self._choice("How the money column is read", MONEY_READS, self.presenter.set_money_reads)
        self.balance_per = self._choice("Balances per family or per person", BALANCE_PER, self.presenter.set_balance_per)
        for box in (self.date_order, self.money_reads, self.balance_per):
            # Sized to a short text, not the longest choice: the screen fits 1366 wide beside the rail.
            box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            box.setMinimumContentsLength(14)
        self.stop_on_bad = QCheckBox("Stop on values that cannot be read")
        self.stop_on_bad.setAccessibleName("Stop on values that cannot be read")
        self.stop_on_bad.toggled.connect(lambda on: self._changed(self.presenter.set_stop_on_bad_values(on)))
        self.check_button = QPushButton("Check the file")
        self.check_button.setAccessibleName("Check the file")
        self.check_button.clicked.connect(self.check)
        self.summary = label("", "hint", wrap=True)
        self.summary.setVisible(False)
        self.problems = ProblemsTable(self._fixed, self._skipped)
        self.columns = ColumnsTable()
        self.accept_button = QPushButton(ACCEPT_WORDS)
        self.accept_button.setAccessibleName(ACCEPT_WORDS)
        self.accept_button.setToolTip("Values that cannot be read are left out, and rows that cannot be imported at all "
                                      "(no name, a repeated row) are skipped; then the file is checked again.")  # fmt: skip
        self.accept_button.clicked.connect(self.accept_problems)
        self.classes_button = QPushButton("Set up the missing classes")
        self.classes_button.setAccessibleName("Set up the missing classes")
        self.classes_button.setToolTip("The classes the file names with a day and time are made first, at this location, "
                                       "by the import itself; then the file is checked again.")  # fmt: skip
        self.classes_button.clicked.connect(self.create_classes)
        self.import_button = QPushButton("Import")
        self.import_button.setObjectName("primary")
        self.import_button.setAccessibleName("Import the file")
        self.import_button.clicked.connect(self.run)
        self.progress = QProgressBar()
        self.progress.setAccessibleName("Import progress")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setAccessibleName("Cancel the import")
        self.cancel_button.clicked.connect(self.presenter.cancel)
        self.export_format = QComboBox()
        self.export_format.setAccessibleName("Export format")
        self.export_format.addItem("CSV files (a ZIP)", "csv")
        self.export_format.addItem("Excel workbook (in a ZIP)", "xlsx")
        self.export_button = QPushButton("Export everything…")
        self.export_button.setAccessibleName("Export everything")
        self.export_button.clicked.connect(self.export)

        top = QHBoxLayout()
        top.addWidget(self.choose_button)
        top.addWidget(self.file_label, 1)
        top.addWidget(self.export_format)
        top.addWidget(self.export_button)
        dates = QHBoxLayout()
        dates.addWidget(label("Birth dates are written", "muted"))
        dates.addWidget(self.date_order)
        dates.addStretch(1)
        dates.addWidget(self.classes_button)  # beside Check: it checks again, in the row's spare width
        dates.addWidget(self.check_button)
        money = QHBoxLayout()
        money.addWidget(label("Money column", "muted"))
        money.addWidget(self.money_reads)
        money.addWidget(self.balance_per)
        money.addWidget(self.stop_on_bad)
        money.addStretch(1)
        left = QWidget()
        left_box = QVBoxLayout(left)
        left_box.setContentsMargins(0, 0, 0, 0)
        left_box.addWidget(self.mapping, 1)
        left_box.addLayout(dates)
        left_box.addLayout(money)
        right = QWidget()
        right_box = QVBoxLayout(right)
        right_box.setContentsMargins(0, 0, 0, 0)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.problems, "Rows with a problem")
        self.tabs.addTab(self.columns, "How each column is read")
        right_box.addWidget(self.tabs, 1)
        run_row = QHBoxLayout()
        run_row.addWidget(self.accept_button)
        run_row.addWidget(self.import_button)
        run_row.addWidget(self.progress, 1)
        run_row.addWidget(self.cancel_button)
        right_box.addLayout(run_row)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(right)
        split.setSizes([500, 600])
        self.message = label("", "hint", wrap=True)
        column = QVBoxLayout(self)
        column.setContentsMargins(24, 16, 24, 16)
        column.setSpacing(12)
        column.addLayout(top)
        column.addWidget(self.summary)  # full width, above the tables: the preview's words are read first
        column.addWidget(split, 1)
        column.addWidget(self.message)
        self._update()

    # --- what the main window calls -------------------------------------------------------
    def activate(self) -> None:
        self.choose_button.setFocus()

    def set_location(self, location: LocationView) -> None:
        self.presenter.location_id = location.id or None  # opening balances are recorded here

    def refresh(self) -> None:
        pass  # the preview is the server's; a pull changes nothing shown here

    # --- choosing and checking ----------------------------------------------------------------
    def choose(self) -> None:
        self.ask_open_path(self.open_file)

    def open_file(self, path: Path) -> None:
        self._say("Reading the file…", "blue")
        self._set_busy(True)
        Op(self, lambda: self.presenter.choose_file(Path(path)), doing="reading the file").success(
            self._opened).failure(self._failed).run()

    def _opened(self, _answer: UploadAnswer) -> None:
        self._set_busy(False)
        up = self.presenter.upload
        self.file_label.setText(self.presenter.file_words())
        self.mapping.show_rows(self.presenter.mapping_rows(), up.headers if up else [])
        for box in (self.date_order, self.money_reads, self.balance_per):
            box.blockSignals(True)
            box.setCurrentIndex(0)
            box.blockSignals(False)
        self.stop_on_bad.blockSignals(True)
        self.stop_on_bad.setChecked(False)
        self.stop_on_bad.blockSignals(False)
        self.problems.show_lines([])
        self.columns.show_lines([])
        self.summary.setVisible(False)
        self._say("Check the columns, then press Check the file.", "blue")
        self.check()

    def check(self) -> None:
        if self.presenter.upload is None or self._busy.is_set():
            return
        self._set_busy(True)
        self._say("Checking every row…", "blue")
        Op(self, self.presenter.check, doing="checking the file").success(self._checked).failure(self._failed).run()

    def _checked(self, _preview: PreviewAnswer) -> None:
        self._set_busy(False)
        self.summary.setText(self.presenter.summary())
        self.summary.setVisible(True)
        set_tone(self.summary, "ok" if self.presenter.may_import else "amber")
        lines = self.presenter.problem_lines()
        self.problems.show_lines(lines)
        self.columns.show_lines(self.presenter.column_lines())
        more = self.presenter.more_problems()
        if more:
            self._say(f"{more:,} more problems are not listed: fix the file and choose it again.", "amber")
        else:
            self._say("", "blue")
        if self.presenter.asks_date_order():
            self.date_order.setFocus()

    def accept_problems(self) -> None:
        """The one click: bad values left out, rows that cannot be imported skipped, checked again (then Import)."""
        if not self.presenter.may_accept_problems or self._busy.is_set():
            return
        self._set_busy(True)
        self.stop_on_bad.blockSignals(True)
        self.stop_on_bad.setChecked(False)
        self.stop_on_bad.blockSignals(False)
        self._say("Leaving out the bad values and checking again…", "blue")
        Op(self, self.presenter.accept_problems, doing="checking the file").success(self._checked).failure(self._failed).run()

    def create_classes(self) -> None:
        """The one click: the missing classes the file gives a day and time for are made by the import."""
        if not self.presenter.may_create_classes or self._busy.is_set():
            return
        self._set_busy(True)
        self._say("Adding the classes to the import and checking again…", "blue")
        Op(self, self.presenter.create_missing_classes, doing="checking the file").success(self._checked).failure(self._failed).run()

    def _choice(self, name: str, words: dict[str, str], choose: Callable[[str], None]) -> QComboBox:
        box = QComboBox()
        box.setAccessibleName(name)
        for key, text in words.items():
            box.addItem(text, key)
        box.currentIndexChanged.connect(lambda _i: self._changed(choose(box.currentData())))
        return box

    def _column_chosen(self, field: str, header: str | None) -> None:
        self.presenter.set_column(field, header)
        self.mapping.show_samples(self.presenter.mapping_rows())
        self._changed()

    def _fixed(self, row: int, field: str, value: str) -> None:
        self.presenter.fix(row, field, value)
        self._changed()

    def _skipped(self, row: int, skipped: bool) -> None:
        self.presenter.skip(row, skipped)
        self._changed()

    def _changed(self, _ignored: object = None) -> None:
        if self.presenter.upload is not None:
            self._say("Changed: press Check the file again before importing.", "amber")
        self._update()

    # --- the import ---------------------------------------------------------------------------
    def run(self) -> None:
        if not self.presenter.may_import or self._busy.is_set():
            return
        self._set_busy(True, importing=True)
        self._say("Importing…", "blue")
        Op(self, lambda: self.presenter.run(self._progressed), doing="importing").success(self._ran).failure(self._failed).run()

    def _progressed(self, phase: str, done: int, total: int) -> None:
        self.progress.setMaximum(max(total, 1))
        self.progress.setValue(min(done, max(total, 1)))
        self.progress.setFormat(f"{phase}… %p%")

    def _ran(self, job: JobStatus) -> None:
        self._set_busy(False)
        tone = {"done": "ok", "cancelled": "blue"}.get(job.state, "red")
        self._say(job.message, tone)
        self.notify(job.message, "ok" if job.state == "done" else "red")

    # --- export ---------------------------------------------------------------------------------
    def export(self) -> None:
        fmt = self.export_format.currentData()
        self.ask_save_path(self.presenter.export_name(fmt), lambda path: self._export_to(fmt, path))

    def _export_to(self, fmt: str, path: Path) -> None:
        self._set_busy(True)
        self._say("Exporting every record…", "blue")
        Op(self, lambda: self.presenter.export(fmt, Path(path)), doing="exporting").with_progress("Exporting every record…").success(
            self._exported).failure(self._failed).run()  # fmt: skip

    def _exported(self, path: Path) -> None:
        self._set_busy(False)
        self._say(f"Saved {path.name}.", "ok")
        self.notify(f"Export saved as {path.name}", "ok")

    # --- small parts --------------------------------------------------------------------------
    def _failed(self, _exc: BaseException) -> None:
        self._set_busy(False)  # show_error says what happened
        self._say("", "blue")

    def _set_busy(self, busy: bool, importing: bool = False) -> None:
        (self._busy.set if busy else self._busy.clear)()
        self.progress.setVisible(importing and busy)
        self.cancel_button.setVisible(importing and busy)
        if importing and busy:
            self.progress.setMaximum(0)
        self._update()

    def _update(self) -> None:
        busy = self._busy.is_set()
        has_file = self.presenter.upload is not None
        for widget in (self.choose_button, self.export_button, self.mapping, self.date_order, self.problems, self.money_reads,
                       self.balance_per, self.stop_on_bad):  # fmt: skip
            widget.setEnabled(not busy)
        self.accept_button.setEnabled(self.presenter.may_accept_problems and not busy)
        self.classes_button.setVisible(self.presenter.may_create_classes)
        self.classes_button.setEnabled(not busy)
        self.check_button.setEnabled(has_file and not busy)
        self.import_button.setEnabled(self.presenter.may_import and not busy)
        if not busy:
            self.progress.setVisible(False)
            self.cancel_button.setVisible(False)

    def _say(self, text: str, tone: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))
        set_tone(self.message, tone)

    def _ask_open_path(self, done: Callable[[Path], None]) -> None:
        dialog = QFileDialog(self, "Choose the file to import", str(Path.home()), FILE_TYPES)
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.fileSelected.connect(lambda path: done(Path(path)))
        dialog.open()  # not exec(): a nested loop would stall the asyncio tasks on Qt's loop

    def _ask_save_path(self, file_name: str, done: Callable[[Path], None]) -> None:
        dialog = QFileDialog(self, "Save the export", str(Path.home() / file_name), "ZIP files (*.zip)")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix("zip")
        dialog.fileSelected.connect(lambda path: done(Path(path)))
        dialog.open()


__all__ = ["ImportScreen"]
