"""The sign-in window: server, account, user name, password; errors said plainly, in place.

It does not sign in itself: `attempt` (from desk.boot) does, through sync/. Failures reach this
window through desk.ops.show_error, which calls `show_alert` on the window that started the work.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent, QKeyEvent
from PySide6.QtWidgets import QFormLayout, QLineEdit, QPushButton, QVBoxLayout, QWidget

from desk.errors import ErrorReport
from desk.ops import Op
from desk.widgets.common import label

# (server, account, username, password), and enrollment_code= when a setup code was entered (desk.boot.SignInFlow)
Attempt = Callable[..., Awaitable[Any]]


class SignInWindow(QWidget):
    signed_in = Signal(object)  # whatever `attempt` returned
    cancelled = Signal()

    def __init__(self, attempt: Attempt, *, server: str = "", account: str = "", username: str = "",
                 error: str = ""):
        super().__init__()
        self.attempt = attempt
        self.setObjectName("signInWindow")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self.setWindowTitle("Frontdesk — sign in")
        self.setAccessibleName("Sign in")
        self.resize(520, 520)
        self._done = False

        self.server = self._field("Server address", server, "https://frontdesk.example.com")
        self.account = self._field("Account", account, "your business's account name")
        self.username = self._field("User name", username, "")
        self.password = self._field("Password", "", "")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        # Shown once the server says this computer is not a desk yet (server.desks): the owner's code sets it up.
        self.setup_code = self._field("Setup code", "", "the code the owner gave you")
        self.error = label("", "signInError", wrap=True)
        self.error.setAccessibleName("Sign-in problem")
        self.error.hide()
        self.notice = label("", "signInNotice", wrap=True)  # e.g. after a sign-out: what stayed on this desk
        self.notice.setAccessibleName("Sign-in notice")
        self.notice.hide()
        self.button = QPushButton("Sign in")
        self.button.setObjectName("primary")
        self.button.setAccessibleName("Sign in")
        self.button.setDefault(True)
        self.button.clicked.connect(self.submit)

        form = QFormLayout()
        form.setVerticalSpacing(12)
        form.setHorizontalSpacing(14)
        for text, field in (("Server", self.server), ("Account", self.account), ("User name", self.username),
                            ("Password", self.password)):
            name = label(text)
            name.setMinimumHeight(field.sizeHint().height())  # read on the field's line, not above it
            name.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
            name.setBuddy(field)
            form.addRow(name, field)
        form.addRow(label("Setup code"), self.setup_code)
        form.setRowVisible(self.setup_code, False)
        self._form = form
        layout = QVBoxLayout(self)
        layout.setContentsMargins(40, 36, 40, 32)
        layout.setSpacing(16)
        layout.addWidget(label("Sign in to Frontdesk", "signInTitle"))
        layout.addWidget(label("Use the user name and password your manager gave you.", "muted", wrap=True))
        layout.addLayout(form)
        layout.addWidget(self.notice)
        layout.addWidget(self.error)
        layout.addWidget(self.button)
        layout.addStretch(1)
        if error:
            self._show_error(error)
        first_empty = next((f for f in (self.server, self.account, self.username, self.password) if not f.text()), None)
        (first_empty or self.password).setFocus()

    def show_centered(self) -> None:
        """Shown in the middle of the screen (a kiosk without a window manager would put it top-left)."""
        self.adjustSize()
        self.resize(max(self.width(), 520), self.height())
        area = self.screen().availableGeometry()
        self.move(area.center() - self.rect().center())
        self.show()
        self.activateWindow()

    def _field(self, name: str, text: str, placeholder: str) -> QLineEdit:
        field = QLineEdit(text)
        field.setAccessibleName(name)
        field.setPlaceholderText(placeholder)
        return field

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.submit()
            return
        super().keyPressEvent(event)

    def submit(self) -> None:
        if not self.button.isEnabled():
            return  # already signing in
        values = [f.text().strip() for f in (self.server, self.account, self.username)] + [self.password.text()]
        missing = [name for name, v in zip(("server address", "account", "user name", "password"), values, strict=True) if not v]
        if missing:
            self._show_error(f"Please fill in the {' and '.join(missing)}.")
            return
        server = values[0] if "://" in values[0] else f"https://{values[0]}"
        self.button.setEnabled(False)
        self.button.setText("Signing in…")
        self.error.hide()
        # Passed only when given, so an attempt without set-up codes keeps its four arguments.
        code = {"enrollment_code": self.setup_code.text().strip()} if self.setup_code.text().strip() else {}
        Op(self, lambda: self.attempt(server, values[1], values[2], values[3], **code), doing="signing in").success(
            self._succeeded
        ).failure(lambda _exc: self._ready_again()).run()

    def _succeeded(self, result: Any) -> None:
        self._done = True
        self.signed_in.emit(result)
        self.close()

    def _ready_again(self) -> None:
        self.button.setEnabled(True)
        self.button.setText("Sign in")
        self.password.selectAll()
        self.password.setFocus()

    def show_alert(self, report: ErrorReport) -> None:
        """Where desk.ops.show_error puts a failure of signing in: under the fields, in plain words."""
        if report.kind == "network":
            text = (f"Can't reach the server at {self.server.text().strip()}. "
                    "Check the server address and this computer's internet connection, then try again.")
        elif report.code in ("desk_enrollment_needed", "desk_refused"):
            text = report.text  # about this computer, not what was typed
            self._form.setRowVisible(self.setup_code, True)
            self.setup_code.setFocus()
        elif report.kind == "auth":
            text = f"{report.text} Check them and try again." if report.text else "Wrong account, user name or password."
        else:
            text = report.text
        self._show_error(text)

    def show_notice(self, text: str) -> None:
        self.notice.setText(text)
        self.notice.setAccessibleDescription(text)
        self.notice.show()

    def _show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setAccessibleDescription(text)
        self.error.show()

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._done:
            self.cancelled.emit()
        super().closeEvent(event)
