"""MoneyDesk: everything the desk's money screens may ask, and nothing more (no Qt here).

    money = MoneyDesk(store, api, send_pending=engine.sync_now)   # api: the signed-in ApiClient, or None
    view = money.family("fam-id")
    out = await money.record_payment(view.id, location_id, "cash", 4500, tendered_cents=5000)
    out = await money.charge_card(view.id, location_id, 4500, CardInput.swiped(track))

Cash, check, terminal and account-credit payments, charges, and corrections of non-card entries
are recorded through the store's outbox (offline too). Card payments, and voids and refunds of
card payments, need the gateway: they go to the server at once, with an idempotency key made
here before the first attempt, and are refused offline with words for the desk.

Receipt numbers are made here (sync.core.ledger.receipt_number): location code, this desk's code
from the server, and a counter kept in the outbox file, so they are unique offline too.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from sqlalchemy import func
from sqlmodel import select

from sync import db, drawer, family_queries, family_search
from sync.core import ledger_mutations as lm
from sync import money_input as mi
from sync.core.card_abandon import AbandonPayload
from sync.card_calls import CARD_TIME_LIMIT, CardNotConfirmed, card_call  # noqa: F401 (CardNotConfirmed: the desk's)
from sync.client import ApiClient
from sync.core.clock import utc_naive
from sync.errors import NetworkError, SyncError
from sync.core.ids import new_id
from sync.core.ledger import correction_for, receipt_number
from sync.ledger_words import amount_text, card_text
from sync.money_views import (
    CorrectionOutcome,
    DrawerExpected,
    FamilyHit,
    FamilyView,
    PaymentOutcome,
)
from sync.payments_client import RETRY_DELAYS, PaymentsApi
from sync.core.schema import (
    CARD_METHODS,
    CHARGE_CATEGORIES,
    RECORDED_METHODS,
    CardAbandon,
    Family,
    LedgerEntry,
    Location,
    Staff,
)
from sync.store import DeskStore
from sync.core.wire_payments import (
    CardPaymentRequest,
    CardRefundRequest,
    CardVoidRequest,
    PaymentAnswer,
)

NO_CONNECTION_FOR_CARD = "No connection: take cash or check, or try again."
NO_CONNECTION_FOR_CARD_CHANGE = (
    "No connection: a card payment is voided or refunded through the card network. Try again when the connection is back."
)
NO_DESK_CODE = "Sign in while online once before taking payments: this desk has no receipt numbers yet."
DECLINED = "The card was declined. Ask for another card or another way to pay."
CHARGE_NOT_SENT = (
    "This charge has not reached the server yet, so a card cannot pay it. Wait for the connection "
    "to send it and try again, or take cash or check."
)


class DeclinedError(SyncError):
    """The card was declined; `decline_code` and the message say why. Nothing was recorded."""

    def __init__(self, message: str, decline_code: str):
        super().__init__("rejected", message, code=decline_code)
        self.decline_code = decline_code


@dataclass(frozen=True)
class CardInput:
    """A card for one payment attempt, held in memory only for the call (never logged, never
    stored; repr shows nothing). Make it from a swipe (devices.cards result's raw track) or keyed."""

    track: str | None = None
    number: str | None = None
    exp_month: int | None = None
    exp_year: int | None = None
    cvc: str | None = None
    postal_code: str = ""

    def __repr__(self) -> str:
        return "CardInput(swiped)" if self.track else "CardInput(keyed)"

    __str__ = __repr__

    @classmethod
    def swiped(cls, track: str) -> "CardInput":
        return cls(track=track)

    @classmethod
    def keyed(cls, number: str, exp_month: int, exp_year: int, cvc: str = "", postal_code: str = "") -> "CardInput":
        return cls(number=number, exp_month=exp_month, exp_year=exp_year, cvc=cvc or None, postal_code=postal_code)


class MoneyDesk:
    def __init__(
        self, store: DeskStore, api: ApiClient | None, *, currency: str = "USD",
        send_pending: Callable[[], Awaitable[object]] | None = None,
    ):  # fmt: skip
        """`send_pending`: sends this desk's pending work now (SyncEngine.sync_now). A card payment
        applied to a charge made here and not yet sent calls it first: the server must know the
        charge before the card pays it."""
        self.store = store
        self.api = api  # None: this desk has no server session (card payments are refused)
        self.currency = currency
        self.send_pending = send_pending
        # Seams for tests: what "now" is (business dates come from it), and how long card calls
        # wait between attempts after no answer.
        self.now: Callable[[], dt.datetime] = store.clock.now
        self.clock = store.clock  # the desk's clock, for screens that show this desk's money
        self.card_retry_delays: Sequence[float] = RETRY_DELAYS
        # The hard limit of one card call, retries included: after it the desk stops waiting and
        # gives the call up by its key (some acquirers take a timeout reversal only within ~30 s).
        self.card_time_limit: float = CARD_TIME_LIMIT

    # -- reads (from the cache, offline too) -------------------------------------------------

    def search_families(self, text: str, limit: int = 20) -> list[FamilyHit]:
        """Families whose name, a student's or a guardian's name starts with each typed word."""
        with self.store.cache.engine.connect() as conn:
            return family_search.search_families(conn, text, limit)

    def family(self, family_id: str, location_id: str | None = None) -> FamilyView:
        """Raises LookupError for an unknown family."""
        with db.read_session(self.store.cache.engine) as s:
            return family_queries.family_view(s, family_id, location_id, self._now(), self.currency)

    def drawer_expected(
        self, location_id: str, staff_id: str | None, start: dt.datetime, end: dt.datetime, opening_float_cents: int = 0
    ) -> DrawerExpected:
        """Money taken at this desk and location between start and end (aware): by everyone
        (`staff_id` None, this desk's drawer) or by one staff member."""
        mi.whole_cents(opening_float_cents, "opening float", allow_zero=True)
        with db.read_session(self.store.cache.engine) as s:
            return drawer.drawer_expected(s, self.store.desk_id, location_id, staff_id, start, end, opening_float_cents)

    def staff_name(self, staff_id: str) -> str:
        """A staff member's name as every desk sees it ("" when not in this desk's cache)."""
        with db.read_session(self.store.cache.engine) as s:
            staff = s.get(Staff, staff_id)
        return staff.display_name if staff is not None else ""

    def payments_refusal(self) -> str | None:
        """Why this desk cannot take payments yet (words to show), or None when it can."""
        return None if self.store.desk_code else NO_DESK_CODE

    def balance(self, family_id: str) -> int:
        """What the family owes now (negative: a credit), pending work included."""
        with db.read_session(self.store.cache.engine) as s:
            total = s.exec(select(func.sum(LedgerEntry.amount_cents)).where(LedgerEntry.family_id == family_id)).one()
        return int(total or 0)

    def business_date(self, location_id: str) -> dt.date:
        """Today at the location (its time zone), the day payments and voids belong to."""
        with db.read_session(self.store.cache.engine) as s:
            return self._today(s, location_id)

    # -- writes through the outbox (offline too) ----------------------------------------------

    async def post_charge(
        self, family_id: str, location_id: str, amount_cents: int, category: str, description: str,
        student_id: str | None = None,
    ) -> str:  # fmt: skip
        """Returns the charge's entry id. RejectedError with words on bad input (nothing written)."""
        amount = mi.whole_cents(amount_cents, "charge")
        if category not in CHARGE_CATEGORIES:
            raise mi.rejected(f"“{category}” is not a kind of charge ({', '.join(CHARGE_CATEGORIES)}).")
        if not (description or "").strip():
            raise mi.rejected("Say what the charge is for.")
        with db.read_session(self.store.cache.engine) as s:
            self._family(s, family_id)
            today = self._today(s, location_id)
        payload = mi.payload(
            lm.ChargePayload, entry_id=new_id(), family_id=family_id, location_id=location_id, student_id=student_id,
            category=category, description=description.strip(), amount_cents=amount, business_date=today,
        )  # fmt: skip
        await self.store.record(lm.CHARGE_POST, payload)
        return payload["entry_id"]

    async def record_payment(
        self, family_id: str, location_id: str, method: str, amount_cents: int, *,
        apply_to: Sequence[str] = (), tendered_cents: int | None = None, check_number: str = "",
    ) -> PaymentOutcome:  # fmt: skip
        """Cash, check, terminal or credit. `apply_to`: charge ids in order, or oldest first."""
        if method in CARD_METHODS:
            raise mi.rejected("A card is charged through the card network: use “charge card”.")
        if method not in RECORDED_METHODS:
            raise mi.rejected(f"“{method}” is not a way to pay at the desk.")
        amount = mi.whole_cents(amount_cents, "amount")
        if tendered_cents is not None:
            if method != "cash":
                raise mi.rejected("Cash handed over is for cash payments only.")
            tendered = mi.whole_cents(tendered_cents, "cash handed over")
            if tendered < amount:
                raise mi.rejected(
                    f"The cash handed over ({amount_text(tendered)}) is less than the amount ({amount_text(amount)}); nothing was recorded."
                )
        check_number = (check_number or "").strip()
        if method == "check" and not check_number:
            raise mi.rejected("A check payment needs the check number.")
        desk_code = self._desk_code()
        with db.read_session(self.store.cache.engine) as s:
            code = self._location(s, location_id).code
            today = self._today(s, location_id)
        entry_id = new_id()

        def build(counter: int) -> dict[str, Any]:  # on the writer thread: the ledger as it is now
            with db.read_session(self.store.cache.engine) as s:
                self._family(s, family_id)
                ledger = lm.family_ledger(s, family_id)
            allocations = mi.allocations(ledger, amount, apply_to, spend_credit=method == "credit")
            return mi.payload(
                lm.PaymentPayload, entry_id=entry_id, family_id=family_id, location_id=location_id, method=method,
                amount_cents=amount, receipt_no=receipt_number(code, desk_code, counter),
                check_number=check_number if method == "check" else "", tendered_cents=tendered_cents,
                allocations=allocations, business_date=today,
            )  # fmt: skip

        mutation = await self.store.record_numbered(lm.PAYMENT_RECORD, build)
        return PaymentOutcome(
            entry_id=entry_id,
            receipt_no=mutation.payload["receipt_no"],
            method=method,
            amount_cents=amount,
            change_cents=(tendered_cents - amount) if method == "cash" and tendered_cents is not None else None,
            card_text="",
            approval_code="",
            balance_after_cents=self.balance(family_id),
            pending_sync=True,
        )

    async def record_drawer_count(
        self, expected: DrawerExpected, counted_cash_cents: int, note: str = ""
    ) -> str:
        counted = mi.whole_cents(counted_cash_cents, "cash counted", allow_zero=True)
        payload = mi.payload(
            lm.DrawerCountPayload, count_id=new_id(), location_id=expected.location_id,
            period_start=expected.period_start, period_end=expected.period_end,
            opening_float_cents=expected.opening_float_cents, expected_cash_cents=expected.expected_cash_cents,
            expected_check_cents=expected.check_cents, expected_card_cents=expected.card_cents,
            expected_terminal_cents=expected.terminal_cents, counted_cash_cents=counted, note=(note or "").strip(),
        )  # fmt: skip
        await self.store.record(lm.DRAWER_COUNT, payload)
        return payload["count_id"]

    # -- card payments and corrections (card ones online) ------------------------------------

    async def charge_card(
        self, family_id: str, location_id: str, amount_cents: int, card: CardInput, *, apply_to: Sequence[str] = (),
        cancel: asyncio.Event | None = None,
    ) -> PaymentOutcome:  # fmt: skip
        """Raises DeclinedError (nothing recorded), NetworkError with NO_CONNECTION_FOR_CARD when
        this desk has no server session, RejectedError on bad input, and CardNotConfirmed when
        the answer did not come within `card_time_limit` seconds (retried with the same key until
        then), the connection failed, or `cancel` was set: the call is given up on by its key."""
        amount = mi.whole_cents(amount_cents, "amount")
        if self.api is None:
            raise NetworkError(NO_CONNECTION_FOR_CARD, code="no_connection")
        desk_code = self._desk_code()
        if not isinstance(card, CardInput):
            raise TypeError("charge_card takes a CardInput")
        card_data = mi.card_data(card)
        allocations, code, today = self._card_plan(family_id, location_id, amount, apply_to)
        if any(unsent for _, unsent in allocations):
            if self.send_pending is not None:
                await self.send_pending()
                allocations, code, today = self._card_plan(family_id, location_id, amount, apply_to)
            if any(unsent for _, unsent in allocations):
                raise mi.rejected(CHARGE_NOT_SENT, code="not_sent")
        counter = await self.store.take_receipt_counter()  # before the first attempt: kept on every retry
        try:
            request = CardPaymentRequest(
                entry_id=new_id(), family_id=family_id, location_id=location_id, amount_cents=amount,
                receipt_no=receipt_number(code, desk_code, counter), allocations=[a for a, _ in allocations],
                business_date=today, made_at=utc_naive(self.clock), card=card_data,
            )  # fmt: skip
        except ValidationError:
            raise mi.rejected("This payment could not be sent: check the amount and the charges it pays.") from None
        payments = PaymentsApi(self.api)
        # The same request (same entry id: the idempotency key) on every attempt; the card's
        # values live in it for this call only and are never kept on this object.
        abandon = AbandonPayload(key=request.entry_id, kind="sale", family_id=family_id, amount_cents=amount)
        answer = await self._card_call(abandon, lambda: payments.charge(request), NO_CONNECTION_FOR_CARD, cancel)
        entry_id, receipt_no = request.entry_id, request.receipt_no
        _approved_or_raise(answer)
        await self._show(answer)
        method = _record_field(answer, entry_id, "method") or ("card_present" if card.track else "card_keyed")
        return PaymentOutcome(
            entry_id=entry_id,
            receipt_no=receipt_no,
            method=method,
            amount_cents=amount,
            change_cents=None,
            card_text=card_text(answer.card_brand, answer.card_last4),
            approval_code=answer.approval_code,
            balance_after_cents=self.balance(family_id),
            pending_sync=False,
        )

    async def void(self, entry_id: str, reason: str, *, location_id: str | None = None,
                   cancel: asyncio.Event | None = None) -> CorrectionOutcome:
        """Void an entry (same business day for payments). Card payments: online, via the gateway.

        `location_id`: where the void is made (whose drawer gives the money back); by default the
        entry's own location. `cancel`: set to give a card void up at once (the dialog's Cancel).
        """
        reason = mi.reason(reason, "void")
        with db.read_session(self.store.cache.engine) as s:
            entry, state = self._entry(s, entry_id)
            where = location_id or entry.location_id
            today = self._today(s, where)
        void_id = new_id()
        if entry.kind == "payment" and entry.method in CARD_METHODS:
            if state.voided:
                raise mi.rejected("This entry was already voided; nothing more was recorded.")
            if correction_for(state, today) != "void":
                raise mi.rejected("This payment is from an earlier day and can no longer be voided: refund it instead.")
            api = self._card_api()
            request = CardVoidRequest(void_id=void_id, reason=reason, business_date=today, made_at=utc_naive(self.clock))
            abandon = AbandonPayload(key=void_id, kind="void", family_id=entry.family_id, target_id=entry_id,
                                     amount_cents=-entry.amount_cents, card_brand=entry.card_brand,
                                     card_last4=entry.card_last4)  # fmt: skip
            answer = await self._card_call(abandon, lambda: api.void(entry_id, request), NO_CONNECTION_FOR_CARD_CHANGE,
                                           cancel)
            _approved_or_raise(answer)
            await self._show(answer)
            pending = False
        else:
            payload = mi.payload(
                lm.VoidPayload, entry_id=void_id, corrects_id=entry_id, family_id=entry.family_id, location_id=where,
                reason=reason, business_date=today,
            )  # fmt: skip
            await self.store.record(lm.VOID_ENTRY, payload)
            pending = True
        return self._correction(void_id, "void", entry.family_id, None, pending)

    async def refund(
        self, entry_id: str, amount_cents: int, reason: str, *, location_id: str | None = None,
        cancel: asyncio.Event | None = None,
    ) -> CorrectionOutcome:
        """Refund part or all of a payment. Card payments: online, via the gateway.

        `location_id`: where the refund is made (whose drawer pays it out); by default the
        payment's own location. `cancel`: set to give a card refund up at once (the dialog's Cancel).
        """
        amount = mi.whole_cents(amount_cents, "refund")
        reason = mi.reason(reason, "refund")
        desk_code = self._desk_code()
        with db.read_session(self.store.cache.engine) as s:
            entry, state = self._entry(s, entry_id)
            where = location_id or entry.location_id
            code = self._location(s, where).code
            today = self._today(s, where)
        if entry.kind != "payment" or entry.method == "credit":
            raise mi.rejected("Only a payment can be refunded; nothing was recorded.")
        if state.voided:
            raise mi.rejected("This payment was voided; there is nothing to refund.")
        if amount > state.refundable_cents:
            raise mi.rejected(
                f"That is more than this payment can still refund ({amount_text(state.refundable_cents)}); nothing was recorded."
            )
        refund_id = new_id()
        if entry.method in CARD_METHODS:
            api = self._card_api()
            counter = await self.store.take_receipt_counter()
            request = CardRefundRequest(
                refund_id=refund_id, amount_cents=amount, receipt_no=receipt_number(code, desk_code, counter),
                reason=reason, business_date=today, made_at=utc_naive(self.clock),
            )  # fmt: skip
            abandon = AbandonPayload(key=refund_id, kind="refund", family_id=entry.family_id, target_id=entry_id,
                                     amount_cents=amount, card_brand=entry.card_brand, card_last4=entry.card_last4)  # fmt: skip
            answer = await self._card_call(abandon, lambda: api.refund(entry_id, request), NO_CONNECTION_FOR_CARD_CHANGE,
                                           cancel)
            _approved_or_raise(answer)
            await self._show(answer)
            return self._correction(refund_id, "refund", entry.family_id, request.receipt_no, False)

        def build(counter: int) -> dict[str, Any]:
            return mi.payload(
                lm.RefundPayload, entry_id=refund_id, corrects_id=entry_id, family_id=entry.family_id, location_id=where,
                amount_cents=amount, receipt_no=receipt_number(code, desk_code, counter), reason=reason,
                business_date=today,
            )  # fmt: skip

        mutation = await self.store.record_numbered(lm.REFUND_RECORD, build)
        return self._correction(refund_id, "refund", entry.family_id, mutation.payload["receipt_no"], True)

    def card_call_status(self, key: str) -> str | None:
        """What became of a card call this desk gave up on (sync.core.card_abandon: cancelling,
        not_charged, cancelled, done, needs_attention), as the cache knows it; None: not given up."""
        with db.read_session(self.store.cache.engine) as s:
            row = s.get(CardAbandon, key)
        return row.status if row is not None else None

    def _card_call(self, abandon: AbandonPayload, call: Callable[[], Awaitable[PaymentAnswer]], unreachable: str,
                   cancel: asyncio.Event | None = None) -> Awaitable[PaymentAnswer]:  # fmt: skip
        return card_call(self.store, abandon, call, unreachable=unreachable, delays=self.card_retry_delays,
                         limit=self.card_time_limit, cancel=cancel)  # fmt: skip

    # -- helpers -------------------------------------------------------------------------------

    def _card_plan(
        self, family_id: str, location_id: str, amount: int, apply_to: Sequence[str]
    ) -> tuple[list[tuple[dict[str, Any], bool]], str, dt.date]:
        """A card payment's allocations (each with "its charge is not on the server yet"), the
        location's code and business day."""
        with db.read_session(self.store.cache.engine) as s:
            self._family(s, family_id)
            code = self._location(s, location_id).code
            today = self._today(s, location_id)
            ledger = lm.family_ledger(s, family_id)
        planned = mi.allocations(ledger, amount, apply_to, spend_credit=False)
        unsent = {st.entry.id for st in ledger.entries if st.entry.usn is None}
        return [(a, a["charge_id"] in unsent) for a in planned], code, today

    def _now(self) -> dt.datetime:
        now = self.now()
        return now if now.tzinfo is not None else now.replace(tzinfo=dt.UTC)

    def _today(self, s: Any, location_id: str) -> dt.date:
        return self._now().astimezone(ZoneInfo(self._location(s, location_id).timezone)).date()

    @staticmethod
    def _location(s: Any, location_id: str) -> Location:
        location = s.get(Location, location_id) if location_id else None
        if location is None:
            raise mi.rejected("This location is not on file at this desk; nothing was recorded.", code="not_found")
        return location

    @staticmethod
    def _family(s: Any, family_id: str) -> Family:
        family = s.get(Family, family_id) if family_id else None
        if family is None:
            raise mi.rejected("This family is not on file at this desk; nothing was recorded.", code="not_found")
        return family

    @staticmethod
    def _entry(s: Any, entry_id: str) -> tuple[LedgerEntry, Any]:
        entry = s.get(LedgerEntry, entry_id) if entry_id else None
        state = lm.family_ledger(s, entry.family_id).state(entry_id) if entry is not None else None
        if entry is None or state is None:
            raise mi.rejected("That ledger entry is not on file at this desk; nothing was recorded.", code="not_found")
        return entry, state

    def _desk_code(self) -> str:
        code = self.store.desk_code
        if not code:
            raise mi.rejected(NO_DESK_CODE, code="no_desk_code")
        return code

    def _card_api(self) -> PaymentsApi:
        if self.api is None:
            raise NetworkError(NO_CONNECTION_FOR_CARD_CHANGE, code="no_connection")
        return PaymentsApi(self.api)

    async def _show(self, answer: PaymentAnswer) -> None:
        """The server's rows of an approved card call, in the cache at once (the next pull confirms)."""
        await self.store.apply_server_changes(answer.records)
        self.store._wrote()  # screens and the sync engine hear of it like any other write

    def _correction(self, entry_id: str, kind: str, family_id: str, receipt_no: str | None, pending: bool) -> CorrectionOutcome:
        with db.read_session(self.store.cache.engine) as s:
            row = s.get(LedgerEntry, entry_id)
        return CorrectionOutcome(
            entry_id=entry_id,
            kind=kind,
            amount_cents=row.amount_cents if row is not None else 0,
            receipt_no=receipt_no,
            balance_after_cents=self.balance(family_id),
            pending_sync=pending,
        )


def _approved_or_raise(answer: PaymentAnswer) -> None:
    if answer.status != "approved":
        raise DeclinedError(answer.message or DECLINED, answer.decline_code or "declined")


def _record_field(answer: PaymentAnswer, entry_id: str, name: str) -> Any:
    for change in answer.records:
        if change.id == entry_id and change.data:
            return change.data.get(name)
    return None
