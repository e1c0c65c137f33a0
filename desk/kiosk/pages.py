"""The kiosk's pages as thin Qt widgets: they show what desk.kiosk.presenter says and pass taps on.

Touch first: every target is at least 64 px (desk.qss, `#kiosk`), type is large enough to read
from a step back, and nothing on a page names more than a family initial and first names.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from desk.kiosk.presenter import START_PROMPT, START_TITLE, ChildLine, DoneLine
from desk.widgets.common import label, set_tone

TOUCH = 64  # px: the smallest target a finger hits without looking twice


def big_button(text: str, role: str = "kioskButton", accessible: str = "") -> QPushButton:
    button = QPushButton(text)
    button.setObjectName(role)
    button.setMinimumHeight(TOUCH)
    button.setAccessibleName(accessible or text)
    button.setCursor(Qt.CursorShape.PointingHandCursor)
    return button


class NumberPad(QWidget):
    """1-9, then ⌫ 0 Clear: the phone digits and the staff PIN are typed here (or on a keyboard)."""

    digit = Signal(str)
    back = Signal()
    cleared = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("kioskPad")
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(12)
        self.buttons: dict[str, QPushButton] = {}
        keys = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "clear", "0", "back"]
        for i, key in enumerate(keys):
            text = {"clear": "Clear", "back": "⌫"}.get(key, key)
            name = {"clear": "Clear", "back": "Delete the last digit"}.get(key, key)
            button = big_button(text, "kioskKey" if key.isdigit() else "kioskKeyWord", name)
            button.setMinimumSize(104, 80)
            button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # physical keys go to the page, not a key
            if key == "clear":
                button.clicked.connect(self.cleared)
            elif key == "back":
                button.clicked.connect(self.back)
            else:
                button.clicked.connect(lambda _=False, d=key: self.digit.emit(d))
            self.buttons[key] = button
            grid.addWidget(button, i // 3, i % 3)
        for column in range(3):
            grid.setColumnStretch(column, 1)


class DigitBoxes(QWidget):
    """Four boxes filling in as digits come (a PIN shows dots instead)."""

    def __init__(self, count: int, secret: bool = False, parent: QWidget | None = None):
        super().__init__(parent)
        self.secret = secret
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(14)
        self.boxes = []
        for _ in range(count):
            box = label("", "kioskPinDigit" if secret else "kioskDigit")
            box.setAlignment(Qt.AlignmentFlag.AlignCenter)
            box.setFixedSize(76, 92)
            row.addWidget(box)
            self.boxes.append(box)
        row.addStretch(1)
        self.setAccessibleName("PIN typed" if secret else "Digits typed")

    def show_digits(self, digits: str) -> None:
        for i, box in enumerate(self.boxes):
            box.setText(("●" if self.secret else digits[i]) if i < len(digits) else "")
            set_tone(box, "filled" if i < len(digits) else "empty")
        self.setAccessibleDescription(f"{len(digits)} digits typed" if self.secret else digits)


class StartPage(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.title = label(START_TITLE, "kioskTitle")
        self.prompt = label(START_PROMPT, "kioskPrompt", wrap=True)
        self.digits = DigitBoxes(4)
        self.message = label("", "kioskMessage", wrap=True)
        self.message.setAccessibleName("Message")
        self.message.hide()
        self.swipe_hint = label("▭  Have a member card? Swipe it any time.", "kioskHint", wrap=True)
        self.pad = NumberPad()

        left = QVBoxLayout()
        left.setSpacing(18)
        left.addStretch(1)
        left.addWidget(self.title)
        left.addWidget(self.prompt)
        left.addSpacing(8)
        left.addWidget(self.digits)
        left.addWidget(self.message)
        left.addSpacing(8)
        left.addWidget(self.swipe_hint)
        left.addStretch(2)
        body = QHBoxLayout(self)
        body.setContentsMargins(72, 24, 72, 40)
        body.setSpacing(64)
        body.addLayout(left, 5)
        pad_column = QVBoxLayout()
        pad_column.addStretch(1)
        pad_column.addWidget(self.pad)
        pad_column.addStretch(1)
        self.pad.setMaximumSize(540, 580)
        body.addLayout(pad_column, 4)

    def show_state(self, digits: str, message: str) -> None:
        self.digits.show_digits(digits)
        self.message.setText(message)
        self.message.setVisible(bool(message))


class FamiliesPage(QWidget):
    picked = Signal(int)
    start_over = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.title = label("Which family are you?", "kioskTitle")
        self.prompt = label("Several families share those digits. Tap yours.", "kioskPrompt", wrap=True)
        self.list_box = QVBoxLayout()
        self.list_box.setSpacing(14)
        self.buttons: list[QPushButton] = []
        self.back_button = big_button("Start over", "kioskButton")
        self.back_button.clicked.connect(self.start_over)
        box = QVBoxLayout(self)
        box.setContentsMargins(72, 24, 72, 40)
        box.setSpacing(18)
        box.addWidget(self.title)
        box.addWidget(self.prompt)
        box.addSpacing(10)
        box.addLayout(self.list_box)
        box.addStretch(1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.back_button)
        bottom.addStretch(1)
        box.addLayout(bottom)

    def show_families(self, labels: list[str]) -> None:
        if labels == [b.text() for b in self.buttons]:
            return  # the same families: the buttons stay (one may be the one being tapped)
        for b in self.buttons:
            b.hide()
            b.deleteLater()
        self.buttons = []
        for i, text in enumerate(labels):
            button = big_button(text, "kioskFamily")
            button.setMinimumHeight(84)
            button.clicked.connect(lambda _=False, n=i: self.picked.emit(n))
            self.list_box.addWidget(button)
            button.show()  # at once: a layout shows a new child of a visible page only later
            self.buttons.append(button)


class ChildRow(QFrame):
    """One child: a big toggle with their first name, then their classes today (or why not)."""

    toggled = Signal(str)  # student id
    class_chosen = Signal(str, str)  # student id, session id

    def __init__(self, child: ChildLine, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("kioskChild")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self.child = child
        self.toggle = big_button(child.first_name, "kioskChildToggle", f"{child.first_name}: checking in")
        self.toggle.setCheckable(True)
        self.toggle.setMinimumSize(240, 88)
        self.toggle.setEnabled(child.selectable)
        self.toggle.clicked.connect(lambda _=False: self.toggled.emit(child.student_id))
        row = QHBoxLayout(self)
        row.setContentsMargins(16, 14, 16, 14)
        row.setSpacing(16)
        row.addWidget(self.toggle, 0, Qt.AlignmentFlag.AlignTop)
        self.class_buttons: dict[str, QPushButton] = {}
        self.note = label(child.note, "kioskChildNote", wrap=True)
        set_tone(self.note, "amber" if child.blocked else "muted")
        classes = QHBoxLayout()
        classes.setSpacing(12)
        if child.blocked:
            classes.addWidget(self.note, 1)  # the classes are not offered at all: the desk decides
        else:
            for option in child.options:
                text = f"{option.time}  ·  {option.title}\n{option.note}"
                button = big_button(text, "kioskClass", f"{option.title} at {option.time}. {option.note}")
                button.setCheckable(True)
                button.setMinimumHeight(88)
                button.setEnabled(option.selectable)
                button.setProperty("state", option.state.value)
                button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
                button.setMaximumWidth(520)  # a class reads as one card, not a bar across the screen
                button.clicked.connect(lambda _=False, sid=option.session_id: self.class_chosen.emit(child.student_id, sid))
                classes.addWidget(button, 1)
                self.class_buttons[option.session_id] = button
            if child.note:
                classes.addWidget(self.note, 1)
            else:
                self.note.hide()
                classes.addStretch(1)
        row.addLayout(classes, 1)

    def show_choice(self, session_id: str | None) -> None:
        chosen = session_id is not None
        self.toggle.setChecked(chosen)
        self.toggle.setText(f"✓  {self.child.first_name}" if chosen else self.child.first_name)
        self.toggle.setAccessibleName(f"{self.child.first_name}: {'checking in' if chosen else 'not checking in'}")
        for sid, button in self.class_buttons.items():
            button.setChecked(sid == session_id)


class ChildrenPage(QWidget):
    toggled = Signal(str)
    class_chosen = Signal(str, str)
    check_in = Signal()
    start_over = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.title = label("Who is checking in?", "kioskTitle")
        self.prompt = label("Tap each child who is here, then Check in.", "kioskPrompt", wrap=True)
        self.note = label("", "kioskMessage", wrap=True)
        self.note.hide()
        self.rows: list[ChildRow] = []
        self._shown: list[ChildLine] | None = None
        inner = QWidget()
        inner.setObjectName("kioskChildren")
        self.rows_box = QVBoxLayout(inner)
        self.rows_box.setContentsMargins(0, 0, 0, 0)
        self.rows_box.setSpacing(14)
        self.rows_box.addStretch(1)
        scroll = QScrollArea()
        scroll.setObjectName("kioskScroll")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(inner)
        self.back_button = big_button("Start over", "kioskButton")
        self.back_button.clicked.connect(self.start_over)
        self.check_in_button = big_button("Check in", "kioskPrimary")
        self.check_in_button.setMinimumWidth(360)
        self.check_in_button.clicked.connect(self.check_in)
        box = QVBoxLayout(self)
        box.setContentsMargins(72, 16, 72, 28)
        box.setSpacing(14)
        box.addWidget(self.title)
        box.addWidget(self.prompt)
        box.addWidget(self.note)
        box.addWidget(scroll, 1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.back_button)
        bottom.addStretch(1)
        bottom.addWidget(self.check_in_button)
        box.addLayout(bottom)

    def show_children(self, children: list[ChildLine], chosen: dict[str, str], note: str, button_text: str,
                      ready: bool) -> None:
        if children != self._shown:  # rebuilt only when the children or their classes changed
            for row in self.rows:
                row.hide()
                row.deleteLater()  # later: a row's own button may be the one being clicked
            self.rows = []
            for child in children:
                row = ChildRow(child)
                row.toggled.connect(self.toggled)
                row.class_chosen.connect(self.class_chosen)
                self.rows_box.insertWidget(self.rows_box.count() - 1, row)
                row.show()
                self.rows.append(row)
            self._shown = list(children)
        for row in self.rows:
            row.show_choice(chosen.get(row.child.student_id))
        self.note.setText(note)
        self.note.setVisible(bool(note))
        self.check_in_button.setText(button_text)
        self.check_in_button.setAccessibleName(button_text)
        self.check_in_button.setEnabled(ready)

    def forget(self) -> None:
        """Leaving the page: the next family's rows are built afresh."""
        self._shown = None
        for row in self.rows:
            row.hide()
            row.deleteLater()
        self.rows = []


class DonePage(QWidget):
    finished = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.title = label("", "kioskTitle")
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.lines_box = QVBoxLayout()
        self.lines_box.setSpacing(10)
        self.lines: list = []
        self.bye = label("Have a great class!", "kioskPrompt")
        self.bye.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.done_button = big_button("Done", "kioskPrimary")
        self.done_button.setMinimumWidth(260)
        self.done_button.clicked.connect(self.finished)
        box = QVBoxLayout(self)
        box.setContentsMargins(72, 24, 72, 40)
        box.setSpacing(22)
        box.addStretch(1)
        box.addWidget(self.title)
        box.addLayout(self.lines_box)
        box.addWidget(self.bye)
        box.addSpacing(12)
        box.addWidget(self.done_button, 0, Qt.AlignmentFlag.AlignHCenter)
        box.addStretch(2)

    def show_done(self, title: str, lines: list[DoneLine]) -> None:
        self.title.setText(title)
        for w in self.lines:
            w.hide()
            w.deleteLater()
        self.lines = []
        for line in lines:
            w = label(line.text, "kioskDoneLine", wrap=True)
            w.setAlignment(Qt.AlignmentFlag.AlignCenter)
            set_tone(w, "ok" if line.ok else "amber")
            self.lines_box.addWidget(w)
            w.show()
            self.lines.append(w)
        self.bye.setVisible(any(line.ok for line in lines))


class PinPage(QWidget):
    """Staff only: a PIN to leave the kiosk."""

    digit = Signal(str)
    back = Signal()
    cleared = Signal()
    submitted = Signal()
    cancelled = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.title = label("Staff only", "kioskTitle")
        self.prompt = label("Enter a staff PIN to leave the kiosk.", "kioskPrompt", wrap=True)
        self.digits = DigitBoxes(8, secret=True)
        self.message = label("", "kioskMessage", wrap=True)
        self.message.setAccessibleName("PIN problem")
        self.message.setMaximumWidth(720)
        self.message.hide()
        self.pad = NumberPad()
        self.pad.setMaximumSize(540, 580)
        self.pad.digit.connect(self.digit)
        self.pad.back.connect(self.back)
        self.pad.cleared.connect(self.cleared)
        self.ok_button = big_button("Leave the kiosk", "kioskPrimary")
        self.ok_button.clicked.connect(self.submitted)
        self.cancel_button = big_button("Cancel", "kioskButton", "Cancel: back to check-in")
        self.cancel_button.clicked.connect(self.cancelled)
        for box in self.digits.boxes:
            box.setFixedSize(48, 64)
        left = QVBoxLayout()
        left.setSpacing(18)
        left.addStretch(1)
        left.addWidget(self.title)
        left.addWidget(self.prompt)
        left.addWidget(self.digits)
        left.addWidget(self.message)
        buttons = QHBoxLayout()
        buttons.setSpacing(14)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.ok_button)
        buttons.addStretch(1)
        left.addLayout(buttons)
        left.addStretch(2)
        body = QHBoxLayout(self)
        body.setContentsMargins(72, 24, 72, 40)
        body.setSpacing(64)
        body.addLayout(left, 5)
        pad_column = QVBoxLayout()
        pad_column.addStretch(1)
        pad_column.addWidget(self.pad)
        pad_column.addStretch(1)
        body.addLayout(pad_column, 4)

    def show_pin(self, length: int, message: str, busy: bool) -> None:
        self.digits.show_digits("•" * length)
        self.message.setText(message)
        self.message.setVisible(bool(message))
        self.ok_button.setEnabled(length > 0 and not busy)


class StaffPage(QWidget):
    """After a right PIN: leave the kiosk, or go back to it."""

    back_to_kiosk = Signal()
    sign_out = Signal()
    close_app = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.title = label("Leave the kiosk", "kioskTitle")
        self.status = label("", "kioskPrompt", wrap=True)
        self.back_button = big_button("Back to check-in", "kioskPrimary")
        self.back_button.clicked.connect(self.back_to_kiosk)
        self.sign_out_button = big_button("Sign out of this kiosk", "kioskButton")
        self.sign_out_button.setToolTip("Back to the sign-in window. Check-ins not sent yet stay here and are sent after the next sign-in.")
        self.sign_out_button.clicked.connect(self.sign_out)
        self.close_button = big_button("Close Frontdesk", "kioskButton")
        self.close_button.setToolTip("Close the app. The kiosk stays signed in and opens again at the next start.")
        self.close_button.clicked.connect(self.close_app)
        box = QVBoxLayout(self)
        box.setContentsMargins(72, 24, 72, 40)
        box.setSpacing(18)
        box.addStretch(1)
        box.addWidget(self.title)
        box.addWidget(self.status)
        box.addSpacing(8)
        for b in (self.back_button, self.sign_out_button, self.close_button):
            b.setMinimumWidth(420)
            box.addWidget(b, 0, Qt.AlignmentFlag.AlignLeft)
        box.addStretch(2)

    def show_status(self, text: str) -> None:
        self.status.setText(text)

