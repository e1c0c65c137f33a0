"""The lock screen: covers the whole window while the desk is locked, so no family data shows.

It only collects what was typed; desk.idle_lock decides what a PIN or a password does.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFormLayout, QFrame, QLineEdit, QPushButton, QVBoxLayout, QWidget

from desk.widgets.common import label


class LockScreen(QWidget):
    pin_entered = Signal(str)
    password_entered = Signal(str, str)  # username, password (the same person, or a switch of user)
    sign_out_requested = Signal()  # leave the desk signed out, back at the sign-in window

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("lockScreen")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self.setAutoFillBackground(True)
        self.setAccessibleName("Desk locked")

        self.title = label("This desk is locked", "signInTitle")
        self.who = label("", "muted", wrap=True)
        self.pin = QLineEdit()
        self.pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin.setPlaceholderText("PIN")
        self.pin.setAccessibleName("PIN")
        self.pin.setMaxLength(8)
        self.pin.returnPressed.connect(self._pin)
        self.unlock_button = QPushButton("Unlock")
        self.unlock_button.setObjectName("primary")
        self.unlock_button.clicked.connect(self._pin)

        self.username = QLineEdit()
        self.username.setAccessibleName("User name")
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setAccessibleName("Password")
        self.password.returnPressed.connect(self._password)
        self.switch_button = QPushButton("Sign in")
        self.switch_button.clicked.connect(self._password)
        self.sign_out_button = QPushButton("Sign out")
        self.sign_out_button.setAccessibleName("Sign out")
        self.sign_out_button.setToolTip("Sign out of this desk. Work not sent yet stays here and is sent after the next sign-in.")
        self.sign_out_button.clicked.connect(self.sign_out_requested)
        self.message = label("", "signInError", wrap=True)
        self.message.setAccessibleName("Unlock problem")
        self.message.hide()

        card = QFrame()
        card.setObjectName("lockCard")
        card.setMaximumWidth(460)
        box = QVBoxLayout(card)
        box.setContentsMargins(32, 28, 32, 28)
        box.setSpacing(12)
        box.addWidget(self.title)
        box.addWidget(self.who)
        box.addWidget(self.pin)
        box.addWidget(self.unlock_button)
        self.switch_title = label("Switch user, or use your password", "muted")
        box.addSpacing(10)
        box.addWidget(self.switch_title)
        form = QFormLayout()
        for text, field in (("User name", self.username), ("Password", self.password)):
            name = label(text)
            name.setMinimumHeight(field.sizeHint().height())  # read on the field's line, not above it
            name.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
            name.setBuddy(field)
            form.addRow(name, field)
        box.addLayout(form)
        box.addWidget(self.switch_button)
        box.addWidget(self.message)
        box.addSpacing(10)
        box.addWidget(self.sign_out_button)
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        outer.addWidget(card, 0, Qt.AlignmentFlag.AlignHCenter)
        outer.addStretch(2)

    def show_for(self, staff_name: str, username: str, has_pin: bool) -> None:
        self.who.setText(f"Signed in: {staff_name}. " + ("Enter your PIN to carry on." if has_pin else "Enter your password to carry on."))
        self.pin.clear()
        self.password.clear()
        self.username.setText(username)
        self.set_pin_allowed(has_pin)
        self.message.hide()
        (self.pin if has_pin else self.password).setFocus()

    def set_pin_allowed(self, allowed: bool) -> None:
        self.pin.setVisible(allowed)
        self.unlock_button.setVisible(allowed)
        if not allowed:
            self.password.setFocus()

    def say(self, text: str) -> None:
        self.message.setText(text)
        self.message.show()

    def _pin(self) -> None:
        if self.pin.text():
            self.pin_entered.emit(self.pin.text())
            self.pin.clear()

    def _password(self) -> None:
        if self.username.text().strip() and self.password.text():
            self.password_entered.emit(self.username.text().strip(), self.password.text())
            self.password.clear()
