"""The built-in sandbox gateway: behaves like the public card sandboxes, charges nobody.

Test numbers follow the usual sandbox conventions (Stripe's): any valid number is approved
(4242 4242 4242 4242, 5555 5555 5555 4444, 3782 822463 10005, 6011 1111 1111 1117 ...), and
16-digit Visa numbers starting 400000 (4000 0000 0000 xxxx) decline by their last four digits:

    0002 declined   9995 insufficient_funds   0069 expired_card   0127 incorrect_cvc
    0119 processing_error   9979 lost_or_stolen

A number that fails the Luhn check, or a card past its expiry month, is refused before any
charge is made (nothing is stored). Everything else is stored in its own SQLite file with the
idempotency key UNIQUE, so a repeated key returns the first result, across server restarts
too. Only brand, last four, amount and references are kept: never the number.

Settlement: a sale settles at the end of its business day (local midnight in `timezone`), or
when the day's batch is closed early (`settle_batch`). A settled sale cannot be voided, only
refunded; an unsettled one may be voided or refunded.

For tests of the server's handling of a gateway outage, `fault` makes the next call fail:
"unreachable" before anything is done, "lost_answer" after the operation was stored, and
"crash_after" ends the whole server process (like SIGKILL) right after a sale was stored: the
moment between the charge and the ledger entry (server.payments.reconcile). The environment
variable FRONTDESK_SANDBOX_FAULT sets it at start (the crash tests run the server in a process).
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from server.payments.cards import CardUnusable, read_card
from server.payments.gateway import DECLINE_MESSAGES, GatewayResult, GatewayUnreachable, declined
from sync.core.wire_payments import CardData

FILE_NAME = "gateway-sandbox.sqlite3"
FAULT_ENV = "FRONTDESK_SANDBOX_FAULT"
TEST_ISSUER = "400000"  # Visa test numbers whose last four choose the decline
DECLINE_TRIGGERS: dict[str, str] = {
    "0002": "declined",
    "9995": "insufficient_funds",
    "0069": "expired_card",
    "0127": "incorrect_cvc",
    "0119": "processing_error",
    "9979": "lost_or_stolen",
}
SETTLED = "This card payment has already settled, so it can no longer be voided: refund it instead."
UNKNOWN = "The card service has no record of this payment."

_SCHEMA = """
CREATE TABLE IF NOT EXISTS operation (
    ref TEXT PRIMARY KEY,
    idempotency_key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('sale', 'void', 'refund')),
    parent_ref TEXT,
    status TEXT NOT NULL CHECK (status IN ('approved', 'declined')),
    decline_code TEXT,
    amount_cents INTEGER NOT NULL,
    currency TEXT NOT NULL,
    brand TEXT NOT NULL,
    last4 TEXT NOT NULL,
    approval_code TEXT NOT NULL,
    business_day TEXT NOT NULL,
    settled_at TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS operation_parent ON operation (parent_ref);
"""
_COLUMNS = ("ref", "idempotency_key", "kind", "parent_ref", "status", "decline_code", "amount_cents", "currency",
            "brand", "last4", "approval_code", "business_day", "settled_at", "created_at")  # fmt: skip


class SandboxGateway:
    name = "sandbox"

    def __init__(self, path: Path, *, timezone: str = "America/Chicago",
                 clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)):  # fmt: skip
        self.path = Path(path)
        self.zone = ZoneInfo(timezone)
        self.clock = clock
        self.fault: Literal["unreachable", "lost_answer", "crash_after"] | None = os.environ.get(FAULT_ENV) or None  # type: ignore[assignment]
        self._fault_lock = threading.Lock()
        with self._begin() as con:
            for statement in filter(str.strip, _SCHEMA.split(";")):  # executescript would commit early
                con.execute(statement)

    def close(self) -> None:
        pass  # a connection per call: nothing held open

    # -- the Gateway interface --------------------------------------------------------------

    def sale(self, amount_cents: int, currency: str, card: CardData, idempotency_key: str) -> GatewayResult:
        self._fail_before()
        try:
            facts = read_card(card)
        except CardUnusable:
            return declined("invalid_number")  # refused before any charge: nothing stored
        if facts.expired(self._today()):
            return declined("expired_card", facts.brand, facts.last4)
        trigger = DECLINE_TRIGGERS.get(facts.last4) if facts.first6 == TEST_ISSUER and facts.length == 16 else None
        with self._begin() as con:
            first = _by_key(con, idempotency_key)
            if first is not None:
                return self._after(_result(first))
            row = self._row(idempotency_key, "sale", None, amount_cents, currency, facts.brand, facts.last4, trigger)
            _insert(con, row)
        return self._after(_result(row))

    def find(self, idempotency_key: str) -> GatewayResult | None:
        self._fail_before()
        with self._begin() as con:
            first = _by_key(con, idempotency_key)
        return None if first is None else _result(first)

    def void(self, gateway_ref: str, idempotency_key: str) -> GatewayResult:
        self._fail_before()
        with self._begin() as con:
            first = _by_key(con, idempotency_key)
            if first is not None:
                return self._after(_result(first))
            sale = _sale(con, gateway_ref)
            if sale is None:
                return declined("processing_error", message=UNKNOWN)
            if self._settled(sale):
                return GatewayResult(approved=False, settled=True, message=SETTLED, brand=sale["brand"], last4=sale["last4"])
            if _corrected(con, gateway_ref):
                return declined("processing_error", sale["brand"], sale["last4"],
                                "This card payment was already voided or refunded; it cannot be voided now.")  # fmt: skip
            row = self._row(idempotency_key, "void", gateway_ref, sale["amount_cents"], sale["currency"], sale["brand"], sale["last4"], None)
            _insert(con, row)
        return self._after(_result(row))

    def refund(self, gateway_ref: str, amount_cents: int, idempotency_key: str) -> GatewayResult:
        self._fail_before()
        with self._begin() as con:
            first = _by_key(con, idempotency_key)
            if first is not None:
                return self._after(_result(first))
            sale = _sale(con, gateway_ref)
            if sale is None:
                return declined("processing_error", message=UNKNOWN)
            voided = con.execute("SELECT 1 FROM operation WHERE parent_ref = ? AND kind = 'void' AND status = 'approved'",
                                 (gateway_ref,)).fetchone()  # fmt: skip
            refunded = con.execute("SELECT coalesce(sum(amount_cents), 0) FROM operation WHERE parent_ref = ? "
                                   "AND kind = 'refund' AND status = 'approved'", (gateway_ref,)).fetchone()[0]  # fmt: skip
            if voided or amount_cents > sale["amount_cents"] - refunded:
                return declined("processing_error", sale["brand"], sale["last4"],
                                "That is more than this card payment has left to refund.")  # fmt: skip
            row = self._row(idempotency_key, "refund", gateway_ref, amount_cents, sale["currency"], sale["brand"], sale["last4"], None)
            _insert(con, row)
        return self._after(_result(row))

    # -- sandbox controls ---------------------------------------------------------------------

    def settle_batch(self) -> int:
        """Close today's batch now (as a processor does at its cut-off): every approved sale settles."""
        with self._begin() as con:
            return con.execute(
                "UPDATE operation SET settled_at = ? WHERE kind = 'sale' AND status = 'approved' AND settled_at IS NULL",
                (self.clock().isoformat(),),
            ).rowcount

    def add_past_sales(self, sales: Iterable[PastSale]) -> None:
        """Demo data: settled sales taken on earlier days (server.seed), so that refunding a seeded
        card payment works as on a real gateway. One transaction; a key already there is left alone."""
        now = self.clock().isoformat()
        with self._begin() as con:
            for sale in sales:
                if _by_key(con, sale.idempotency_key) is None:
                    _insert(con, {"ref": sale.gateway_ref, "idempotency_key": sale.idempotency_key, "kind": "sale",
                                  "parent_ref": None, "status": "approved", "decline_code": None,
                                  "amount_cents": sale.amount_cents, "currency": sale.currency, "brand": sale.brand,
                                  "last4": sale.last4, "approval_code": sale.approval_code,
                                  "business_day": sale.business_day.isoformat(), "settled_at": now, "created_at": now})  # fmt: skip

    # -- inside -----------------------------------------------------------------------------

    def _today(self) -> dt.date:
        return self.clock().astimezone(self.zone).date()

    def _settled(self, sale: sqlite3.Row) -> bool:
        return sale["settled_at"] is not None or dt.date.fromisoformat(sale["business_day"]) < self._today()

    def _row(self, key: str, kind: str, parent: str | None, amount: int, currency: str, brand: str, last4: str,
             decline: str | None) -> dict:  # fmt: skip
        return {
            "ref": f"sbx_{kind}_{secrets.token_hex(10)}", "idempotency_key": key, "kind": kind, "parent_ref": parent,
            "status": "declined" if decline else "approved", "decline_code": decline, "amount_cents": amount,
            "currency": currency, "brand": brand, "last4": last4,
            "approval_code": "" if decline else "".join(secrets.choice("0123456789ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(6)),
            "business_day": self._today().isoformat(), "settled_at": None, "created_at": self.clock().isoformat(),
        }  # fmt: skip

    def _fail_before(self) -> None:
        with self._fault_lock:
            if self.fault == "unreachable":
                self.fault = None
                raise GatewayUnreachable()

    def _after(self, result: GatewayResult) -> GatewayResult:
        with self._fault_lock:
            if self.fault == "lost_answer":
                self.fault = None
                raise GatewayUnreachable()
            if self.fault == "crash_after":
                os._exit(137)  # no cleanup, no answer: as if the machine lost power here
        return result

    @contextmanager
    def _begin(self) -> Iterator[sqlite3.Connection]:
        """One IMMEDIATE transaction: the key lookup and the insert cannot interleave with another call."""
        con = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        con.row_factory = sqlite3.Row
        try:
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("PRAGMA synchronous=FULL")
            con.execute("BEGIN IMMEDIATE")
            try:
                yield con
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")
        finally:
            con.close()


@dataclass(frozen=True)
class PastSale:
    gateway_ref: str
    idempotency_key: str
    amount_cents: int
    currency: str
    brand: str
    last4: str
    approval_code: str
    business_day: dt.date


def _by_key(con: sqlite3.Connection, key: str) -> sqlite3.Row | None:
    return con.execute("SELECT * FROM operation WHERE idempotency_key = ?", (key,)).fetchone()


def _sale(con: sqlite3.Connection, ref: str) -> sqlite3.Row | None:
    return con.execute("SELECT * FROM operation WHERE ref = ? AND kind = 'sale' AND status = 'approved'", (ref,)).fetchone()


def _corrected(con: sqlite3.Connection, ref: str) -> bool:
    return con.execute("SELECT 1 FROM operation WHERE parent_ref = ? AND status = 'approved'", (ref,)).fetchone() is not None


def _insert(con: sqlite3.Connection, row: dict) -> None:
    con.execute(f"INSERT INTO operation ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})",
                [row[c] for c in _COLUMNS])  # fmt: skip


def _result(row: sqlite3.Row | dict) -> GatewayResult:
    code = row["decline_code"]
    return GatewayResult(
        approved=row["status"] == "approved", gateway_ref=row["ref"], approval_code=row["approval_code"],
        decline_code=code, message=DECLINE_MESSAGES.get(code, "") if code else "", brand=row["brand"], last4=row["last4"],
    )  # fmt: skip
