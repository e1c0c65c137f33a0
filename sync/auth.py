"""A desk's sign-in: tokens in memory, the refresh token in the OS keyring, never in a file.

    auth = DeskAuth(client, server_url, account="acme", desk_id=store.desk_id, desk_name="Front 1")
    signed = await auth.resume()                  # next start: no password if the keyring has us
    if signed is None:
        signed = await auth.login("alex", "secret")   # raises AuthError on a wrong password
    store.staff_id = signed.staff.id
    if signed.notice: show(signed.notice)         # e.g. no password store on this computer

The keyring entry (service "Frontdesk", one key per server + account + desk) holds the refresh
token and the signed-in staff member's public details, so a desk restarted while the server is
unreachable still knows who is signed in and keeps working; the tokens are renewed when the
server is back. A 401 on any call triggers one refresh (`ApiClient.on_unauthorized`).

Headless Linux often has no keyring backend: the sign-in then lasts for this run only, and
`SignedIn.notice` says so in words. Backends that would write a plain file (keyrings.alt) are
not used.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path

from sync import keyring_store
from sync.client import ApiClient
from sync.core.clock import Clock, SystemClock
from sync.core.staff_proof import session_proof
from sync.desk_credential import DeskCredential
from sync.offline_signin import OfflineVerifiers, verify_pin
from sync.staff_client import revoke_refresh_token
from sync.errors import AuthError, NetworkError, ServerError
from sync.paths import server_key
from sync.core.wire import AccountPublic, StaffPublic, TokenResponse

log = logging.getLogger(__name__)

SERVICE = keyring_store.SERVICE
OFFLINE_REFUSED = (
    "Can't reach the server, and this desk can't check that password offline. Only staff who signed in "
    "here in the last few days can sign in without the server: check the password, or sign in when the connection is back."
)
OFFLINE_NOTICE = "Signed in without the server. Your work is saved on this computer and will be sent when the connection is back."
NO_STORE_MESSAGE = "This computer has no password store, so you will need to sign in again next time."


@dataclass(frozen=True)
class SignedIn:
    staff: StaffPublic
    account: AccountPublic
    remembered: bool  # the sign-in is in the OS keyring: the next start needs no password
    offline: bool = False  # resumed from the keyring without reaching the server (tokens renewed later)
    notice: str | None = None  # something to tell the person, in words
    card_key: str | None = None  # the account's member-card key (sync.core.member_cards); None before a first sign-in
    old_card_keys: tuple[str, ...] = ()  # the key before its last rotation: cards seen under it are stored anew
    desk_code: str | None = None  # this desk's code in receipt numbers, when the server gave one this time
    # This session's proof that the person signed in here (sync.core.staff_proof); None when the desk
    # holds no key for them (their changes then pass only under their own token).
    staff_proof: str | None = None


class DeskAuth:
    def __init__(
        self, client: ApiClient, server_url: str, account: str, desk_id: str, desk_name: str = "",
        *, keep_desk_code: Callable[[str], Awaitable[None]] | None = None, enrollment_code: str | None = None,
        desk_folder: Path | None = None, clock: Clock | None = None,
    ):  # fmt: skip
        """`keep_desk_code`: where the desk code of each token answer goes (DeskStore.keep_desk_code,
        into the outbox file), so receipt numbers work offline and after a restart.
        `enrollment_code`: a code from the owner, for a first sign-in here by someone who may not
        set desks up. `desk_folder`: where the desk credential goes without a password store."""
        self.client = client
        self.keep_desk_code = keep_desk_code
        self.account = account
        self.desk_id = desk_id
        self.desk_name = desk_name
        self.enrollment_code = enrollment_code
        self.keyring_key = f"{server_key(server_url)}/{account.lower()}/{desk_id}"
        # This desk's proof to the server (server.desks), beside the sign-in, never forgotten by a sign-out.
        self.credential = DeskCredential(f"{self.keyring_key}/desk", desk_folder)
        self.clock = clock or SystemClock()
        self.staff_key: str | None = None  # the signed-in person's key at this desk (sync.core.staff_proof)
        # Where a new session proof goes when it is made outside a sign-in (a PIN unlock):
        # DeskSession sets it to the outbox's proofs, so the changes that follow carry it.
        self.on_session: Callable[[str, str], None] | None = None
        self.current: SignedIn | None = None
        # Set by the desk (desk.boot) to allow offline sign-in; None: a password needs the server.
        self.offline_verifiers: OfflineVerifiers | None = None
        self.pin_verifier: str | None = None  # the signed-in staff member's quick-unlock PIN (Argon2)
        self._refresh_token: str | None = None  # in memory too: refreshes work without a keyring
        self._lock = asyncio.Lock()
        self._listeners: list[Callable[[SignedIn | None], None]] = []
        client.on_unauthorized = self._refresh_after_401

    def subscribe(self, callback: Callable[[SignedIn | None], None]) -> None:
        """Called after every sign-in, resume and sign-out (None), e.g. to set DeskStore.staff_id."""
        self._listeners.append(callback)

    async def login(self, username: str, password: str, enrollment_code: str | None = None) -> SignedIn:
        """Sign in with a password; raises AuthError (wrong password, a desk the server does not
        know), NetworkError, ... The first sign-in here enrolls the desk when the person may set
        desks up or brings an `enrollment_code`."""
        secret = await asyncio.to_thread(self.credential.load_or_make)
        try:
            tokens = await self.client.login(self.account, username, password, self.desk_id, self.desk_name,
                                             desk_secret=secret, enrollment_code=enrollment_code or self.enrollment_code)  # fmt: skip
        except AuthError as exc:
            if exc.code == "desk_refused":
                # Retired (or the server lost it): a manager's sign-in here sets the desk up anew.
                await asyncio.to_thread(self.credential.forget)
            raise
        except NetworkError:
            # Someone who never signed in here (or long ago) simply needs the server.
            if self.offline_verifiers is None or not await asyncio.to_thread(self.offline_verifiers.knows, username):
                raise
            return await self._signed_in_offline(username, password)
        signed = await self._signed_in(tokens)
        if self.offline_verifiers is not None:
            await asyncio.to_thread(self.offline_verifiers.remember, username, password, tokens)
        return signed

    async def _signed_in_offline(self, username: str, password: str) -> SignedIn:
        assert self.offline_verifiers is not None
        cached = await asyncio.to_thread(self.offline_verifiers.check, username, password)
        if cached is None:
            raise AuthError(OFFLINE_REFUSED, code="offline_sign_in")
        self.pin_verifier = cached.pin_verifier
        self.staff_key = cached.staff_key  # unwrapped with the password just checked
        self.current = SignedIn(staff=cached.staff, account=cached.account, remembered=False, offline=True, notice=OFFLINE_NOTICE,
                                staff_proof=self._new_proof())  # fmt: skip
        self._notify()
        return self.current

    def check_pin(self, pin: str) -> bool:
        """Whether `pin` unlocks this desk for the signed-in staff member (works offline). An
        unlock starts a new session, with its own proof (sync.core.staff_proof)."""
        ok = self.current is not None and verify_pin(self.pin_verifier, pin)
        proof = self._new_proof() if ok else None
        if proof is not None and self.current is not None:
            self.current = replace(self.current, staff_proof=proof)
            if self.on_session is not None:
                self.on_session(self.current.staff.id, proof)
        return ok

    def _new_proof(self) -> str | None:
        return session_proof(self.staff_key, self.clock.now()) if self.staff_key else None

    @property
    def permissions(self) -> frozenset[str]:
        """What the signed-in staff member may do, as the server last said (the desk only mirrors it)."""
        return frozenset(self.current.staff.permissions) if self.current else frozenset()

    async def resume(self) -> SignedIn | None:
        """Sign in again from the keyring; None when there is nothing stored or it was refused."""
        stored = await asyncio.to_thread(_read, self.keyring_key)
        if stored is None:
            return None
        self._refresh_token = stored["refresh_token"]
        try:
            async with self._lock:
                secret = await asyncio.to_thread(self.credential.load)
                tokens = await self.client.refresh(stored["refresh_token"], self.desk_id, secret)
        except AuthError:
            log.info("stored sign-in for %s was refused; a password is needed", self.keyring_key)
            await self.sign_out()
            return None
        except (NetworkError, ServerError):
            # Work offline as the stored staff member; the first call that reaches the server
            # gets tokens through on_unauthorized.
            self.pin_verifier = stored.get("pin_verifier")
            self.staff_key = stored.get("staff_key")
            self.current = SignedIn(
                staff=StaffPublic.model_validate(stored["staff"]),
                account=AccountPublic.model_validate(stored["account"]),
                remembered=True,
                offline=True,
                card_key=stored.get("card_key"),
                old_card_keys=tuple(stored.get("old_card_keys") or ()),
                staff_proof=self._new_proof(),
            )
            self._notify()
            return self.current
        return await self._signed_in(tokens)

    async def refresh(self) -> None:
        """New tokens from the refresh token; raises AuthError when the server refuses it."""
        async with self._lock:
            await self._refresh_locked()

    async def sign_out(self) -> None:
        """Forget the sign-in here and in the keyring; the server revokes the refresh token."""
        if self._refresh_token is not None:
            await revoke_refresh_token(self.client, self._refresh_token, self.desk_id)
        self.pin_verifier = None
        self.staff_key = None
        self.client.access_token = None
        self._refresh_token = None
        self.current = None
        await asyncio.to_thread(_delete, self.keyring_key)
        self._notify()

    @property
    def signed_in(self) -> bool:
        return self.current is not None

    async def _refresh_after_401(self) -> bool:
        seen = self.client.access_token
        async with self._lock:
            if self.client.access_token is not None and self.client.access_token != seen:
                return True  # another call refreshed while we waited for the lock
            if self._refresh_token is None:
                return False
            try:
                await self._refresh_locked()
            except AuthError:
                return False  # the caller re-raises its 401: sign in again
        return True

    async def _refresh_locked(self) -> None:
        if self._refresh_token is None:
            raise AuthError("Please sign in again.", code="signed_out")
        try:
            secret = await asyncio.to_thread(self.credential.load)
            tokens = await self.client.refresh(self._refresh_token, self.desk_id, secret)
        except AuthError:
            self.client.access_token = None
            self._refresh_token = None
            await asyncio.to_thread(_delete, self.keyring_key)
            raise
        await self._keep(tokens)

    async def _signed_in(self, tokens: TokenResponse) -> SignedIn:
        remembered = await self._keep(tokens)
        self.pin_verifier = tokens.pin_verifier
        self.staff_key = tokens.staff_key
        self.current = SignedIn(
            staff=tokens.staff, account=tokens.account, remembered=remembered, notice=None if remembered else NO_STORE_MESSAGE,
            card_key=tokens.card_key, old_card_keys=tuple(tokens.old_card_keys), desk_code=tokens.desk_code,
            staff_proof=self._new_proof(),
        )
        self._notify()
        return self.current

    async def _keep(self, tokens: TokenResponse) -> bool:
        """Hold the new tokens; returns whether the keyring has the refresh token."""
        if tokens.desk_secret:  # the answer that enrolled this desk: its credential, given once
            await asyncio.to_thread(self.credential.keep, tokens.desk_secret)
        self.client.access_token = tokens.access_token
        self._refresh_token = tokens.refresh_token
        await self._keep_desk_code(tokens.desk_code)
        entry = {
            "refresh_token": tokens.refresh_token,
            "staff": tokens.staff.model_dump(mode="json"),
            "account": tokens.account.model_dump(mode="json"),
            "pin_verifier": tokens.pin_verifier,  # a locked desk unlocks after a restart offline too
            "card_key": tokens.card_key,  # member cards work offline after a restart too
            "old_card_keys": tokens.old_card_keys,
            "staff_key": tokens.staff_key,  # their changes made after an offline restart are still proven
        }
        return await asyncio.to_thread(_write, self.keyring_key, entry)

    async def _keep_desk_code(self, code: str | None) -> None:
        if not code or self.keep_desk_code is None:
            return
        try:
            await self.keep_desk_code(code)
        except Exception:  # a full disk must not undo a sign-in; payments will say what is missing
            log.exception("could not keep this desk's code")

    def _notify(self) -> None:
        for callback in list(self._listeners):
            try:
                callback(self.current)
            except Exception:
                log.exception("sign-in listener %r failed", callback)


def _write(key: str, entry: dict) -> bool:
    return keyring_store.put(key, json.dumps(entry))


def _read(key: str) -> dict | None:
    value = keyring_store.get(key)
    try:
        entry = json.loads(value) if value else None
    except ValueError as exc:
        log.warning("could not read the sign-in from the keyring: %r", exc)
        return None
    if not isinstance(entry, dict) or not {"refresh_token", "staff", "account"} <= entry.keys():
        return None
    return entry


def _delete(key: str) -> None:
    keyring_store.remove(key)
