"""The OS password store, when there is one we trust with secrets (service "Frontdesk").

Headless Linux often has no backend; keyrings.alt's backends write plain or home-made files and
are not used. Every failure (no backend, a locked store, D-Bus trouble) reads as "not kept".
"""

from __future__ import annotations

import logging

import keyring
import keyring.errors
from keyring.backends import chainer, fail, null

log = logging.getLogger(__name__)

SERVICE = "Frontdesk"


def secure_backend() -> keyring.backend.KeyringBackend | None:
    """The OS password store, or None when there is none we should trust with a token."""
    backend = keyring.get_keyring()
    inner = backend.backends if isinstance(backend, chainer.ChainerBackend) else [backend]
    usable = [b for b in inner if not isinstance(b, (fail.Keyring, null.Keyring))]
    if not usable or any(type(b).__module__.startswith("keyrings.alt") for b in usable):
        return None  # keyrings.alt keeps secrets in plain or home-made files: not for tokens
    return backend


def put(key: str, value: str) -> bool:
    """Keep `value`; whether the store really has it now."""
    backend = secure_backend()
    if backend is None:
        return False
    try:
        backend.set_password(SERVICE, key, value)
        return backend.get_password(SERVICE, key) == value  # a store that drops writes is no store
    except Exception as exc:  # NoKeyringError, a locked store, D-Bus trouble: all mean "not kept"
        log.warning("could not keep a secret in the keyring: %r", exc)
        return False


def get(key: str) -> str | None:
    backend = secure_backend()
    if backend is None:
        return None
    try:
        return backend.get_password(SERVICE, key)
    except Exception as exc:
        log.warning("could not read the keyring: %r", exc)
        return None


def remove(key: str) -> None:
    backend = secure_backend()
    if backend is None:
        return
    try:
        backend.delete_password(SERVICE, key)
    except keyring.errors.PasswordDeleteError:
        pass  # nothing stored
    except Exception as exc:
        log.warning("could not remove a secret from the keyring: %r", exc)
