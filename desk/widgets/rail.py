"""The left rail: the screens and their keys, and a count where it matters."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QButtonGroup, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from desk.widgets.common import label


class RailButton(QPushButton):
    def __init__(self, text: str, key: str):
        super().__init__()
        self.setCheckable(True)
        self.setAccessibleName(f"{text} ({key})")
        self.setToolTip(f"{text} — {key}")
        row = QHBoxLayout(self)
        row.setContentsMargins(16, 0, 12, 0)
        self.name = label(text)
        self.count = label("", "sessionCounts")
        self.key = label(key, "muted")
        for part in (self.name, self.count, self.key):
            part.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
            part.setStyleSheet("background: transparent;")
        row.addWidget(self.name, 1)
        row.addWidget(self.count)
        row.addWidget(self.key)
        self.setMinimumHeight(46)

    def set_count(self, count: int, what: str) -> None:
        self.count.setText(str(count) if count else "")
        self.count.setToolTip(what)


class Rail(QWidget):
    chosen = Signal(int)

    def __init__(self, account_name: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("rail")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self.setFixedWidth(220)
        self.group = QButtonGroup(self)
        self.group.setExclusive(True)
        self.group.idClicked.connect(self.chosen)
        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(10, 6, 10, 12)
        self.layout_.setSpacing(4)
        brand = label("Frontdesk", "railBrand")
        self.layout_.addWidget(brand)
        account = label(account_name, "muted", wrap=True)
        account.setContentsMargins(16, 0, 0, 12)
        self.layout_.addWidget(account)
        self.buttons: list[RailButton] = []
        self.layout_.addStretch(1)

    def add(self, text: str, key: str) -> RailButton:
        button = RailButton(text, key)
        self.group.addButton(button, len(self.buttons))
        self.layout_.insertWidget(2 + len(self.buttons), button)
        self.buttons.append(button)
        return button

    def select(self, index: int) -> None:
        self.buttons[index].setChecked(True)
