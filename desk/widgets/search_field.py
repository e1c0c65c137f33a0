"""The big search field of the check-in screen: it keeps focus, and turns keys into intents.

Arrows move in the results, Enter picks or checks in, Escape clears, and while a student card is
open the digits 1..9 choose a class (names have no digits, so nothing is lost from typing).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QLineEdit, QWidget

_MOVES = {Qt.Key.Key_Down: 1, Qt.Key.Key_Up: -1, Qt.Key.Key_PageDown: 5, Qt.Key.Key_PageUp: -5}


class SearchField(QLineEdit):
    navigate = Signal(int)
    confirm = Signal()
    cancel = Signal()
    digit = Signal(int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("searchField")
        self.setAccessibleName("Search students")
        self.setPlaceholderText("Type a first or family name…")
        self.digits_choose = False  # set by the screen while a student card is open

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = Qt.Key(event.key())
        if key in _MOVES:
            self.navigate.emit(_MOVES[key])
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.confirm.emit()
        elif key == Qt.Key.Key_Escape:
            self.cancel.emit()
        elif self.digits_choose and Qt.Key.Key_1 <= key <= Qt.Key.Key_9 and not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
            self.digit.emit(key - Qt.Key.Key_0)
        else:
            super().keyPressEvent(event)
            return
        event.accept()
