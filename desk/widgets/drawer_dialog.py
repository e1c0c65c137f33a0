"""End of shift: the drawer count. Whose drawer (this desk's by default, or only the signed-in
staff member's payments), what the desk expects by way of payment, the cash counted, and the
difference, live; Enter saves the count."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QFormLayout, QGridLayout, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from desk.ops import Op
from desk.presenters.drawer import DrawerPresenter
from desk.presenters.payment import FormProblem
from desk.widgets.common import label, set_tone
from desk.widgets.money_form import MoneyDialog, add_row, money_field, text_field
from sync.money_views import DrawerExpected


class DrawerDialog(MoneyDialog):
    saved = Signal(object, str)  # DrawerExpected, what the toast says

    def __init__(self, presenter: DrawerPresenter, parent: QWidget | None = None):
        super().__init__("End of shift: count the drawer", parent)
        self.presenter = presenter
        self.whose = QComboBox()
        self.whose.setAccessibleName("Whose drawer is counted")
        self.whose.setMinimumHeight(36)
        for key, words in presenter.whose_choices():
            self.whose.addItem(words, key)
        self.whose.currentIndexChanged.connect(self._whose_changed)
        self.period = label(presenter.period_text(), "muted")
        self.opening_float = money_field("Opening float")
        self.counted = money_field("Cash counted")
        self.note = text_field("Note", "Anything the manager should know", 500)
        self.difference = label("", "bigMoney", wrap=True)
        self.difference.setAccessibleName("Difference")

        self.grid = QGridLayout()
        self.grid.setHorizontalSpacing(24)
        self.grid.setVerticalSpacing(4)
        self.amounts: list[tuple[object, object]] = []
        for row, (what, amount) in enumerate(presenter.expected_lines()):
            name = label(what, "hitName" if row == 3 else "")
            value = label(amount, "hitName" if row == 3 else "")
            value.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.grid.addWidget(name, row, 0)
            self.grid.addWidget(value, row, 1)
            self.amounts.append((name, value))
        self.grid.setColumnStretch(2, 1)

        form = QFormLayout()
        form.setVerticalSpacing(10)
        add_row(form, "Whose drawer", self.whose)
        add_row(form, "Opening float", self.opening_float)
        add_row(form, "Cash counted", self.counted)
        add_row(form, "Note", self.note)

        self.primary = QPushButton("Save count")
        self.primary.setObjectName("primary")
        self.primary.setAccessibleName("Save the drawer count")
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
        layout.addWidget(label("End of shift", "dialogTitle"))
        layout.addWidget(self.period)
        layout.addLayout(form)
        layout.addWidget(label("EXPECTED", "sectionLabel"))
        layout.addLayout(self.grid)
        layout.addWidget(self.difference)
        layout.addWidget(self.problem)
        layout.addLayout(buttons)
        for field in (self.opening_float, self.counted):
            field.textChanged.connect(self._update)
        self._update()
        self.opening_float.setFocus()

    def _whose_changed(self) -> None:
        self.presenter.set_whose(self.whose.currentData())
        self.period.setText(self.presenter.period_text())
        self.period.setAccessibleName(self.period.text())
        self._update()

    def _update(self) -> None:
        for (_name, value), (_what, amount) in zip(self.amounts, self.presenter.expected_lines(self.opening_float.text()),
                                                   strict=True):
            value.setText(amount)
        text, tone = self.presenter.difference(self.opening_float.text(), self.counted.text())
        self.difference.setText(text)
        self.difference.setAccessibleName(text)
        set_tone(self.difference, tone)

    def _confirm(self) -> None:
        if self.busy:
            return
        try:
            self.presenter.begin(self.opening_float.text(), self.counted.text(), self.note.text())
        except FormProblem as problem:
            self.say(problem.text)
            (self.opening_float if problem.field == "float" else self.counted).setFocus()
            return
        self.say("")
        self.set_busy(True, self.primary, "Saving…")
        counted = self.counted.text()
        Op(self, self.presenter.save, doing="saving the drawer count").success(
            lambda expected: self._saved(expected, counted)).failure(
            lambda _exc: self.set_busy(False, self.primary, "Save count")).run()

    def _saved(self, expected: DrawerExpected, counted: str) -> None:
        self.set_busy(False, self.primary)
        self.saved.emit(expected, self.presenter.saved_text(expected, counted))
        self.accept()
