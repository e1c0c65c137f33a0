"""Card sales left under way: the server died between charging the card and writing the ledger.

server.payments.card_sale marks a sale "pending" before the gateway is asked and removes the mark
in the ledger entry's transaction. A mark still there after `stale_after` seconds means nobody
finished it: not the server that died, and not the desk, which would have sent the same request
again by then (its retry takes the mark over and records the payment). Such a sale is settled
here, once, whichever server process gets to it first:

- the mark is claimed ("reconciling", its clock restarted) in its own transaction;
- the gateway is asked what it did under the sale's key: nothing, or a decline, means nothing
  was charged; an approved charge is voided (refunded in full when it has settled already);
- the attempt becomes a decline with words for the desk, so a late retry is answered "not
  charged, take the payment again" rather than charging or recording anything; audited.

A gateway that cannot be reached leaves the mark for the next sweep. `CardSweeper` runs the
sweep in the background: at start for every account (a process that died may have left marks),
then every `interval` seconds for the accounts with marks.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlmodel import col, select

from server.account_db import AccountDatabase, audit
from server.payments.abandon import has_abandons, settle_abandoned
from server.payments.attempts import UNDER_WAY, CardAttempt
from server.payments.gateway import Gateway, GatewayResult, GatewayUnreachable
from server.state import ServerState
from sync.core.ids import utcnow
from sync.core.schema import CardAbandon

log = logging.getLogger("frontdesk.server.payments")

NOT_CHARGED = ("The server stopped before this card payment was finished, and the card was not charged. "
               "Please take the payment again.")  # fmt: skip
CANCELLED = ("The server stopped before this card payment was recorded, so the charge was cancelled and the "
             "card was not charged. Please take the payment again.")  # fmt: skip


@dataclass(frozen=True)
class Settled:
    key: str
    outcome: str  # not_charged | cancelled | left (the gateway could not be reached or would not cancel)


def has_marks(adb: AccountDatabase) -> bool:
    with adb.read_session() as db:
        return db.exec(select(CardAttempt.key).where(col(CardAttempt.status).in_(UNDER_WAY), CardAttempt.kind == "sale")
                       .limit(1)).first() is not None  # fmt: skip


def settle_stale(adb: AccountDatabase, gateway: Gateway, stale_after: float, abandoned_after: float = 60.0) -> list[Settled]:
    """Settle every sale under way for longer than `stale_after` seconds, or `abandoned_after`
    once the desk gave it up (server.payments.abandon: no retry will come); returns what was done."""
    cutoff = utcnow() - dt.timedelta(seconds=stale_after)
    given_up = utcnow() - dt.timedelta(seconds=min(stale_after, abandoned_after))
    with adb.write_session() as db:
        # Sales only: a void or refund under way is settled by its abandon (server.payments.abandon).
        abandoned = select(CardAbandon.id)
        stale = db.exec(select(CardAttempt).where(
            col(CardAttempt.status).in_(UNDER_WAY), CardAttempt.kind == "sale",
            (col(CardAttempt.at) < cutoff) | ((col(CardAttempt.at) < given_up) & col(CardAttempt.key).in_(abandoned)),
        )).all()  # fmt: skip
        for row in stale:  # claimed: no other sweep, and no retry, takes these for a while
            row.status, row.at = "reconciling", utcnow()
        claimed = [(row.key, row.amount_cents) for row in stale]
        db.commit()
    return [_settle(adb, gateway, key, amount) for key, amount in claimed]


def _settle(adb: AccountDatabase, gateway: Gateway, key: str, amount_cents: int) -> Settled:
    try:
        found = gateway.find(key)
        if found is None or not found.approved:
            outcome, result = "not_charged", found
        else:
            result = gateway.void(found.gateway_ref, f"{key}/reconcile")
            if not result.approved and result.settled:
                result = gateway.refund(found.gateway_ref, amount_cents, f"{key}/reconcile-refund")
            outcome = "cancelled" if result.approved else "left"
    except GatewayUnreachable:
        outcome, result = "left", None
    with adb.write_session() as db:
        row = db.get(CardAttempt, key)
        if row is None or row.status != "reconciling":  # not ours any more (cannot happen while claimed)
            return Settled(key, "left")
        if outcome == "left":
            row.status = "pending"  # tried again at the next sweep; the clock was restarted by the claim
            log.error("card sale %s is charged but not on the ledger, and could not be cancelled yet", key)
            audit(db, "payment.card_reconcile_failed", staff_id=row.staff_id, desk_id=row.desk_id, record_type="ledger_entry",
                  record_id=key, family_id=row.family_id, amount_cents=row.amount_cents, brand=row.brand, last4=row.last4,
                  message=result.message if result is not None else "card service unreachable")  # fmt: skip
        else:
            row.status, row.decline_code = "declined", "processing_error"
            row.message = CANCELLED if outcome == "cancelled" else NOT_CHARGED
            audit(db, "payment.card_reconciled", staff_id=row.staff_id, desk_id=row.desk_id, record_type="ledger_entry",
                  record_id=key, outcome=outcome, family_id=row.family_id, amount_cents=row.amount_cents, brand=row.brand,
                  last4=row.last4, gateway_ref=_ref(result), source="server")  # fmt: skip
        db.commit()
    return Settled(key, outcome)


def _ref(result: GatewayResult | None) -> str:
    return result.gateway_ref if result is not None else ""


class CardSweeper:
    """Runs settle_stale and settle_abandoned in the background (the app's lifespan starts and
    stops it). `due` wakes it at once: a desk that gave up on a card call is answered in
    seconds, not at the next interval."""

    def __init__(self, state: ServerState, gateway: Gateway, stale_after: float, interval: float = 60.0,
                 ring: Callable[[str], object] | None = None, chosen: Callable[[str], Gateway | None] | None = None,
                 abandoned_after: float = 60.0):  # fmt: skip
        self.state = state
        self.abandoned_after = abandoned_after
        self.chosen = chosen  # an account's own gateway (server.payments.choice), None for the default
        self.ring = ring  # the change bell: desks pull what a sweep wrote at once
        self.gateway = gateway
        self.stale_after = stale_after
        self.interval = interval
        self._due: set[str] = set()  # accounts with sales under way or calls given up on
        self._task: asyncio.Task | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self._task = asyncio.create_task(self._run(), name="card-sweeper")

    async def stop(self) -> None:
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task

    def due(self, account_id: str, *, now: bool = False) -> None:
        """A card sale was started for this account, or a call given up on (`now`: sweep at once).
        Called from the routes' worker threads too."""
        self._due.add(account_id)
        if now and self._loop is not None and self._wake is not None:
            self._loop.call_soon_threadsafe(self._wake.set)

    async def _run(self) -> None:
        assert self._wake is not None
        try:
            self._due.update(await asyncio.to_thread(self._accounts_with_marks))
        except Exception:
            log.exception("card sweep: could not look for sales left under way")
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.interval)
            self._wake.clear()
            for account_id in sorted(self._due):
                try:
                    if not await asyncio.to_thread(self._sweep, account_id):
                        self._due.discard(account_id)
                except Exception:
                    log.exception("card sweep of account %s failed", account_id)

    def _accounts_with_marks(self) -> list[str]:
        found = []
        for account in self.state.registry.accounts():
            try:
                adb = self.state.account_db(account)
                if has_marks(adb) or has_abandons(adb):
                    found.append(account.id)
            except Exception:
                log.exception("card sweep: account %s could not be read", account.id)
        return found

    def _sweep(self, account_id: str) -> bool:
        """Settle what is stale or given up on; True while the account still has some left."""
        account = self.state.account(account_id)
        if account is None:
            return False
        adb = self.state.account_db(account)
        gateway = (self.chosen(account_id) if self.chosen is not None else None) or self.gateway
        for settled in settle_stale(adb, gateway, self.stale_after, self.abandoned_after):
            log.warning("card sale %s left under way: %s", settled.key, settled.outcome)
        outcomes = settle_abandoned(adb, gateway)
        for outcome in outcomes:
            log.info("card call %s given up on at the desk: %s", outcome.key, outcome.status)
        if self.ring is not None and any(o.status != "waiting" for o in outcomes):
            self.ring(account_id)
        return has_marks(adb) or has_abandons(adb)
