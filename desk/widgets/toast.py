"""A toast: one line at the bottom of the window that says what just happened, then fades.

It never takes focus (the search field keeps it), and its text stays readable by tests and by
screen readers through the accessible name until the next toast replaces it.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import QApplication, QLabel, QWidget

from desk.widgets.common import set_tone

SHOW_MS = {"ok": 3500, "amber": 5000, "red": 8000}


class Toast(QLabel):
    def __init__(self, host: QWidget):
        super().__init__(host)
        self.setObjectName("toast")
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setWordWrap(True)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setAccessibleName("Message")
        self.hide()
        self._timer = QTimer(self, singleShot=True, timeout=self.hide)
        self.last_text = ""
        host.installEventFilter(self)

    def show_message(self, text: str, tone: str = "ok", beep: bool = False) -> None:
        self.last_text = text
        self.setText(text)
        self.setAccessibleName(text)
        set_tone(self, tone)
        self._place()
        self.show()
        self.raise_()
        self._timer.start(SHOW_MS.get(tone, 4000))
        if beep:
            QApplication.beep()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize and self.isVisible():
            self._place()
        return False

    def _place(self) -> None:
        host = self.parentWidget()
        width = min(760, max(320, host.width() - 80))
        self.setFixedWidth(width)
        self.adjustSize()
        self.move((host.width() - width) // 2, host.height() - self.height() - 28)
