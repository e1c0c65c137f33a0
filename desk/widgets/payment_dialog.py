"""Take a payment (Ctrl+P on the Families screen): amount, way to pay, what it pays; Enter takes it.

The amount starts at the balance due and cash is the default, so the common payment is Ctrl+P,
(type what was handed over,) Enter. A payment card swiped anywhere in the app while this dialog is
open comes here (desk.swipe_handling). After the payment the dialog shows what happened and asks
how the customer wants the receipt; a decline or "no connection" is said here and the dialog stays
open to try another card or another way to pay.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QButtonGroup, QComboBox, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QListWidget, QListWidgetItem, QPushButton,
    QRadioButton, QStackedWidget, QVBoxLayout, QWidget,
)

from desk.errors import ErrorReport
from desk.ops import Op
from desk.presenters.payment import (
    CASH, CHECK, CREDIT, GIVEN_UP_WORDS, KEYED, RECEIPT_CHOICES, SWIPE, SWIPE_NOW, TERMINAL, FormProblem, PaymentForm,
    PaymentPresenter, chosen_in_order,
)
from desk.widgets.common import label, set_tone
from desk.widgets.money_form import MoneyDialog, add_row, money_field, text_field
from devices.cards import ID_CARD, BadRead, IdCard, MemberSwipe, PaymentCard, Swipe
from sync.money_desk import CardNotConfirmed, DeclinedError
from sync.money_views import PaymentOutcome

ReceiptChoice = Callable[[PaymentOutcome, str], object]
CHARGE_ROW_HEIGHT = 40
TICK_MS = 250  # the countdown's seconds change on time, not up to a second late


class PaymentDialog(MoneyDialog):
    paid = Signal(object)  # PaymentOutcome: the family screen shows the new balance at once
    given_up = Signal()  # a card attempt was given up on: its ledger line says so at once

    def __init__(self, presenter: PaymentPresenter, parent: QWidget | None = None,
                 on_receipt: ReceiptChoice | None = None):
        super().__init__("Take a payment", parent)
        self.presenter = presenter
        self.on_receipt = on_receipt
        self.setMinimumWidth(720)

        title = label("Take a payment", "dialogTitle")
        family = label(f"{presenter.view.name} family", "muted")
        balance, tone = presenter.balance_text()
        self.balance = label(balance, "balance")
        self.balance.setProperty("tone", tone)
        self.balance.setAccessibleName(f"Family balance: {balance}")

        # --- the form page ---
        self.amount = money_field("Amount", presenter.default_amount_text())
        self.amount_note = label("", "fieldNote", wrap=True)
        self.method = QComboBox()
        self.method.setAccessibleName("Pay by")
        for m in presenter.methods():
            self.method.addItem(m.label, m.key)
        self.method_pages = QStackedWidget()
        self.pages: dict[str, QWidget] = {}

        self.tendered = money_field("Cash handed over")
        self.change = label("", "bigMoney")
        self.change.setAccessibleName("Change")
        cash = QFormLayout()
        add_row(cash, "Cash handed over", self.tendered)
        cash.addRow("", self.change)
        self._add_page(CASH, cash)

        self.check_number = text_field("Check number", "e.g. 1042", 32)
        self.check_number.setMaximumWidth(220)
        check = QFormLayout()
        add_row(check, "Check number", self.check_number)
        self._add_page(CHECK, check)

        self.swipe_prompt = label(SWIPE_NOW, "swipePrompt", wrap=True)
        self.swipe_prompt.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.swipe_prompt.setAccessibleName(SWIPE_NOW)
        swipe = QVBoxLayout()
        swipe.addWidget(self.swipe_prompt)
        self._add_page(SWIPE, swipe)

        # Card fields never show in logs or saved files; the number shows only while it is typed.
        self.card_number = text_field("Card number", "Card number", 23)
        self.card_number.setEchoMode(QLineEdit.EchoMode.PasswordEchoOnEdit)
        self.card_number.setInputMethodHints(Qt.InputMethodHint.ImhDigitsOnly | Qt.InputMethodHint.ImhSensitiveData)
        self.expiry = text_field("Expiry", "MM/YY", 7)
        self.expiry.setMaximumWidth(120)
        self.cvc = text_field("Security code", "CVC", 4)
        self.cvc.setEchoMode(QLineEdit.EchoMode.Password)
        self.cvc.setMaximumWidth(120)
        keyed = QFormLayout()
        add_row(keyed, "Card number", self.card_number)
        add_row(keyed, "Expiry", self.expiry)
        add_row(keyed, "Security code", self.cvc)
        self._add_page(KEYED, keyed)

        self.page_notes: dict[str, QLabel] = {}
        for key in (TERMINAL, CREDIT):
            self.page_notes[key] = label("", "pageNote", wrap=True)
            box = QVBoxLayout()
            box.addWidget(self.page_notes[key])
            self._add_page(key, box)

        self.method_hint = label("", "muted", wrap=True)
        self.charges = QListWidget()
        self.charges.setObjectName("charges")
        self.charges.setAccessibleName("Charges this payment pays")
        self.charges.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.charges.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        for line in presenter.charge_lines():
            item = QListWidgetItem(line.text)
            item.setToolTip(line.text)
            item.setSizeHint(QSize(0, CHARGE_ROW_HEIGHT))
            item.setData(Qt.ItemDataRole.UserRole, line.id)
            item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsSelectable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.charges.addItem(item)
        self.charges.setFixedHeight(CHARGE_ROW_HEIGHT * min(3, max(1, self.charges.count())) + 8)
        pays_note = ("Pays the oldest charges first, or the ones you tick (Space ticks)."
                     if self.charges.count() else "No open charges: the payment becomes credit on the account.")

        form = QFormLayout()
        form.setVerticalSpacing(10)
        add_row(form, "Amount", self.amount)
        form.addRow("", self.amount_note)
        add_row(form, "Pay by", self.method)
        form.addRow("", self.method_hint)
        form.addRow(self.method_pages)
        if self.charges.count():
            add_row(form, "Pays", self.charges)
        form.addRow("", label(pays_note, "muted", wrap=True))
        self.form_page = QWidget()
        self.form_page.setLayout(form)

        # --- the page after the payment ---
        self.outcome = label("", "outcome", wrap=True)
        self.outcome.setAccessibleName("Payment taken")
        self.receipt_group = QButtonGroup(self)
        receipts = QHBoxLayout()
        receipts.addWidget(label("Receipt", "sectionLabel"))
        self.receipt_buttons: dict[str, QRadioButton] = {}
        for key, text, letter in RECEIPT_CHOICES:
            button = QRadioButton(f"{text} ({letter})")
            button.setAccessibleName(f"Receipt: {text}")
            button.setMinimumHeight(36)
            if key == "email" and not presenter.may_email():
                button.setEnabled(False)
                button.setToolTip("The family has no email address on file.")
            self.receipt_group.addButton(button)
            self.receipt_buttons[key] = button
            receipts.addWidget(button)
        receipts.addStretch(1)
        done = QVBoxLayout()
        done.addWidget(self.outcome)
        done.addSpacing(8)
        done.addLayout(receipts)
        done.addStretch(1)
        self.done_page = QWidget()
        self.done_page.setLayout(done)

        self.pages_stack = QStackedWidget()
        self.pages_stack.addWidget(self.form_page)
        self.pages_stack.addWidget(self.done_page)

        self.primary = QPushButton()
        self.primary.setObjectName("primary")
        self.primary.setAccessibleName("Take the payment")
        self.primary.setDefault(True)
        self.primary.clicked.connect(self._confirm)
        self.cancel = QPushButton("Cancel")
        self.cancel.setAccessibleName("Cancel")
        self.cancel.setAutoDefault(False)
        self.cancel.clicked.connect(self._cancel_clicked)
        # One tick a second while a card attempt runs (its countdown on the main button) and
        # after it was given up on (what the server said of it, once the next sync brings it).
        self.ticker = QTimer(self)
        self.ticker.setInterval(TICK_MS)
        self.ticker.timeout.connect(self._tick)
        self._method_taken = CASH
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel)
        buttons.addWidget(self.primary)

        names = QVBoxLayout()
        names.setSpacing(0)
        names.addWidget(title)
        names.addWidget(family)
        top = QHBoxLayout()
        top.addLayout(names, 1)
        top.addWidget(self.balance, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(12)
        layout.addLayout(top)
        layout.addWidget(self.pages_stack, 1)
        layout.addWidget(self.problem)
        layout.addLayout(buttons)

        for field in (self.amount, self.tendered):
            field.textChanged.connect(self._update)
        self.method.currentIndexChanged.connect(self._method_changed)
        self._method_changed()
        self._room_for_every_method()
        self.amount.selectAll()
        self.amount.setFocus()

    def _room_for_every_method(self) -> None:
        """Room for the tallest way to pay (a keyed card's three fields), so switching never squeezes
        fields or makes the dialog jump. Sizes are right once the style sheet applied: polish first."""
        for widget in self.findChildren(QWidget):
            widget.ensurePolished()
        self.method_pages.setMinimumHeight(max(page.sizeHint().height() for page in self.pages.values()))

    def _add_page(self, key: str, layout) -> None:
        page = QWidget()
        layout.setContentsMargins(0, 0, 0, 0)
        page.setLayout(layout)
        self.pages[key] = page
        self.method_pages.addWidget(page)

    # --- reading the form ------------------------------------------------------------------
    def form(self) -> PaymentForm:
        ticked = [self.charges.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.charges.count())
                  if self.charges.item(i).checkState() == Qt.CheckState.Checked]
        return PaymentForm(
            amount=self.amount.text(), method=self.current_method(), tendered=self.tendered.text(),
            check_number=self.check_number.text(), card_number=self.card_number.text(), expiry=self.expiry.text(),
            cvc=self.cvc.text(), apply_to=chosen_in_order(self.presenter.view, ticked),
        )

    def current_method(self) -> str:
        return self.method.currentData() or CASH

    def choose_method(self, key: str) -> bool:
        index = self.method.findData(key)
        if index < 0:
            return False
        self.method.setCurrentIndex(index)
        return True

    # --- live updates ------------------------------------------------------------------------
    def _method_changed(self) -> None:
        key = self.current_method()
        if key != SWIPE:
            self.presenter.forget_card()  # a swiped card is for the swipe way only
            self._show_swipe(SWIPE_NOW, "neutral")
        self.method_pages.setCurrentWidget(self.pages[key])
        hint = self.presenter.method_hint(key)
        if key in self.page_notes:
            self.page_notes[key].setText(hint)
            self.method_hint.setText("")
        else:
            self.method_hint.setText("" if key == SWIPE else hint)
        self.method_hint.setVisible(bool(self.method_hint.text()))
        self._say_ready()
        self._update()

    def _say_ready(self) -> None:
        """Clear the message line, unless this desk cannot take payments yet (then say why, at once)."""
        refusal = self.presenter.refusal()
        self.say(refusal or "", "amber")

    def _update(self) -> None:
        if self.pages_stack.currentWidget() is not self.form_page:
            return
        form = self.form()
        note, tone = self.presenter.amount_note(form)
        self.amount_note.setText(note)
        set_tone(self.amount_note, tone)
        self.amount_note.setVisible(bool(note))
        change, tone = self.presenter.change_text(form)
        self.change.setText(change)
        set_tone(self.change, tone)
        self.change.setAccessibleName(change or "Change")
        if not self.busy:
            self.primary.setText(self.presenter.confirm_text(form))

    def _show_swipe(self, text: str, tone: str) -> None:
        self.swipe_prompt.setText(text)
        self.swipe_prompt.setAccessibleName(text)
        set_tone(self.swipe_prompt, tone)

    # --- a swipe while the dialog is open (desk.swipe_handling) ---------------------------
    def card_swiped(self, swipe: Swipe) -> None:
        if self.busy or self.pages_stack.currentWidget() is self.done_page:
            return  # one payment per dialog: the card object is dropped untouched
        if isinstance(swipe, PaymentCard):
            self.choose_method(SWIPE)
            text, tone = self.presenter.card_swiped(swipe)
            self._show_swipe(text, tone)
            self._say_ready()
            self.primary.setFocus()
        elif isinstance(swipe, MemberSwipe):
            self._show_swipe("That is a member card. Swipe the payment card.", "amber")
        elif isinstance(swipe, IdCard):
            self._show_swipe(f"{ID_CARD}. Swipe the payment card.", "amber")
        elif isinstance(swipe, BadRead):
            self._show_swipe("Swipe again: the card could not be read. Swipe it in one smooth motion.", "red")

    # --- taking it -------------------------------------------------------------------------
    def _confirm(self) -> None:
        if self.pages_stack.currentWidget() is self.done_page:
            self._finish()
            return
        if self.busy:
            return
        try:
            self.presenter.begin(self.form())
        except FormProblem as problem:
            self.say(problem.text, "red")
            self._focus(problem.field)
            return
        method = self.current_method()
        self.last_failure = None
        self._say_ready()
        self.form_page.setEnabled(False)
        card = method in (SWIPE, KEYED)
        self.cancel.setEnabled(card)  # a card attempt can be cancelled at any moment
        self.cancel.setAccessibleName("Cancel the card payment" if card else "Cancel")
        self._method_taken = method
        self.set_busy(True, self.primary, self.presenter.busy_text(method))
        Op(self, self.presenter.pay, doing="taking the payment").success(self._paid).failure(self._failed).run()
        if card:
            self.ticker.start()

    def _cancel_clicked(self) -> None:
        if self.presenter.cancel_card():
            self.cancel.setEnabled(False)
            self.say("Cancelling the card payment…", "amber")
            return
        self.reject()

    def _tick(self) -> None:
        if self.busy and self.presenter.card_under_way():
            self.primary.setText(self.presenter.busy_text(self._method_taken))
            self.primary.setAccessibleName(self.primary.text())
            return
        said = self.presenter.given_up_text()
        if said is None or self.pages_stack.currentWidget() is self.done_page:
            self.ticker.stop()
            return
        self.say(*said)
        if said[0] != GIVEN_UP_WORDS["cancelling"][0]:
            self.ticker.stop()  # the server said what became of it: nothing more to follow

    def _paid(self, outcome: PaymentOutcome) -> None:
        self._clear_card_fields()
        self.set_busy(False, self.primary, "Done")
        self.cancel.hide()
        self.form_page.setEnabled(True)
        self.outcome.setText("\n".join(self.presenter.outcome_lines(outcome)))
        self.outcome.setAccessibleName(self.outcome.text())
        balance, tone = self.presenter.balance_after(outcome)
        self.balance.setText(balance)
        self.balance.setAccessibleName(f"Family balance: {balance}")
        set_tone(self.balance, tone)
        choice = self.presenter.receipt_default(outcome)
        if not self.receipt_buttons[choice].isEnabled():
            choice = "none"
        self.receipt_buttons[choice].setChecked(True)
        self.pages_stack.setCurrentWidget(self.done_page)
        self.say("")
        self.primary.setAccessibleName("Done")
        self.primary.setFocus()
        self.paid.emit(outcome)

    def _failed(self, exc: BaseException) -> None:
        """Nothing was recorded here: the form comes back to try another card or another way to
        pay. A card attempt given up on is followed (`_tick`) until the server says what became of it."""
        self.last_failure = exc
        self.cancel.setAccessibleName("Cancel")
        if isinstance(exc, CardNotConfirmed):
            self.given_up.emit()
        else:
            self.ticker.stop()
        self.presenter.failed()
        self._clear_card_fields()
        self.set_busy(False, self.primary)
        self.form_page.setEnabled(True)
        self.cancel.setEnabled(True)
        self._update()
        if self.current_method() == SWIPE:
            self._show_swipe(f"{SWIPE_NOW} Or pick another way to pay.", "neutral")
        self.method.setFocus()

    def show_alert(self, report: ErrorReport) -> None:
        said = self.presenter.given_up_text() if isinstance(self.last_failure, CardNotConfirmed) else None
        if said is not None:
            self.say(*said)  # "We could not confirm the charge…", then what the server said
        elif isinstance(self.last_failure, DeclinedError):
            self.say(f"Declined: {report.text}", "red")
        elif report.kind == "network":
            self.say(report.text, "red")  # e.g. "No connection: take cash or check, or try again."
        else:
            super().show_alert(report)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """After the payment, P, E or N picks how the receipt goes, without leaving the Done button."""
        if self.pages_stack.currentWidget() is self.done_page and not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
            for key, _text, letter in RECEIPT_CHOICES:
                if event.text().upper() == letter and self.receipt_buttons[key].isEnabled():
                    self.receipt_buttons[key].setChecked(True)
                    event.accept()
                    return
        super().keyPressEvent(event)

    def chosen_receipt(self) -> str:
        for key, button in self.receipt_buttons.items():
            if button.isChecked():
                return key
        return "none"

    def _finish(self) -> None:
        outcome = self.presenter.outcome
        if outcome is not None and self.on_receipt is not None:
            self.on_receipt(outcome, self.chosen_receipt())
        self.accept()

    def _clear_card_fields(self) -> None:
        for field in (self.card_number, self.expiry, self.cvc):
            field.clear()

    def _focus(self, field: str) -> None:
        widget = {"amount": self.amount, "tendered": self.tendered, "check_number": self.check_number,
                  "card_number": self.card_number, "expiry": self.expiry, "cvc": self.cvc,
                  "method": self.method}.get(field, self.amount)
        widget.setFocus()
        if isinstance(widget, QLineEdit):
            widget.selectAll()

    def done(self, result: int) -> None:  # noqa: D401 - Qt's name: any close drops a held card
        self.presenter.cancel_card()  # closed while a card attempt waits: it is given up on by its key
        self.ticker.stop()
        self.presenter.forget_card()
        self._clear_card_fields()
        super().done(result)
