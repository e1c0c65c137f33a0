"""Staff password hashes (Argon2id)."""

from __future__ import annotations

import functools
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


@functools.cache
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(16))


def verify_password(password: str, password_hash: str | None) -> bool:
    """True when the password matches; with no hash (no such user) it still spends the same time,
    so a caller cannot tell a wrong username from a wrong password by the clock."""
    try:
        return _hasher.verify(password_hash or _dummy_hash(), password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def warm_up() -> None:
    """Make the dummy hash now, so the first failed login is not slower than the others."""
    _dummy_hash()
