"""Small building blocks shared by the screens: labels with a style role, alert chips, avatars."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

from sync.views import AlertView

ALERT_WORDS = {"medical": "Medical", "allergy": "Allergy", "waiver": "Waiver", "balance": "Balance due",
               "note": "Note", "birthday": "Birthday", "kiosk": "See the front desk"}


def label(text: str = "", role: str = "", parent: QWidget | None = None, wrap: bool = False) -> QLabel:
    """A QLabel whose objectName picks its look in desk.qss (`#studentName`, `#muted`...)."""
    widget = QLabel(text, parent)
    if role:
        widget.setObjectName(role)
    widget.setWordWrap(wrap)
    widget.setTextFormat(Qt.TextFormat.PlainText)  # names come from data: never render them as HTML
    return widget


def set_tone(widget: QWidget, tone: str) -> None:
    """Switch a `[tone=...]` style and make Qt re-read the style sheet for it."""
    if widget.property("tone") == tone:
        return
    widget.setProperty("tone", tone)
    widget.style().unpolish(widget)
    widget.style().polish(widget)


def chip(alert: AlertView, short: bool = False) -> QLabel:
    kind = ALERT_WORDS.get(alert.kind, alert.kind.title())
    text = kind if short or not alert.text else f"{kind}: {alert.text}"
    widget = label(text, "chip")
    widget.setProperty("tone", alert.severity)
    widget.setToolTip(alert.text or kind)
    widget.setAccessibleName(f"Alert, {alert.severity}: {text}")
    return widget


class Avatar(QLabel):
    """Initials in a circle: the photo's place until students have photos."""

    def __init__(self, size: int = 88, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("avatar")
        self.setFixedSize(size, size)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setStyleSheet(f"border-radius: {size // 2}px;")
        self.setAccessibleName("Photo")

    def show_initials(self, initials: str, name: str) -> None:
        self.setText(initials)
        self.setAccessibleName(f"Photo of {name}")
