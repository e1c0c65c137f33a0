"""Void or refund the selected ledger line: which one applies is the line's (a void on its own
business day, a refund after it); a reason is required, and a refund may be partial."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFormLayout, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from desk.ops import Op
from desk.presenters.correction import CorrectionPresenter
from desk.presenters.payment import FormProblem
from desk.widgets.common import label
from desk.widgets.money_form import MoneyDialog, add_row, money_field, text_field
from sync.money_views import CorrectionOutcome


class CorrectionDialog(MoneyDialog):
    corrected = Signal(object)  # CorrectionOutcome

    def __init__(self, presenter: CorrectionPresenter, parent: QWidget | None = None):
        super().__init__(presenter.title(), parent)
        self.presenter = presenter
        self.amount = money_field("Amount to refund", presenter.default_amount_text())
        self.reason = text_field("Reason", "e.g. Charged twice by mistake", 500)

        form = QFormLayout()
        form.setVerticalSpacing(10)
        if presenter.is_refund:
            add_row(form, "Refund", self.amount)
        add_row(form, "Reason", self.reason)

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

    def _done(self, outcome: CorrectionOutcome) -> None:
        self.set_busy(False, self.primary)
        self.corrected.emit(outcome)
        self.accept()

    def _failed(self, _exc: BaseException) -> None:
        self.cancel.setEnabled(True)
        self.set_busy(False, self.primary, self.presenter.confirm_text(self.amount.text()))
