"""The tables of the Import screen: which column holds what, how each is read, and the rows with a problem.

Thin: they show what desk.presenters.imports gives them and hand back what the person chose.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QHeaderView, QTableWidget, QTableWidgetItem

from desk.presenters.imports import ColumnLine, MappingRow, ProblemLine

NOT_IN_FILE = "— not in this file —"


def _headed(table: QTableWidget, labels: list[str], stretch: int, name: str) -> None:
    """Column titles, every column as wide as its text but `stretch`, which takes the rest; read-only."""
    table.setHorizontalHeaderLabels(labels)
    header = table.horizontalHeader()
    for col in range(len(labels)):
        header.setSectionResizeMode(col, QHeaderView.ResizeMode.Stretch if col == stretch else QHeaderView.ResizeMode.ResizeToContents)
    table.verticalHeader().hide()
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    table.setAccessibleName(name)


class MappingTable(QTableWidget):
    """One row per field: its words, a choice of the file's columns, and what the first row holds there."""

    def __init__(self, on_change: Callable[[str, str | None], None]):
        super().__init__(0, 3)
        self.on_change = on_change
        _headed(self, ["What it is", "Column in the file", "First row holds"], 2, "Columns of the file")
        self.verticalHeader().setDefaultSectionSize(44)  # a combo box is 36 px high (desk.qss)
        self.boxes: dict[str, QComboBox] = {}

    def show_rows(self, rows: list[MappingRow], headers: list[str]) -> None:
        self.setRowCount(len(rows))
        self.boxes = {}
        for i, row in enumerate(rows):
            self.setItem(i, 0, QTableWidgetItem(row.label))
            box = QComboBox()
            box.setAccessibleName(f"Column for {row.label}")
            box.setMinimumWidth(220)
            box.addItem(NOT_IN_FILE, None)
            for h in headers:
                box.addItem(h, h)
            box.setCurrentIndex(headers.index(row.header) + 1 if row.header in headers else 0)
            box.currentIndexChanged.connect(lambda _i, f=row.field, b=box: self._chosen(f, b))
            self.setCellWidget(i, 1, box)
            self.boxes[row.field] = box
            self.setItem(i, 2, QTableWidgetItem(row.sample))

    def _chosen(self, field: str, box: QComboBox) -> None:
        self.on_change(field, box.currentData())

    def show_samples(self, rows: list[MappingRow]) -> None:
        for i, row in enumerate(rows):
            self.item(i, 2).setText(row.sample)


class ColumnsTable(QTableWidget):
    """After a check: every column of the file, what it will be read as in words, and three values it holds."""

    def __init__(self) -> None:
        super().__init__(0, 3)
        _headed(self, ["Column in the file", "Read as", "For example"], 1, "How each column is read")
        self.setWordWrap(True)
        self.lines: list[ColumnLine] = []

    def show_lines(self, lines: list[ColumnLine]) -> None:
        self.lines = lines
        self.setRowCount(len(lines))
        for i, line in enumerate(lines):
            for col, text in enumerate((line.header, line.reads_as, line.samples)):
                self.setItem(i, col, QTableWidgetItem(text))


class ProblemsTable(QTableWidget):
    """Row, column, what is wrong, the value (type over it to fix it), and Skip."""

    COLUMNS = ("Row", "Column", "Problem", "Value (type to fix)", "Skip")

    def __init__(self, on_fix: Callable[[int, str, str], None], on_skip: Callable[[int, bool], None]):
        super().__init__(0, len(self.COLUMNS))
        self.on_fix, self.on_skip = on_fix, on_skip
        self.setHorizontalHeaderLabels(list(self.COLUMNS))
        header = self.horizontalHeader()
        for col in (0, 1, 3, 4):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.verticalHeader().hide()
        self.setWordWrap(True)
        self.setAccessibleName("Rows with a problem")
        self.lines: list[ProblemLine] = []
        self._filling = False
        self.itemChanged.connect(self._changed)

    def show_lines(self, lines: list[ProblemLine]) -> None:
        self._filling = True
        self.lines = lines
        self.setRowCount(len(lines))
        for i, line in enumerate(lines):
            cells = [str(line.row), line.column or "whole row", line.message]
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                if not line.error:
                    item.setToolTip("A warning: the row is imported, this part is left out.")
                self.setItem(i, col, item)
            value = QTableWidgetItem(line.fixed if line.fixed is not None else line.value)
            if line.field is None or not (line.error or line.value):  # a bad value left out can still be typed over
                value.setFlags(value.flags() & ~Qt.ItemFlag.ItemIsEditable)
            self.setItem(i, 3, value)
            skip = QTableWidgetItem()
            skip.setFlags((skip.flags() | Qt.ItemFlag.ItemIsUserCheckable) & ~Qt.ItemFlag.ItemIsEditable)
            skip.setCheckState(Qt.CheckState.Checked if line.skipped else Qt.CheckState.Unchecked)
            skip.setData(Qt.ItemDataRole.AccessibleTextRole, f"Skip row {line.row}")
            self.setItem(i, 4, skip)
        self.resizeRowsToContents()
        self._filling = False

    def _changed(self, item: QTableWidgetItem) -> None:
        if self._filling:
            return
        line = self.lines[item.row()]
        if item.column() == 4:
            self.on_skip(line.row, item.checkState() == Qt.CheckState.Checked)
        elif item.column() == 3 and line.field is not None:
            self.on_fix(line.row, line.field, item.text())
