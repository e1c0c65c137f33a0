"""Void or refund the selected ledger line: which one applies is the line's (a void on its own
business day, a refund after it); a reason is required, and a refund may be partial. A refund
asks, before it is made, how the family gets its receipt (as after a payment)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QButtonGroup, QFormLayout, QHBoxLayout, QPushButton, QRadioButton, QVBoxLayout, QWidget

from desk.ops import Op
from desk.presenters.correction import CorrectionPresenter
from desk.presenters.payment import RECEIPT_CHOICES, FormProblem
from desk.widgets.common import label
from desk.widgets.money_form import MoneyDialog, add_row, money_field, text_field
from sync.money_views import CorrectionOutcome


class CorrectionDialog(MoneyDialog):
    corrected = Signal(object)  # CorrectionOutcome

    def __init__(self, presenter: CorrectionPresenter, parent: QWidget | None = None,
                 on_receipt: Callable[[CorrectionOutcome, str], object] | None = None):  # fmt: skip
        super().__init__(presenter.title(), parent)
        self.presenter = presenter
        self.on_receipt = on_receipt
        self.receipt_buttons: dict[str, QRadioButton] = {}
        self.amount = money_field("Amount to refund", presenter.default_amount_text())
        self.reason = text_field("Reason", "e.g. Charged twice by mistake", 500)

        form = QFormLayout()
        form.setVerticalSpacing(10)
        if presenter.is_refund:
            add_row(form, "Refund", self.amount)
        add_row(form, "Reason", self.reason)
        if presenter.is_refund:
            add_row(form, "Receipt", self._receipt_row())

        self.primary = QPushButton(presenter.confirm_text(self.amount.text()))
        self.primary.setObjectName("primary")
        self.primary.setAccessibleName(presenter.title())
        self.primary.setDefault(True)
        self.primary.clicked.connect(self._confirm)
        self.cancel = QPushButton("Cancel")
        self.cancel.setAccessibleName("Cancel")
        self.cancel.setAutoDefault(False)
        self.cancel.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel)
        buttons.addWidget(self.primary)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(12)
        layout.addWidget(label(presenter.title(), "dialogTitle"))
        layout.addWidget(label(presenter.what_text(), "hitName", wrap=True))
        layout.addWidget(label(presenter.explain(), "muted", wrap=True))
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addLayout(buttons)
        self.amount.textChanged.connect(lambda text: self.primary.setText(presenter.confirm_text(text)))
        (self.amount if presenter.is_refund else self.reason).setFocus()

    def _confirm(self) -> None:
        if self.busy:
            return
        try:
            self.presenter.begin(self.reason.text(), self.amount.text())
        except FormProblem as problem:
            self.say(problem.text)
            (self.amount if problem.field == "amount" else self.reason).setFocus()
            return
        self.say("")
        self.cancel.setEnabled(False)
        self.set_busy(True, self.primary, "Refunding…" if self.presenter.is_refund else "Voiding…")
        doing = "refunding the payment" if self.presenter.is_refund else "voiding the line"
        Op(self, self.presenter.apply, doing=doing).success(self._done).failure(self._failed).run()

    def chosen_receipt(self) -> str:
        return next((key for key, button in self.receipt_buttons.items() if button.isChecked()), "none")

    def _receipt_row(self) -> QWidget:
        group = QButtonGroup(self)
        holder = QWidget()
        row = QHBoxLayout(holder)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(20)
        default = self.presenter.receipt_default()
        for key, text, letter in RECEIPT_CHOICES:
            button = QRadioButton(f"&{text}" if key != "none" else f"{text} (&{letter})")  # Alt+P, Alt+E, Alt+N
            button.setAccessibleName(f"Receipt: {text}")
            button.setMinimumHeight(32)
            if key == "email" and not self.presenter.can_email:
                button.setEnabled(False)
                button.setToolTip("The family has no email address on file.")
            button.setChecked(key == default)
            group.addButton(button)
            self.receipt_buttons[key] = button
            row.addWidget(button)
        row.addStretch(1)
        return holder

    def _done(self, outcome: CorrectionOutcome) -> None:
        self.set_busy(False, self.primary)
        self.corrected.emit(outcome)
        choice = self.chosen_receipt()
        if self.presenter.is_refund and outcome.receipt_no and choice != "none" and self.on_receipt is not None:
            self.on_receipt(outcome, choice)
        self.accept()

    def _failed(self, _exc: BaseException) -> None:
        self.cancel.setEnabled(True)
        self.set_busy(False, self.primary, self.presenter.confirm_text(self.amount.text()))
