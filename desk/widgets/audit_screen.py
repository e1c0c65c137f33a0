"""The audit log at the desk (managers): each entry in a plain sentence, times on the location's clock;
filter by staff, date, record and action; export to CSV (every field in full)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QComboBox, QDateEdit, QFileDialog, QHBoxLayout, QHeaderView, QLineEdit, QPushButton, QTableWidget, QTableWidgetItem,
    QVBoxLayout, QWidget,
)

from desk.ops import Op
from desk.presenters.audit_log import ACTION_FILTERS, COLUMNS, day_start, export_csv, row
from desk.widgets.common import label
from sync.staff_client import StaffApi
from sync.core.wire_staff import AuditEntry, AuditPage

PAGE = 200


class AuditScreen(QWidget):
    title = "Audit log"

    def __init__(self, api: StaffApi, notify: Callable[[str, str], None], timezone: str = "UTC"):
        super().__init__()
        self.api = api
        self.notify = notify
        self.timezone = timezone  # the location's: days and times are its
        self.entries: list[AuditEntry] = []
        self.next_before: str | None = None

        self.staff = QComboBox()
        self.staff.setAccessibleName("Staff member")
        self.staff.addItem("Anyone", "")
        self.action = QComboBox()
        self.action.setAccessibleName("Action")
        for words, value in ACTION_FILTERS.items():
            self.action.addItem(words, value)
        self.record = QLineEdit()
        self.record.setPlaceholderText("Record id")
        self.record.setAccessibleName("Record id")
        today = QDate.currentDate()
        self.since = QDateEdit(today.addDays(-7))
        self.until = QDateEdit(today)
        for d, name in ((self.since, "From date"), (self.until, "To date")):
            d.setCalendarPopup(True)
            d.setAccessibleName(name)
        self.search = QPushButton("Show")
        self.search.setObjectName("primary")
        self.search.clicked.connect(lambda: self.reload())
        self.more = QPushButton("Older entries")
        self.more.clicked.connect(lambda: self.load_more())
        self.export = QPushButton("Export CSV…")
        self.export.clicked.connect(self._export_clicked)

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)  # days and sentences read whole
        header.setSectionResizeMode(len(COLUMNS) - 1, QHeaderView.ResizeMode.Stretch)
        self.table.setWordWrap(True)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.count = label("", "muted")

        filters = QHBoxLayout()
        for text, w in (("Staff", self.staff), ("Action", self.action), ("From", self.since), ("To", self.until)):
            filters.addWidget(label(text, "muted"))
            filters.addWidget(w)
        filters.addWidget(self.record, 1)
        filters.addWidget(self.search)
        bottom = QHBoxLayout()
        bottom.addWidget(self.count, 1)
        bottom.addWidget(self.more)
        bottom.addWidget(self.export)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 16, 24, 16)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)
        layout.addLayout(bottom)

    # --- the screen contract of the main window ---------------------------------------------
    def activate(self) -> None:
        Op(self, self.reload, doing="loading the audit log").run()

    def refresh(self) -> None:
        pass  # the log is read from the server when asked, not from the desk's cache

    def set_location(self, location) -> None:
        self.timezone = location.timezone
        if self.entries:
            self._show()

    # --- work --------------------------------------------------------------------------------
    def _filters(self) -> dict:
        until = self.until.date().toPython() + dt.timedelta(days=1)
        return {
            "staff_id": self.staff.currentData() or None,
            "action": self.action.currentData() or None,
            "record_id": self.record.text().strip() or None,
            "since": day_start(self.since.date().toPython(), self.timezone),
            "until": day_start(until, self.timezone),
        }

    async def reload(self) -> AuditPage:
        await self._load_staff()
        page = await self.api.audit(**self._filters(), limit=PAGE)
        self.entries = list(page.events)
        self.next_before = page.next_before
        self._show()
        return page

    async def load_more(self) -> None:
        if self.next_before is None:
            return
        page = await self.api.audit(**self._filters(), before=self.next_before, limit=PAGE)
        self.entries += page.events
        self.next_before = page.next_before
        self._show()

    async def _load_staff(self) -> None:
        if self.staff.count() > 1:
            return
        try:
            people = await self.api.list_staff()
        except Exception:
            return  # audit.view without staff.manage: filter by staff from the entries' own names
        for p in people:
            self.staff.addItem(p.display_name, p.id)

    def _show(self) -> None:
        self.table.setRowCount(len(self.entries))
        for r, entry in enumerate(self.entries):
            for c, text in enumerate(row(entry, self.timezone)):
                self.table.setItem(r, c, QTableWidgetItem(text))
        more = " (more are older)" if self.next_before else ""
        self.count.setText(f"{len(self.entries)} entries{more}")
        self.more.setEnabled(self.next_before is not None)

    def export_to(self, path: Path) -> int:
        n = export_csv(self.entries, path)
        self.notify(f"Exported {n} audit entries to {Path(path).name}", "ok")
        return n

    def _export_clicked(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export the audit log", "audit-log.csv", "CSV files (*.csv)")
        if path:
            self.export_to(Path(path))
