"""Offline sign-in: staff who signed in at this desk before can sign in while the server is out
of reach, against a locally cached Argon2 verifier of their password, for a limited time.

    verifiers = OfflineVerifiers(desk_folder / "offline_signin.json", days=7)
    verifiers.remember("alex", "secret", tokens)        # after every password sign-in that the server accepted
    entry = verifiers.check("alex", "secret")           # None: unknown here, wrong, or too old

The file holds, per username, an Argon2id hash made on this desk (never the server's hash, never
the password), the staff member's public details and permissions as the server last gave them,
their PIN verifier, and when it was made. The permissions only steer what the desk shows: the
server checks them again for every change when it is pushed. Written owner-only.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from sync.core.wire import AccountPublic, StaffPublic, TokenResponse

DEFAULT_DAYS = 7
_hasher = PasswordHasher()
_dummy = _hasher.hash("no such staff member here")


@dataclass(frozen=True)
class CachedSignIn:
    staff: StaffPublic
    account: AccountPublic
    pin_verifier: str | None
    saved_at: dt.datetime
    staff_key: str | None = None  # their key at this desk (sync.core.staff_proof), unwrapped with the password


class OfflineVerifiers:
    def __init__(self, path: Path, days: float = DEFAULT_DAYS, clock=lambda: dt.datetime.now(dt.UTC)):
        self.path = Path(path)
        self.lifetime = dt.timedelta(days=days)
        self.clock = clock

    def remember(self, username: str, password: str, tokens: TokenResponse) -> None:
        entries = self._load()
        entries[_key(username)] = {
            "verifier": _hasher.hash(password),
            "staff": tokens.staff.model_dump(mode="json"),
            "account": tokens.account.model_dump(mode="json"),
            "pin_verifier": tokens.pin_verifier,
            "saved_at": self.clock().isoformat(),
            # Wrapped under a key made from their password: whoever reads this file cannot
            # prove changes in their name without it (sync.core.staff_proof).
            "staff_key": wrap(password, tokens.staff_key) if tokens.staff_key else None,
        }
        self._save(entries)

    def check(self, username: str, password: str) -> CachedSignIn | None:
        """The cached sign-in when the password matches a fresh enough verifier; else None.

        A missing username still costs one Argon2 check, like the server's sign-in."""
        entry = self._load().get(_key(username))
        ok = _verify(entry["verifier"] if entry else _dummy, password) and entry is not None
        if not ok or entry is None:
            return None
        saved = dt.datetime.fromisoformat(entry["saved_at"])
        if self.clock() - saved > self.lifetime:
            return None
        return CachedSignIn(
            staff=StaffPublic.model_validate(entry["staff"]),
            account=AccountPublic.model_validate(entry["account"]),
            pin_verifier=entry.get("pin_verifier"),
            saved_at=saved,
            staff_key=unwrap(password, entry["staff_key"]) if entry.get("staff_key") else None,
        )

    def knows(self, username: str) -> bool:
        """Whether this desk holds a fresh enough verifier for the username."""
        entry = self._load().get(_key(username))
        return entry is not None and self.clock() - dt.datetime.fromisoformat(entry["saved_at"]) <= self.lifetime

    def forget(self, username: str) -> None:
        entries = self._load()
        if entries.pop(_key(username), None) is not None:
            self._save(entries)

    def _load(self) -> dict[str, dict]:
        try:
            data = json.loads(self.path.read_text())
        except (FileNotFoundError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _save(self, entries: dict[str, dict]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(entries, f)
        os.replace(tmp, self.path)


def wrap(password: str, secret: str) -> dict[str, str]:
    """`secret` encrypted (AES-GCM) under an Argon2id key of `password` and a fresh salt."""
    salt, nonce = os.urandom(16), os.urandom(12)
    sealed = AESGCM(_password_key(password, salt)).encrypt(nonce, secret.encode(), None)
    return {"salt": salt.hex(), "nonce": nonce.hex(), "sealed": sealed.hex()}


def unwrap(password: str, wrapped: dict[str, str]) -> str | None:
    try:
        key = _password_key(password, bytes.fromhex(wrapped["salt"]))
        return AESGCM(key).decrypt(bytes.fromhex(wrapped["nonce"]), bytes.fromhex(wrapped["sealed"]), None).decode()
    except (InvalidTag, KeyError, ValueError, TypeError):
        return None


def _password_key(password: str, salt: bytes) -> bytes:
    return hash_secret_raw(password.encode(), salt, time_cost=_hasher.time_cost, memory_cost=_hasher.memory_cost,
                           parallelism=_hasher.parallelism, hash_len=32, type=Type.ID)  # fmt: skip


def verify_pin(pin_verifier: str | None, pin: str) -> bool:
    return pin_verifier is not None and _verify(pin_verifier, pin)


def _verify(hashed: str, secret: str) -> bool:
    try:
        return _hasher.verify(hashed, secret)
    except (VerificationError, InvalidHashError):
        return False


def _key(username: str) -> str:
    return username.strip().lower()
