"""This desk's credential (server.desks): what proves, at every sign-in and refresh, that this
computer is the desk the server enrolled. Made here before the first sign-in, which enrolls it.

Kept in the OS keyring under a key of its own ("<server>/<account>/<desk id>/desk"): signing out
forgets the sign-in, never the desk. A computer without a password store keeps it in an
owner-only file in the desk's folder instead (like offline_signin.json): without it, every
restart would need a manager to set the desk up again.
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from sync import keyring_store

log = logging.getLogger(__name__)

FILE_NAME = "desk_credential"


class DeskCredential:
    def __init__(self, keyring_key: str | None, folder: Path | None = None):
        """`folder`: where the owner-only file goes on a computer without a password store
        (None: nowhere; the credential then lasts this run). `keyring_key` None: the file only."""
        self.keyring_key = keyring_key
        self.path = Path(folder) / FILE_NAME if folder is not None else None
        self._secret: str | None = None
        self._loaded = False

    @classmethod
    def in_folder(cls, folder: Path) -> DeskCredential:
        """Kept in the desk's folder only (a headless desk process that must not touch a keyring)."""
        return cls(None, folder)

    def load(self) -> str | None:
        """The credential, or None before the desk is enrolled (blocks: call it in a thread)."""
        if not self._loaded:
            held = keyring_store.get(self.keyring_key) if self.keyring_key is not None else None
            self._secret = held or self._read_file()
            self._loaded = True
        return self._secret

    def load_or_make(self) -> str:
        """The credential, made and kept first when there is none: a desk sends it with its first
        sign-in, so a sign-in whose answer was lost is sent again as it was (blocks)."""
        secret = self.load()
        if secret is None:
            secret = secrets.token_urlsafe(32)
            self.keep(secret)
        return secret

    def keep(self, secret: str) -> None:
        """Keep a new credential (blocks)."""
        self._secret, self._loaded = secret, True
        if self.keyring_key is not None and keyring_store.put(self.keyring_key, secret):
            self._remove_file()
            return
        if self.path is None:
            log.warning("no password store and no folder: this desk's credential lasts this run only")
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secret)
        os.replace(tmp, self.path)

    def forget(self) -> None:
        """The server refused it (the desk was retired): a manager sets the desk up again."""
        self._secret, self._loaded = None, True
        if self.keyring_key is not None:
            keyring_store.remove(self.keyring_key)
        self._remove_file()

    def _read_file(self) -> str | None:
        if self.path is None:
            return None
        try:
            return self.path.read_text().strip() or None
        except (FileNotFoundError, OSError):
            return None

    def _remove_file(self) -> None:
        if self.path is not None:
            self.path.unlink(missing_ok=True)
