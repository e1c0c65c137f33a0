"""The take-payment dialog's logic, without widgets: amount, way to pay, what it pays, and the
words for every step (change due, swipe now, approved, declined).

Keyboard first: the amount starts at the balance due, cash is the default way to pay, Enter takes
it. A card is swiped anywhere in the app while the dialog is open (desk.swipe_handling routes it
here) or keyed in. Card data lives only in memory for one attempt: a swipe's track is taken once
from the card object, the attempt drops it whatever the answer, and nothing here logs it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from desk.presenters.card_clock import CardClock
from desk.presenters.formatting import now_at
from desk.presenters.money_text import (
    amount_field_text,
    balance_words,
    day_text,
    money,
    typed_money,
)
from devices.cards import PaymentCard, pan_ok
from sync.core.card_abandon import NOT_CONFIRMED
from sync.money_desk import CardInput, CardNotConfirmed, MoneyDesk
from sync.money_views import FamilyView, PaymentOutcome
from sync.views import LocationView


@dataclass(frozen=True)
class Method:
    key: str
    label: str
    card: bool = False  # needs the card network: online only


CASH, CHECK, SWIPE, KEYED, TERMINAL, CREDIT = "cash", "check", "card_swipe", "card_keyed", "terminal", "credit"
METHODS: tuple[Method, ...] = (
    Method(CASH, "Cash"),
    Method(CHECK, "Check"),
    Method(SWIPE, "Card — swipe", card=True),
    Method(KEYED, "Card — type the number", card=True),
    Method(TERMINAL, "Card terminal (separate machine)"),
    Method(CREDIT, "Account credit"),
)
# How the customer usually wants the receipt, by the ledger's method (this computer's settings may
# say otherwise: desk.settings.ReceiptDefaults); staff change it in one key.
RECEIPT_DEFAULT = {"cash": "print", "check": "none", "card_present": "print", "card_keyed": "print",
                   "terminal": "none", "credit": "none"}
RECEIPT_CHOICES = (("print", "Print", "P"), ("email", "Email", "E"), ("none", "No receipt", "N"))  # key, words, key to press

SWIPE_NOW = "Swipe the card now."
# A card attempt the desk gave up on, by what the server said of it (sync.core.card_abandon).
GIVEN_UP_WORDS: dict[str, tuple[str, str]] = {
    "cancelling": (NOT_CONFIRMED, "amber"),
    "not_charged": ("Not charged: the server confirmed the card was not charged. Cancelled; you may take another payment.", "ok"),
    "cancelled": ("Cancelled: the charge went through and was reversed; the ledger shows both. "
                  "You may take another payment.", "ok"),
    "needs_attention": ("The charge could not be cancelled automatically: see Needs attention (F6) before taking "
                        "another payment.", "red"),
}  # fmt: skip
_EXPIRY = re.compile(r"^\s*(\d{1,2})\s*/?\s*(\d{2}|\d{4})\s*$")


@dataclass
class PaymentForm:
    """What the dialog's fields hold, as typed."""

    amount: str
    method: str = CASH
    tendered: str = ""
    check_number: str = ""
    card_number: str = ""
    expiry: str = ""
    cvc: str = ""
    apply_to: tuple[str, ...] = ()  # chosen charge ids; none: oldest first


class FormProblem(ValueError):
    """Something in the form stops the payment: `text` says what, `field` which field to fix."""

    def __init__(self, text: str, field: str = "amount"):
        super().__init__(text)
        self.text = text
        self.field = field


@dataclass(frozen=True)
class ChargeLine:
    id: str
    text: str  # "Mar 3 · Tuition March · $45.00 open"


@dataclass
class _Attempt:
    method: str
    amount_cents: int
    apply_to: tuple[str, ...]
    tendered_cents: int | None = None
    check_number: str = ""
    card: CardInput | None = None

    def __repr__(self) -> str:  # the card stays out of any repr
        return f"_Attempt({self.method}, {self.amount_cents})"


class PaymentPresenter:
    def __init__(self, money_desk: MoneyDesk, view: FamilyView, location: LocationView,
                 receipt_choice: Callable[[str], str] | None = None):
        self.money = money_desk
        self.receipt_choice = receipt_choice  # the desk's receipt defaults by method, when it has settings
        self.view = view
        self.location = location
        self.currency = view.currency
        self._swiped: CardInput | None = None  # a swiped card waiting for Enter (memory only)
        self.swiped_text = ""  # "Visa ending 1111": what the dialog may show of it
        self._attempt: _Attempt | None = None
        self.busy = False
        self.outcome: PaymentOutcome | None = None
        # A card attempt under way: one clock for it (the dialog counts it down), and Cancel.
        self.card_clock = CardClock(money_desk)

    @property
    def given_up(self) -> str | None:
        """The key of the last card attempt given up on, followed until the server says."""
        return self.card_clock.given_up

    # --- what the dialog offers ------------------------------------------------------------
    def title(self) -> str:
        return f"Take a payment · {self.view.name} family"

    def balance_text(self) -> tuple[str, str]:
        return balance_words(self.view.balance_cents, self.currency)

    def refusal(self) -> str | None:
        """Why this desk cannot take payments yet (e.g. no receipt numbers before its first online
        sign-in), said when the dialog opens rather than after staff typed everything."""
        ask = getattr(self.money, "payments_refusal", None)
        return ask() if callable(ask) else None

    def methods(self) -> list[Method]:
        return [m for m in METHODS if m.key != CREDIT or self.view.credit_cents > 0]

    def default_amount_text(self) -> str:
        return amount_field_text(self.view.due_cents)

    def charge_lines(self) -> list[ChargeLine]:
        today = now_at(self.location.timezone, self.money.clock).date()
        return [
            ChargeLine(c.id, f"{day_text(c.business_date, today)} · {c.description or 'Charge'} · "
                             f"{money(c.open_cents, self.currency)} open")
            for c in self.view.open_charges
        ]

    def may_email(self) -> bool:
        return bool(self.view.email or any(g.email for g in self.view.guardians))

    def receipt_default(self, outcome: PaymentOutcome) -> str:
        """Where the receipt question starts after this payment: "print", "email" or "none"."""
        choice = self.receipt_choice(outcome.method) if self.receipt_choice is not None else None
        return choice if choice in ("print", "email", "none") else RECEIPT_DEFAULT.get(outcome.method, "print")

    def method_hint(self, method: str) -> str:
        """What to do for this way to pay, said under the method."""
        if method == SWIPE:
            return self.swiped_text and f"{self.swiped_text} is read. Press Enter to charge it." or SWIPE_NOW
        if method == KEYED:
            return ""  # the three fields say it
        if method == TERMINAL:
            return "Run the card on the terminal first; press Enter once it is approved."
        if method == CREDIT:
            return f"Uses the family's account credit: {money(self.view.credit_cents, self.currency)} available."
        if method == CHECK:
            return "Type the check number."
        return "Type what the customer handed over to see the change."

    # --- live words --------------------------------------------------------------------------
    def confirm_text(self, form: PaymentForm) -> str:
        """The main button: "Take $45.00", "Charge $45.00"."""
        cents, _ = typed_money(form.amount)
        verb = "Charge" if form.method in (SWIPE, KEYED) else "Take"
        return f"{verb} {money(cents, self.currency)}" if cents else verb

    def change_text(self, form: PaymentForm) -> tuple[str, str]:
        """Cash: the change to give, live as they type (text, tone)."""
        amount, _ = typed_money(form.amount)
        if not form.tendered.strip():
            return "", "neutral"
        tendered, problem = typed_money(form.tendered)
        if tendered is None:
            return problem, "red"
        if amount is None:
            return "", "neutral"
        if tendered < amount:
            return f"{money(amount - tendered, self.currency)} short", "red"
        return f"Change {money(tendered - amount, self.currency)}", "ok"

    def amount_note(self, form: PaymentForm) -> tuple[str, str]:
        """Under the amount: a typing problem, or what more than the balance due becomes."""
        if not form.amount.strip():
            return "", "neutral"
        cents, problem = typed_money(form.amount)
        if cents is None:
            return problem, "red"
        if form.method == CREDIT and cents > self.view.credit_cents:
            return f"The family has {money(self.view.credit_cents, self.currency)} of credit to use.", "red"
        extra = cents - self.view.due_cents
        if extra > 0 and form.method != CREDIT:
            return f"{money(extra, self.currency)} more than the balance due becomes credit on the account.", "neutral"
        return "", "neutral"

    # --- a swiped card ---------------------------------------------------------------------
    def card_swiped(self, card: PaymentCard) -> tuple[str, str]:
        """A payment card was swiped while the dialog is open: take its track (once) and hold it
        for the next Enter. Returns what the dialog says, with a tone."""
        self._swiped = CardInput.swiped(card.take_track_data())
        self.swiped_text = card.describe()
        text = f"{self.swiped_text} is read. Press Enter to charge it."
        if card.is_chip:
            return text + " It has a chip: the bank may decline a swipe; if it does, insert it in the card terminal.", "amber"
        return text, "ok"

    def forget_card(self) -> None:
        self._swiped = None
        self.swiped_text = ""

    # --- taking it -------------------------------------------------------------------------
    def begin(self, form: PaymentForm) -> _Attempt:
        """Check the form and keep the attempt for `pay`; raises FormProblem with words."""
        if self.busy:
            raise FormProblem("The payment is being taken. Wait for the answer.")
        amount, problem = typed_money(form.amount)
        if amount is None:
            raise FormProblem(problem if form.amount.strip() else "Type the amount.", "amount")
        attempt = _Attempt(form.method, amount, tuple(form.apply_to))
        if form.method == CASH and form.tendered.strip():
            tendered, problem = typed_money(form.tendered)
            if tendered is None:
                raise FormProblem(problem, "tendered")
            if tendered < amount:
                raise FormProblem("The cash handed over is less than the amount. Check both.", "tendered")
            attempt.tendered_cents = tendered
        elif form.method == CHECK:
            number = form.check_number.strip()
            if not number:
                raise FormProblem("Type the check number.", "check_number")
            attempt.check_number = number[:32]
        elif form.method == CREDIT:
            if amount > self.view.credit_cents:
                raise FormProblem(f"The family has {money(self.view.credit_cents, self.currency)} of credit to use.")
        elif form.method == SWIPE:
            if self._swiped is None:
                raise FormProblem(f"{SWIPE_NOW} Or pick another way to pay.", "method")
            attempt.card = self._swiped
        elif form.method == KEYED:
            attempt.card = self._keyed(form)
        elif form.method != TERMINAL and form.method != CASH:
            raise FormProblem("Pick how the customer pays.", "method")
        self._attempt = attempt
        self.busy = True
        if attempt.card is not None:  # the attempt's one clock starts now, with its Cancel
            self.card_clock.start()
        return attempt

    def _keyed(self, form: PaymentForm) -> CardInput:
        digits = re.sub(r"[\s-]", "", form.card_number)
        if not digits:
            raise FormProblem("Type the card number.", "card_number")
        if not pan_ok(digits):  # 12-19 ASCII digits, Luhn except for UnionPay
            raise FormProblem("That card number is not right. Check the digits and type it again.", "card_number")
        m = _EXPIRY.match(form.expiry)
        if m is None or not 1 <= int(m.group(1)) <= 12:
            raise FormProblem("Type the expiry as on the card, like 04/28.", "expiry")
        month, year = int(m.group(1)), int(m.group(2))
        year = year + 2000 if year < 100 else year
        today = now_at(self.location.timezone, self.money.clock).date()
        if (year, month) < (today.year, today.month):
            raise FormProblem(f"That card expired in {month:02d}/{year % 100:02d}. Ask for another card.", "expiry")
        cvc = form.cvc.strip()
        if not re.fullmatch(r"\d{3,4}", cvc):
            raise FormProblem("Type the 3 or 4 digit security code from the card.", "cvc")
        return CardInput.keyed(digits, month, year, cvc)

    async def pay(self) -> PaymentOutcome:
        """Take the payment begun with `begin`. Card data is dropped here whatever the answer."""
        attempt, self._attempt = self._attempt, None
        if attempt is None:
            raise RuntimeError("pay() without begin()")  # the dialog always begins first
        try:
            if attempt.card is not None:
                outcome = await self.money.charge_card(self.view.id, self.location.id, attempt.amount_cents,
                                                       attempt.card, apply_to=attempt.apply_to,
                                                       cancel=self.card_clock.cancel)
            else:
                outcome = await self.money.record_payment(
                    self.view.id, self.location.id, attempt.method, attempt.amount_cents,
                    apply_to=attempt.apply_to, tendered_cents=attempt.tendered_cents,
                    check_number=attempt.check_number,
                )
        except CardNotConfirmed as gone:
            self.card_clock.given_up = gone.key  # the dialog follows it until the server says what became of it
            raise
        finally:
            attempt.card = None
            self.card_clock.stop()
            self.forget_card()  # a declined swipe is swiped again; a keyed number is typed again
            self.busy = False
        self.outcome = outcome
        return outcome

    def failed(self) -> None:
        """The attempt raised (declined, no connection, refused): the dialog stays open to try again."""
        self._attempt = None
        self.card_clock.stop()
        self.forget_card()
        self.busy = False

    def busy_text(self, method: str) -> str:
        """On the main button while the payment is taken; a card attempt counts its seconds down."""
        if method not in (SWIPE, KEYED):
            return "Recording the payment…"
        return self.card_clock.asking_text()

    def card_under_way(self) -> bool:
        return self.card_clock.under_way

    def cancel_card(self) -> bool:
        """Cancel pressed (or the dialog closed) while a card attempt waits: it is given up on by its
        key at once (sync.money_desk). False when no card attempt is under way."""
        return self.card_clock.press_cancel()

    def given_up_text(self) -> tuple[str, str] | None:
        """What became of the card attempt given up on, as this desk knows it now (text, tone);
        None when there is none. Says "Not charged" only once the server confirmed it."""
        status = self.card_clock.status()
        return None if status is None else GIVEN_UP_WORDS.get(status, GIVEN_UP_WORDS["cancelling"])

    def balance_after(self, outcome: PaymentOutcome) -> tuple[str, str]:
        return balance_words(outcome.balance_after_cents, self.currency)

    def outcome_lines(self, outcome: PaymentOutcome) -> list[str]:
        cur = self.currency
        if outcome.card_text:
            head = f"Approved: {money(outcome.amount_cents, cur)} on {outcome.card_text}"
            if outcome.approval_code:
                head += f" (approval {outcome.approval_code})"
        else:
            head = f"Paid {money(outcome.amount_cents, cur)} by {_METHOD_WORDS.get(outcome.method, outcome.method)}"
        lines = [head]
        if outcome.change_cents:
            lines.append(f"Give change: {money(outcome.change_cents, cur)}")
        lines.append(f"Receipt {outcome.receipt_no}")
        lines.append(f"Now: {balance_words(outcome.balance_after_cents, cur)[0]}")
        if outcome.pending_sync:
            lines.append("Recorded at this desk; it goes to the server with the next sync.")
        return lines


_METHOD_WORDS = {"cash": "cash", "check": "check", "card_present": "card", "card_keyed": "card",
                 "terminal": "card terminal", "credit": "account credit"}


def chosen_in_order(view: FamilyView, ids: Iterable[str]) -> tuple[str, ...]:
    """Ticked charges in the order the family's open charges are listed (oldest first)."""
    wanted = set(ids)
    return tuple(c.id for c in view.open_charges if c.id in wanted)
