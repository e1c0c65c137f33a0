"""Swiper settings: which swiper is in use and its state, a "test your swiper" box, and a warning
when the keyboard layout would garble keyboard-mode swipes. Opened from the status bar's swiper item.

While it is open, swipes come here instead of checking anyone in (desk.swipe_handling).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFrame, QVBoxLayout, QWidget

from desk.presenters.swipes import layout_warning, swiper_test_text
from desk.widgets.common import label, set_tone
from devices.cards import Swipe


class SwiperDialog(QDialog):
    def __init__(self, kind: str, state_text: str, parent: QWidget | None = None, *, locale_name: str | None = None,
                 udev_rule: str = ""):
        super().__init__(parent)
        self.setWindowTitle("Card swiper")
        self.setAccessibleName("Card swiper settings")
        self.setMinimumWidth(520)
        layout = QVBoxLayout(self)
        layout.setSpacing(12)
        layout.addWidget(label("Card swiper", "screenTitle"))
        self.in_use = label("In use: " + ("USB swiper" if kind == "usb" else "keyboard-mode swiper (types like a keyboard)"),
                            wrap=True)
        self.state = label(state_text, "muted", wrap=True)
        layout.addWidget(self.in_use)
        layout.addWidget(self.state)
        self.udev_rule = label(udev_rule, "hint", wrap=True)
        self.udev_rule.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.udev_rule.setVisible(bool(udev_rule))
        layout.addWidget(self.udev_rule)
        locale = locale_name if locale_name is not None else QGuiApplication.inputMethod().locale().name()
        warning = layout_warning(locale) if kind != "usb" else None
        self.layout_warning = label(warning or "", "assignBanner", wrap=True)
        self.layout_warning.setVisible(bool(warning))
        layout.addWidget(self.layout_warning)
        box = QFrame()
        box.setObjectName("classRow")
        inner = QVBoxLayout(box)
        inner.addWidget(label("Test your swiper", "sectionLabel"))
        self.result = label("Swipe any card now. Nothing is recorded and no one is checked in while this is open.",
                            "emptyState", wrap=True)
        self.result.setAccessibleName("Swiper test result")
        inner.addWidget(self.result)
        layout.addWidget(box)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def show_result(self, swipe: Swipe) -> None:
        text, tone = swiper_test_text(swipe)
        self.result.setText(text)
        set_tone(self.result, tone)
