"""Secrets the registry keeps for accounts (their PostgreSQL passwords), encrypted with a server key.

The key comes from the environment (FRONTDESK_SECRET_KEY), never from the data dir or the
registry: a copy of the registry, or a backup of it, then opens no account database. Fernet
(cryptography) is authenticated encryption with a versioned token format; several keys may be
given, comma-separated: the first encrypts, every one decrypts, so a key can be rotated.
"""

from __future__ import annotations

import os

from server.errors import OperatorError

KEY_ENV = "FRONTDESK_SECRET_KEY"


class SecretKeyError(OperatorError, RuntimeError):
    """No usable server key, or a secret it cannot open; the message says what to do."""


def new_key() -> str:
    """A fresh key for FRONTDESK_SECRET_KEY (`frontdesk-server new-secret-key`)."""
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode("ascii")


class SecretBox:
    def __init__(self, keys: str):
        from cryptography.fernet import Fernet, MultiFernet

        parts = [k.strip() for k in keys.split(",") if k.strip()]
        if not parts:
            raise SecretKeyError(_MISSING)
        try:
            self._fernet = MultiFernet([Fernet(k.encode("ascii")) for k in parts])
        except (ValueError, UnicodeEncodeError):
            raise SecretKeyError(
                f"{KEY_ENV} is not a valid key (32 url-safe base64-encoded bytes); make one with `frontdesk-server new-secret-key`."
            ) from None

    def __repr__(self) -> str:
        return "SecretBox(<keys hidden>)"

    def encrypt(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        from cryptography.fernet import InvalidToken

        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except InvalidToken:
            raise SecretKeyError(
                f"An account's database password cannot be decrypted with {KEY_ENV}: it was encrypted with another key. "
                f"Set {KEY_ENV} to the key used when the account was made (a list \"new,old\" during a change of key)."
            ) from None


_MISSING = (
    f"{KEY_ENV} is not set. Accounts kept in PostgreSQL have their database passwords encrypted with it: "
    f"make one with `frontdesk-server new-secret-key` and give every server process and admin command the same key."
)


def box_from_env(keys: str | None = None) -> SecretBox:
    """The box of `keys`, or of $FRONTDESK_SECRET_KEY; SecretKeyError when there is none."""
    keys = keys if keys else os.environ.get(KEY_ENV, "")
    if not keys.strip():
        raise SecretKeyError(_MISSING)
    return SecretBox(keys)
