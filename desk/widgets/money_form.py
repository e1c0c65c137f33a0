"""What the money dialogs share: a form with labelled fields, money fields, one line that says what
is wrong (or what happened), and a busy state while the work runs.

A money dialog is its own window, so desk.ops.show_error finds its `show_alert` and says a failure
(a decline, no connection, a refusal) inside the dialog, where staff can fix it and try again.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QDialog, QFormLayout, QLabel, QLineEdit, QPushButton, QWidget

from desk.errors import ErrorReport
from desk.widgets.common import label, set_tone


LABEL_WIDTH = 170


def money_field(name: str, text: str = "") -> QLineEdit:
    """An amount field: typed as 45 / 45.5 / 45.50, right-aligned like money in tables."""
    field = QLineEdit(text)
    field.setObjectName("moneyField")
    field.setAccessibleName(name)
    field.setPlaceholderText("0.00")
    field.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    field.setMaximumWidth(220)
    return field


def text_field(name: str, placeholder: str = "", max_length: int = 200) -> QLineEdit:
    field = QLineEdit()
    field.setAccessibleName(name)
    field.setPlaceholderText(placeholder)
    field.setMaxLength(max_length)
    return field


def add_row(form: QFormLayout, text: str, widget: QWidget) -> QLabel:
    """A form row whose label reads on the field's line and names it for screen readers."""
    name = label(text)
    name.setMinimumHeight(40)
    name.setMinimumWidth(LABEL_WIDTH)  # forms inside forms (a payment method's fields) line up
    name.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    name.setBuddy(widget)
    form.addRow(name, widget)
    return name


class MoneyDialog(QDialog):
    """Base of the money dialogs: `problem` line, busy state, Esc closes unless work is running."""

    def __init__(self, title: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setAccessibleName(title)
        self.setMinimumWidth(560)
        self.busy = False
        self.problem = label("", "formProblem", wrap=True)
        self.problem.setAccessibleName("Message")
        self.problem.hide()
        self.last_failure: BaseException | None = None

    def say(self, text: str, tone: str = "red") -> None:
        """One line under the form: what is wrong (red), a warning (amber), or what happened (ok)."""
        self.problem.setText(text)
        self.problem.setAccessibleName(text or "Message")
        set_tone(self.problem, tone)
        self.problem.setVisible(bool(text))
        if self.isVisible():
            QTimer.singleShot(0, self.fit_height)

    def fit_height(self) -> None:
        """Grow to show every line. Qt sizes a window by its layout's minimum, which undercounts
        wrapped labels (a two-line message, a long hint); their height for this width is what counts."""
        layout = self.layout()
        if layout is None:
            return
        need = layout.totalHeightForWidth(self.width()) if layout.hasHeightForWidth() else layout.totalMinimumSize().height()
        screen = self.screen().availableGeometry() if self.screen() is not None else None
        if screen is not None:
            need = min(need, screen.height() - 40)  # never taller than the screen: the buttons stay on it
        if need <= self.height():
            return
        self.resize(self.width(), need)
        if screen is not None:  # keep it over the window it belongs to, and on the screen
            host = self.parentWidget().window().geometry() if self.parentWidget() is not None else screen
            x = max(screen.left(), min(host.center().x() - self.width() // 2, screen.right() - self.width()))
            y = max(screen.top(), min(host.center().y() - need // 2, screen.bottom() - self.frameGeometry().height()))
            self.move(x, y)

    def showEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        QTimer.singleShot(0, self.fit_height)

    def show_alert(self, report: ErrorReport) -> None:
        """Where desk.ops.show_error puts a failure of this dialog's work: said here, the dialog stays."""
        self.say(f"{report.title}. {report.text}", "red")

    def set_busy(self, busy: bool, button: QPushButton | None = None, text: str = "") -> None:
        self.busy = busy
        if button is not None:
            button.setEnabled(not busy)
            if text:
                button.setText(text)

    def reject(self) -> None:
        if self.busy:
            return  # the money is being taken: closing now would hide the answer
        super().reject()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if self.busy and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Escape):
            event.accept()  # one attempt at a time
            return
        super().keyPressEvent(event)
