"""The family file's tabs on the Families screen: Students, Guardians and Notes, each a table with
its actions as buttons. Enter (or a double click) on a row edits it; the buttons say their keys.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QBrush, QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desk.theme import color

ROW_HEIGHT = 40
LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter


class FileTab(QWidget):
    """A table of one kind of record, and the buttons that act on it (the selected row, or new)."""

    def __init__(self, name: str, headers: list[str], stretch: int):
        super().__init__()
        self.table = QTableWidget(0, len(headers))
        self.table.setAccessibleName(name)
        self.table.setHorizontalHeaderLabels(headers)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(ROW_HEIGHT)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        for c in range(len(headers)):
            header.setSectionResizeMode(c, QHeaderView.ResizeMode.Stretch if c == stretch else
                                        QHeaderView.ResizeMode.ResizeToContents)
        header.setDefaultAlignment(LEFT)
        self.buttons: dict[str, QPushButton] = {}
        self.bar = QHBoxLayout()
        self.bar.setSpacing(8)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.table, 1)
        box.addLayout(self.bar)
        self._stretched = False
        self._on_row: Callable[[], object] | None = None

    def action(self, key: str, text: str, handler: Callable[[], object], shortcut: str = "",
               on_row: bool = False) -> QPushButton:  # fmt: skip
        """A button (with its key, active while this tab has the focus); `on_row`: Enter and double click too."""
        button = QPushButton(f"{text}   {shortcut}" if shortcut else text)
        button.setAccessibleName(text)
        button.setAutoDefault(False)
        button.clicked.connect(handler)
        self.buttons[key] = button
        self.bar.addWidget(button)
        if shortcut:
            QShortcut(QKeySequence(shortcut), self, activated=handler).setContext(
                Qt.ShortcutContext.WidgetWithChildrenShortcut)  # fmt: skip
        if on_row:
            self._on_row = handler  # Enter on the table itself (keyPress, not a shortcut: only what the table gets)
            self.table.installEventFilter(self)
            self.table.doubleClicked.connect(lambda _index: handler())
        return button

    def eventFilter(self, watched, event) -> bool:
        if (watched is self.table and event.type() == QEvent.Type.KeyPress and self._on_row is not None
                and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)):  # fmt: skip
            self._on_row()
            return True
        return super().eventFilter(watched, event)

    def fill(self, rows: list[tuple[str, list[str]]], muted: set[str] | None = None) -> None:
        """(record id, cells) per row; the selection stays on the same record when it is still there."""
        if not self._stretched:
            self.bar.addStretch(1)
            self._stretched = True
        keep = self.selected()
        self.table.setRowCount(len(rows))
        grey = QBrush(QColor(color("muted")))
        for r, (record_id, cells) in enumerate(rows):
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setTextAlignment(LEFT)
                item.setToolTip(text)
                if c == 0:
                    item.setData(Qt.ItemDataRole.UserRole, record_id)
                if muted and record_id in muted:
                    item.setForeground(grey)
                self.table.setItem(r, c, item)
        if not self.select(keep) and rows:
            self.table.selectRow(0)

    def selected(self) -> str | None:
        rows = self.table.selectionModel().selectedRows()
        item = self.table.item(rows[0].row(), 0) if rows else None
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    def select(self, record_id: str | None) -> bool:
        for r in range(self.table.rowCount()):
            if record_id is not None and self.table.item(r, 0).data(Qt.ItemDataRole.UserRole) == record_id:
                self.table.selectRow(r)
                return True
        return False
