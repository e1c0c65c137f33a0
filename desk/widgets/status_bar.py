"""The status bar: sync state in fixed words (desk.presenters.status), and what needs attention."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QPushButton, QStatusBar, QWidget

from desk.presenters.status import StatusLine, describe
from desk.widgets.common import set_tone
from sync.views import SyncStatus


class DeskStatusBar(QStatusBar):
    attention_clicked = Signal()
    swiper_clicked = Signal()  # opens the swiper's settings and "test your swiper"

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setSizeGripEnabled(False)
        self.sync_label = QLabel()
        self.sync_label.setObjectName("syncStatus")
        self.attention = QPushButton()
        self.attention.setObjectName("attention")
        self.attention.setAccessibleName("Needs attention")
        self.attention.clicked.connect(self.attention_clicked)
        self.attention.hide()
        self.addWidget(self.sync_label)  # left, where the eye lands first
        self.addPermanentWidget(self.attention)
        self.swiper = QPushButton()
        self.swiper.setObjectName("swiperStatus")
        self.swiper.setFlat(True)
        self.swiper.clicked.connect(self.swiper_clicked)
        self.swiper.hide()  # until a swiper is set up (desk.app installs the keyboard-mode one)
        self.addPermanentWidget(self.swiper)
        self.line: StatusLine | None = None

    def show_status(self, status: SyncStatus) -> None:
        line = describe(status)
        self.line = line
        self.sync_label.setText(line.text)
        self.sync_label.setToolTip(line.tooltip)
        self.sync_label.setAccessibleName(f"Sync: {line.text}")
        set_tone(self.sync_label, line.tone)
        self.attention.setText(line.attention)
        self.attention.setToolTip("Changes the server refused. Click to see them.")
        self.attention.setVisible(bool(line.attention))

    def show_swiper(self, text: str, tooltip: str, tone: str = "neutral") -> None:
        self.swiper.setText(text)
        self.swiper.setToolTip(tooltip)
        self.swiper.setAccessibleName(tooltip)
        set_tone(self.swiper, tone)
        self.swiper.show()

    def text(self) -> str:
        """Everything the bar says, as one line (what staff read, and what tests check)."""
        return " · ".join(t for t in (self.sync_label.text(), self.attention.text() if not self.attention.isHidden() else "") if t)
