"""Void or refund the selected ledger line: which one applies is the line's (a void on its own
business day, a refund after it); a reason is required, and a refund may be partial. A refund
asks, before it is made, how the family gets its receipt (as after a payment). A card void or
refund runs under the payment dialog's clock: seconds counted down on the main button, Cancel at
any moment, and the words for a call given up on until the server says what became of it."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QFormLayout,
    QHBoxLayout,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from desk.errors import ErrorReport
from desk.ops import Op
from desk.presenters.correction import GIVEN_UP_WORDS, CorrectionPresenter
from desk.presenters.payment import RECEIPT_CHOICES, FormProblem
from desk.widgets.common import label
from desk.widgets.money_form import MoneyDialog, add_row, money_field, text_field
from sync.money_desk import CardNotConfirmed
from sync.money_views import CorrectionOutcome

TICK_MS = 250  # as the payment dialog's: the seconds change on time


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
        self.cancel.clicked.connect(self._cancel_clicked)
        # Ticks while a card call runs (its countdown) and after it was given up on (what the
        # server said of it, once the next sync brings it).
        self.ticker = QTimer(self)
        self.ticker.setInterval(TICK_MS)
        self.ticker.timeout.connect(self._tick)
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
        self.last_failure = None
        card = self.presenter.card_under_way()
        self.cancel.setEnabled(card)  # a card call can be cancelled at any moment
        self.cancel.setAccessibleName(f"Cancel the card {self._what()}" if card else "Cancel")
        self.set_busy(True, self.primary, self.presenter.busy_text())
        doing = "refunding the payment" if self.presenter.is_refund else "voiding the line"
        Op(self, self.presenter.apply, doing=doing).success(self._done).failure(self._failed).run()
        if card:
            self.ticker.start()

    def _what(self) -> str:
        return "refund" if self.presenter.is_refund else "void"

    def _cancel_clicked(self) -> None:
        if self.presenter.cancel_card():
            self.cancel.setEnabled(False)
            self.say(f"Cancelling the card {self._what()}…", "amber")
            return
        self.reject()

    def _tick(self) -> None:
        if self.busy and self.presenter.card_under_way():
            self.primary.setText(self.presenter.busy_text())
            self.primary.setAccessibleName(self.primary.text())
            return
        said = self.presenter.given_up_text()
        if said is None:
            self.ticker.stop()
            return
        self.say(*said)
        if said[1] != GIVEN_UP_WORDS["cancelling"][1]:
            self.ticker.stop()  # the server said what became of it: nothing more to follow

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
        self.ticker.stop()
        self.set_busy(False, self.primary)
        self.corrected.emit(outcome)
        choice = self.chosen_receipt()
        if self.presenter.is_refund and outcome.receipt_no and choice != "none" and self.on_receipt is not None:
            self.on_receipt(outcome, choice)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        """Nothing was recorded here: the dialog stays to try again or close. A card call given up on
        is followed (`_tick`) until the server says what became of it."""
        self.last_failure = exc
        if not isinstance(exc, CardNotConfirmed):
            self.ticker.stop()
        self.cancel.setEnabled(True)
        self.cancel.setAccessibleName("Cancel")
        self.set_busy(False, self.primary, self.presenter.confirm_text(self.amount.text()))
        self.primary.setAccessibleName(self.presenter.title())

    def show_alert(self, report: ErrorReport) -> None:
        said = self.presenter.given_up_text() if isinstance(self.last_failure, CardNotConfirmed) else None
        if said is not None:
            self.say(*said)  # "We could not confirm the void…", then what the server said
        elif report.kind == "network":
            self.say(report.text, "red")
        else:
            super().show_alert(report)

    def done(self, result: int) -> None:  # Qt's name: closed while a card call waits, it is given up on
        self.presenter.cancel_card()
        self.ticker.stop()
        super().done(result)
