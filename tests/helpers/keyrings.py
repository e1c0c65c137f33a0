"""A password store that lives in the test process: the real keyring code path, no OS store."""

from __future__ import annotations

from collections.abc import Iterator

import keyring
import keyring.backend
import keyring.errors
import pytest


class MemoryKeyring(keyring.backend.KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.items.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError(username)

    def sign_ins(self) -> dict[tuple[str, str], str]:
        """The sign-in entries: all but the desks' credentials (".../desk", sync.desk_credential),
        which a sign-out leaves in place."""
        return {k: v for k, v in self.items.items() if not k[1].endswith("/desk")}


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    """This process's keyring for the test: an empty in-memory one; the old one comes back after."""
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)
