"""MoneyDesk: everything the desk's money screens may ask, and nothing more (no Qt here).

    money = MoneyDesk(store, api)                 # api: the signed-in ApiClient, or None offline
    view = money.family("fam-id")
    out = await money.record_payment(view.id, location_id, "cash", 4500, tendered_cents=5000)
    out = await money.charge_card(view.id, location_id, 4500, CardInput.swiped(track))

Cash, check, terminal and account-credit payments, charges, and corrections of non-card entries
are recorded through the store's outbox (offline too). Card payments, and voids and refunds of
card payments, need the gateway: they go to the server at once, with an idempotency key made
here before the first attempt, and are refused offline with words for the desk.

Receipt numbers are made here (sync.ledger.receipt_number): location code, this desk's code
from the server, and a counter kept in the outbox file, so they are unique offline too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sync.client import ApiClient
from sync.errors import SyncError
from sync.money_views import CorrectionOutcome, DrawerExpected, FamilyHit, FamilyView, PaymentOutcome
from sync.store import DeskStore

NO_CONNECTION_FOR_CARD = "No connection: take cash or check, or try again."


class DeclinedError(SyncError):
    """The card was declined; `decline_code` and the message say why. Nothing was recorded."""

    def __init__(self, message: str, decline_code: str):
        super().__init__(message, code=decline_code)
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
    def __init__(self, store: DeskStore, api: ApiClient | None, *, currency: str = "USD"):
        self.store = store
        self.api = api  # None: this desk has no server session (card payments are refused)
        self.currency = currency

    # -- reads (from the cache, offline too) -------------------------------------------------

    def search_families(self, text: str, limit: int = 20) -> list[FamilyHit]:
        """Families whose name, a student's or a guardian's name starts with each typed word."""
        raise NotImplementedError

    def family(self, family_id: str, location_id: str | None = None) -> FamilyView:
        """Raises LookupError for an unknown family."""
        raise NotImplementedError

    def drawer_expected(
        self, location_id: str, staff_id: str, start: dt.datetime, end: dt.datetime, opening_float_cents: int = 0
    ) -> DrawerExpected:
        """Money taken by `staff_id` at this desk and location between start and end (aware)."""
        raise NotImplementedError

    # -- writes through the outbox (offline too) ----------------------------------------------

    async def post_charge(
        self, family_id: str, location_id: str, amount_cents: int, category: str, description: str,
        student_id: str | None = None,
    ) -> str:  # fmt: skip
        """Returns the charge's entry id. RejectedError with words on bad input (nothing written)."""
        raise NotImplementedError

    async def record_payment(
        self, family_id: str, location_id: str, method: str, amount_cents: int, *,
        apply_to: Sequence[str] = (), tendered_cents: int | None = None, check_number: str = "",
    ) -> PaymentOutcome:  # fmt: skip
        """Cash, check, terminal or credit. `apply_to`: charge ids in order, or oldest first."""
        raise NotImplementedError

    async def record_drawer_count(
        self, expected: DrawerExpected, counted_cash_cents: int, note: str = ""
    ) -> str:
        raise NotImplementedError

    # -- card payments and corrections (card ones online) ------------------------------------

    async def charge_card(
        self, family_id: str, location_id: str, amount_cents: int, card: CardInput, *, apply_to: Sequence[str] = ()
    ) -> PaymentOutcome:
        """Raises DeclinedError (nothing recorded), NetworkError with NO_CONNECTION_FOR_CARD when
        the server cannot be reached (retried with the same key first), RejectedError on bad input."""
        raise NotImplementedError

    async def void(self, entry_id: str, reason: str) -> CorrectionOutcome:
        """Void an entry (same business day for payments). Card payments: online, via the gateway."""
        raise NotImplementedError

    async def refund(self, entry_id: str, amount_cents: int, reason: str) -> CorrectionOutcome:
        """Refund part or all of a payment. Card payments: online, via the gateway."""
        raise NotImplementedError
