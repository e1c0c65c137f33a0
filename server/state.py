"""What one running server holds: settings, the registry, open account databases, signing key."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from server.account_db import AccountDatabase, AccountDatabases
from server.login_throttle import LoginThrottle
from server.registry import Account, Registry
from server.settings import Settings
from server.tokens import load_signing_key

# How long a process trusts its list of accounts being moved; `move-account` waits longer than
# this before it stops the old database, so every process refuses the account's requests by then.
MOVING_TTL = 0.25
MOVING = "This account's data is being moved on the server; this takes a moment. Please try again."


@dataclass
class ServerState:
    settings: Settings
    registry: Registry
    signing_key: bytes
    databases: AccountDatabases = field(default_factory=AccountDatabases)
    throttle: LoginThrottle = field(default_factory=LoginThrottle)
    _moving: tuple[float, frozenset[str]] = (float("-inf"), frozenset())
    _moving_lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def open(cls, settings: Settings) -> ServerState:
        registry = Registry(settings.data_dir, url=settings.registry_url or None, secret_key=settings.secret_key or None)
        # Failed sign-ins are counted in the registry, so every server process counts the same ones.
        throttle = LoginThrottle(store=registry)
        return cls(settings=settings, registry=registry, signing_key=load_signing_key(settings.data_dir), throttle=throttle)

    def account_db(self, account: Account) -> AccountDatabase:
        if account.id in self.moving_now() and account.id in self.moving_now(fresh=True):  # a move just ended is seen at once
            from server.errors import ApiError

            raise ApiError(503, "busy", MOVING, headers={"Retry-After": "2"})
        return self.databases.get(account.id, lambda: self.registry.account_db_url(account), account.db_location)

    def moving_now(self, fresh: bool = False) -> frozenset[str]:
        """The ids of accounts being moved, read from the registry at most every MOVING_TTL seconds."""
        at, ids = self._moving
        now = time.monotonic()
        if now - at < MOVING_TTL and not fresh:
            return ids
        with self._moving_lock:
            at, ids = self._moving
            if now - at >= MOVING_TTL or fresh:
                ids = frozenset(self.registry.moving())
                self._moving = (time.monotonic(), ids)
        return ids

    def close(self) -> None:
        self.databases.close()
        self.registry.close()
