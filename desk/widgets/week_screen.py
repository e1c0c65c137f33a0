"""The week view: a location's classes as a grid of days, for "what's on Tuesday for a 6-year-old?".

Type an age, pick a day (or any), type part of a name: the grid follows as you type. Focus
starts in the age field; Tab moves to the day, the search and the grid.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)  # fmt: skip

from desk.presenters.setup import SetUpPresenter, WeekCell
from desk.widgets.common import label
from sync.core.class_times import WEEKDAY_NAMES
from sync.errors import SyncError
from sync.views import LocationView


class WeekScreen(QWidget):
    title = "Week"

    def __init__(self, presenter: SetUpPresenter, notify: Callable[[str, str], None]):
        super().__init__()
        self.presenter, self.notify = presenter, notify
        self.cells: list[WeekCell] = []
        self.age = QLineEdit()
        self.age.setPlaceholderText("Age, e.g. 6")
        self.age.setAccessibleName("Child's age")
        self.age.setMaximumWidth(140)
        self.day = QComboBox()
        self.day.setAccessibleName("Day")
        self.day.addItem("Any day", "")
        for name in WEEKDAY_NAMES:
            self.day.addItem(name, name)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Class, program, coach or room")
        self.search.setAccessibleName("Search classes")
        for w in (self.age, self.day, self.search):
            w.setMinimumHeight(36)
        self.age.textChanged.connect(self.refresh)
        self.search.textChanged.connect(self.refresh)
        self.day.currentIndexChanged.connect(self.refresh)
        self.summary = label("", "muted")
        self.summary.setAccessibleName("What the week shows")
        self.grid = QTableWidget(0, 7)
        self.grid.setAccessibleName("Classes of the week")
        self.grid.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.grid.verticalHeader().hide()
        self.grid.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.grid.horizontalHeader().sectionResized.connect(lambda *_: self._fit_rows())
        self.grid.setWordWrap(True)
        filters = QHBoxLayout()
        filters.addWidget(label("Age", "muted"))
        filters.addWidget(self.age)
        filters.addWidget(label("Day", "muted"))
        filters.addWidget(self.day)
        filters.addWidget(self.search, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 16, 24, 16)
        layout.addLayout(filters)
        layout.addWidget(self.summary)
        layout.addWidget(self.grid, 1)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit_rows()

    def _fit_rows(self) -> None:
        """Wrapped lines follow the columns' width (nothing cut off), with room to read each cell apart."""
        self.grid.resizeRowsToContents()
        for row in range(self.grid.rowCount()):
            self.grid.setRowHeight(row, self.grid.rowHeight(row) + 14)

    def activate(self) -> None:
        self.refresh()
        self.age.setFocus()

    def set_location(self, location: LocationView) -> None:
        self.presenter.set_location(location)
        if self.isVisible():  # a hidden screen reads when it is shown (activate)
            self.refresh()

    def refresh(self) -> None:
        day = self.day.currentData() or ""
        try:
            self.cells = self.presenter.week(self.age.text(), day, self.search.text())
        except SyncError as exc:
            self.summary.setText(exc.message)
            return
        days = sorted({c.weekday for c in self.cells}) if day else list(range(7))
        by_day = {d: [c for c in self.cells if c.weekday == d] for d in days}
        self.grid.clear()
        self.grid.setColumnCount(len(days))
        self.grid.setHorizontalHeaderLabels([WEEKDAY_NAMES[d] for d in days])
        self.grid.setRowCount(max((len(v) for v in by_day.values()), default=0))
        for col, d in enumerate(days):
            for row, cell in enumerate(by_day[d]):
                item = QTableWidgetItem(f"{cell.time}\n{cell.title}\n{cell.detail}")
                item.setToolTip(cell.entry.cls.when)
                item.setData(Qt.ItemDataRole.AccessibleTextRole, f"{WEEKDAY_NAMES[d]} {cell.time}, {cell.title}, {cell.detail}")
                self.grid.setItem(row, col, item)
        self._fit_rows()
        self.summary.setText(self.presenter.week_summary(self.cells, self.age.text(), day))
