"""Post a charge (Ctrl+Shift+C on the Families screen): amount, what it is for, words, and which
student if it is one child's. Enter posts it; it is recorded at this desk at once (offline too)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QFormLayout, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from desk.ops import Op
from desk.presenters.charge import ChargePresenter
from desk.presenters.payment import FormProblem
from desk.widgets.common import label
from desk.widgets.money_form import MoneyDialog, add_row, money_field, text_field


class ChargeDialog(MoneyDialog):
    posted = Signal(str)  # what the toast says

    def __init__(self, presenter: ChargePresenter, parent: QWidget | None = None):
        super().__init__("Post a charge", parent)
        self.presenter = presenter
        self.amount = money_field("Amount")
        self.category = QComboBox()
        self.category.setAccessibleName("Charge for")
        for key, text in presenter.categories():
            self.category.addItem(text, key)
        self.description = text_field("Description", "e.g. Tuition March, Level 2 Tumbling")
        self.student = QComboBox()
        self.student.setAccessibleName("Student")
        for sid, name in presenter.students():
            self.student.addItem(name, sid)

        form = QFormLayout()
        form.setVerticalSpacing(10)
        add_row(form, "Amount", self.amount)
        add_row(form, "For", self.category)
        add_row(form, "Description", self.description)
        add_row(form, "Student", self.student)

        self.primary = QPushButton("Post charge")
        self.primary.setObjectName("primary")
        self.primary.setAccessibleName("Post the charge")
        self.primary.setDefault(True)
        self.primary.clicked.connect(self._confirm)
        cancel = QPushButton("Cancel")
        cancel.setAccessibleName("Cancel")
        cancel.setAutoDefault(False)
        cancel.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(cancel)
        buttons.addWidget(self.primary)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(12)
        names = QVBoxLayout()
        names.setSpacing(0)
        names.addWidget(label("Post a charge", "dialogTitle"))
        names.addWidget(label(f"{presenter.view.name} family", "muted"))
        layout.addLayout(names)
        layout.addLayout(form)
        layout.addWidget(label("Leave the description empty to use what the charge is for.", "muted", wrap=True))
        layout.addWidget(self.problem)
        layout.addLayout(buttons)
        self.amount.setFocus()

    def _confirm(self) -> None:
        if self.busy:
            return
        try:
            self.presenter.begin(self.amount.text(), self.category.currentData(), self.description.text(),
                                 self.student.currentData() or "")
        except FormProblem as problem:
            self.say(problem.text)
            {"amount": self.amount, "category": self.category}.get(problem.field, self.amount).setFocus()
            return
        self.say("")
        self.set_busy(True, self.primary, "Posting…")
        text = self.presenter.posted_text(self.amount.text(), self.description.text(), self.category.currentData())
        Op(self, self.presenter.post, doing="posting the charge").success(lambda _id: self._posted(text)).failure(
            lambda _exc: self.set_busy(False, self.primary, "Post charge")).run()

    def _posted(self, text: str) -> None:
        self.set_busy(False, self.primary)
        self.posted.emit(text)
        self.accept()
