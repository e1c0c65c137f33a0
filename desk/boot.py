"""Signed-in wiring: the one place that builds the sync stack for the desk's windows.

    DeskSession.open(config)  ->  DeskStore (cache + outbox in the desk's folder)
                                  ApiClient on an httpx.AsyncClient
                                  DeskAuth (tokens; refresh token in the OS keyring)
                                  SyncEngine (push/pull in the background)
    session.resume() / session.login(username, password)
    session.start()  ...  await session.close()

Everything here is sync/'s API; desk/ itself never talks SQL or HTTP.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx

from sync.auth import DeskAuth, SignedIn
from sync.client import ApiClient
from sync.core.clock import SYSTEM, Clock
from sync.engine import SyncEngine
from sync.offline_signin import OfflineVerifiers
from sync.paths import desk_data_dir
from sync.store import DeskStore
from sync.core.wire import Health

OFFLINE_FILE = "offline_signin.json"
# Short enough that a sign-in to a wrong address answers within seconds.
HTTP_TIMEOUT = httpx.Timeout(15.0, connect=5.0)
CHECK_TIMEOUT = httpx.Timeout(8.0, connect=5.0)  # "is this the server?" during first-run set-up


async def server_health(url: str) -> Health:
    """Whether a server answers at `url`, before any account is known; raises sync.errors.SyncError in words."""
    async with httpx.AsyncClient(timeout=CHECK_TIMEOUT) as http:
        return await ApiClient(http, url).health()


@dataclass(frozen=True)
class DeskConfig:
    server_url: str = ""
    account: str = ""
    username: str = ""
    data_dir: Path | None = None  # base folder; each server + account gets its own folder inside
    location_code: str | None = None
    desk_name: str = field(default_factory=socket.gethostname)
    engine_options: dict[str, Any] = field(default_factory=dict)  # SyncEngine knobs (tests make it quick)
    idle_lock_seconds: float = 300.0  # a shared desk locks itself after this long without a touch (0: never)
    offline_days: float = 7.0  # how long a password checked here still signs in without the server
    clock: Clock = SYSTEM  # what now and today are at this desk (tests and simulations pin it)
    # A code from the owner that sets this computer up as a desk at its first sign-in, for staff
    # who may not do it themselves (server.desks); managers and the owner need none.
    enrollment_code: str = ""


class DeskSession:
    """One server + account at this desk: its data, its sign-in and its sync."""

    def __init__(self, config: DeskConfig):
        self.config = config
        self.store = DeskStore(desk_data_dir(config.server_url, config.account, base=config.data_dir), clock=config.clock)
        self.http = httpx.AsyncClient(timeout=HTTP_TIMEOUT)
        self.client = ApiClient(self.http, config.server_url)
        # The desk code of each sign-in goes into the outbox file: receipt numbers work offline and after a restart.
        self.auth = DeskAuth(self.client, config.server_url, config.account, self.store.desk_id, config.desk_name,
                             keep_desk_code=self.store.keep_desk_code, enrollment_code=config.enrollment_code or None,
                             desk_folder=self.store.data_dir)  # fmt: skip
        self.auth.subscribe(self._signed)
        # Each session's proof goes beside every change the person makes (sync.core.staff_proof).
        self.auth.on_session = self.store.outbox.staff_proofs.__setitem__
        # Staff who signed in here before may sign in while the server is out of reach (sync.offline_signin).
        self.auth.offline_verifiers = OfflineVerifiers(self.store.data_dir / OFFLINE_FILE, days=config.offline_days,
                                                      clock=config.clock.now)
        self.engine = SyncEngine(self.store, self.client, **config.engine_options)
        self.signed: SignedIn | None = None
        self._closed = False

    @classmethod
    def open(cls, config: DeskConfig) -> DeskSession:
        return cls(config)

    def matches(self, server_url: str, account: str) -> bool:
        return (self.config.server_url.rstrip("/"), self.config.account.lower()) == (
            server_url.rstrip("/"), account.lower())

    async def resume(self) -> SignedIn | None:
        """Signed in again from the keyring (even offline), or None when a password is needed."""
        return await self.auth.resume()

    async def login(self, username: str, password: str, enrollment_code: str | None = None) -> SignedIn:
        """Raises sync.errors.AuthError (wrong password, a computer not set up as a desk),
        NetworkError (server unreachable), ..."""
        return await self.auth.login(username, password, enrollment_code)

    def _signed(self, signed: SignedIn | None) -> None:
        self.signed = signed
        self.store.staff_id = signed.staff.id if signed else None  # every write is made in their name
        if signed is not None and signed.staff_proof:
            self.store.outbox.staff_proofs[signed.staff.id] = signed.staff_proof
        if signed is not None and (signed.card_key or not signed.offline):
            # Only staff who may check in get the card keys (issue 19): another's sign-in online takes them away.
            self.store.card_key = signed.card_key
            self.store.old_card_keys = list(signed.old_card_keys)
        if signed is not None:
            self.engine.kick()  # tokens are fresh: send what waited for them

    @property
    def staff_name(self) -> str:
        return self.signed.staff.display_name if self.signed else ""

    @property
    def account_name(self) -> str:
        return self.signed.account.name if self.signed else self.config.account

    def start(self) -> None:
        """Start syncing in the background (needs the running qasync loop)."""
        self.engine.start()

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        await self.engine.stop()
        await self.http.aclose()
        self.store.close()


class SignInFlow:
    """Sign-in attempts from the sign-in window; a changed server or account gets its own session."""

    def __init__(self, config: DeskConfig, session: DeskSession | None = None):
        self.config = config
        self.session = session

    async def attempt(self, server_url: str, account: str, username: str, password: str,
                      enrollment_code: str | None = None) -> DeskSession:  # fmt: skip
        """Raises sync.errors.SyncError when the sign-in fails; the window says why and stays open."""
        if self.session is None or not self.session.matches(server_url, account):
            if self.session is not None:
                await self.session.close()
            c = self.config
            self.session = DeskSession.open(replace(c, server_url=server_url, account=account, username=username))
        await self.session.login(username, password, enrollment_code)
        return self.session
