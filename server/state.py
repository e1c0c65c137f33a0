"""What one running server holds: settings, the registry, open account databases, signing key."""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import dataclass, field

from server.account_db import AccountDatabase, AccountDatabases
from server.errors import Busy
from server.login_throttle import LoginThrottle
from server.pull import RecentPages
from server.registry import Account, Registry
from server.revocations import Revocations
from server.settings import Settings
from server.tokens import load_signing_key
from sync.core.clock import SYSTEM, Clock
from sync.core.ids import utcnow

# How long a process trusts its list of accounts being moved; `move-account` waits longer than
# this before it stops the old database, so every process refuses the account's requests by then.
MOVING_TTL = 0.25
# How long a process trusts an account row it read (its database's location); a move that ends
# is noticed through the moving list above, sooner.
ACCOUNT_TTL = 5.0
MOVING = "This account's data is being moved on the server; this takes a moment. Please try again."


@dataclass
class ServerState:
    settings: Settings
    registry: Registry
    signing_key: bytes
    databases: AccountDatabases = field(default_factory=AccountDatabases)
    throttle: LoginThrottle = field(default_factory=LoginThrottle)
    pages: RecentPages = field(default_factory=RecentPages)  # pull pages asked for by several desks at once
    clock: Clock = SYSTEM  # what now and today are on this server
    revocations: Revocations | None = None  # sign-ins whose access tokens are refused now (made by open)
    _moving: tuple[float, frozenset[str]] = (float("-inf"), frozenset())
    _moving_lock: threading.Lock = field(default_factory=threading.Lock)
    _accounts: dict[str, tuple[float, Account]] = field(default_factory=dict)

    @classmethod
    def open(cls, settings: Settings, clock: Clock = SYSTEM) -> ServerState:
        registry = Registry(settings.data_dir, url=settings.registry_url or None, secret_key=settings.secret_key or None)
        # Failed sign-ins are counted in the registry, so every server process counts the same ones.
        throttle = LoginThrottle(store=registry)
        registry.access_lifetime = dt.timedelta(minutes=settings.access_token_minutes)
        return cls(settings=settings, registry=registry, signing_key=load_signing_key(settings.data_dir), throttle=throttle,
                   clock=clock, revocations=Revocations(registry))  # fmt: skip

    def account(self, account_id: str) -> Account | None:
        """The registry's row of an account, read at most every ACCOUNT_TTL seconds."""
        held = self.account_if_known(account_id)
        if held is not None:
            return held
        account = self.registry.account_by_id(account_id)
        if account is not None:
            self._accounts[account_id] = (time.monotonic(), account)
        return account

    def account_db(self, account: Account) -> AccountDatabase:
        account = self._usable(account)
        return self.databases.get(account.id, lambda: self.registry.account_db_url(account), account.db_location)

    def account_if_known(self, account_id: str) -> Account | None:
        """The account's row when this process read it less than ACCOUNT_TTL ago (no I/O); else None."""
        held = self._accounts.get(account_id)
        return held[1] if held is not None and time.monotonic() - held[0] < ACCOUNT_TTL else None

    def account_db_if_open(self, account: Account) -> AccountDatabase | None:
        """Like account_db when that needs no I/O (fit for the event loop): the database is open,
        the list of moves and the account's row are fresh in memory, and it is not being moved.
        Otherwise None, and account_db (in a thread) answers."""
        at, moving = self._moving
        if time.monotonic() - at >= MOVING_TTL or account.id in moving:
            return None
        held = self._accounts.get(account.id)
        if held is None or held[1] is not account:
            account = self.account_if_known(account.id)
            if account is None:
                return None
        return self.databases.peek(account.id, account.db_location)

    def _usable(self, account: Account) -> Account:
        if account.id in self.moving_now() and account.id in self.moving_now(fresh=True):
            raise Busy(MOVING, retry_after=2)
        held = self._accounts.get(account.id)
        if held is None or held[1] is not account:
            # Not the row this process trusts now (a move ended since it was read, or it came
            # from elsewhere): the database's location is taken from the trusted one.
            account = self.account(account.id) or account
        return account

    def moving_now(self, fresh: bool = False) -> frozenset[str]:
        """The ids of accounts being moved, read from the registry at most every MOVING_TTL seconds."""
        at, ids = self._moving
        now = time.monotonic()
        if now - at < MOVING_TTL and not fresh:
            return ids
        with self._moving_lock:
            at, ids = self._moving
            if now - at >= MOVING_TTL or fresh:
                moves = self.registry.moves()
                ids = frozenset(k for k, m in moves.items() if m.ended_at is None)
                self._moving = (time.monotonic(), ids)
                recent = utcnow() - dt.timedelta(seconds=ACCOUNT_TTL + 5)
                for account_id, m in moves.items():
                    if m.ended_at is None or m.ended_at > recent:  # moved lately: its row is read again
                        self._accounts.pop(account_id, None)
        return ids

    def close(self) -> None:
        self.databases.close()
        self.registry.close()
