"""When a shared desk locks itself, and how it is unlocked (plain Python, no widgets).

The desk locks after `timeout` seconds without a key or a click (0: never). The signed-in staff
member unlocks with their PIN; after MAX_PIN_TRIES wrong PINs only a password will do, so a
four-digit PIN cannot be guessed at the desk. Anyone may "switch user" with their password.
"""

from __future__ import annotations

import time
from collections.abc import Callable

MAX_PIN_TRIES = 5
DEFAULT_TIMEOUT = 300.0  # five minutes


class IdleLock:
    def __init__(self, timeout: float = DEFAULT_TIMEOUT, clock: Callable[[], float] = time.monotonic):
        self.timeout = timeout
        self.clock = clock
        self.locked = False
        self.pin_tries = 0
        self._last_touch = clock()

    def touched(self) -> None:
        if not self.locked:
            self._last_touch = self.clock()

    def due(self) -> bool:
        """Time to lock: unlocked, and idle for the whole timeout."""
        return not self.locked and self.timeout > 0 and self.clock() - self._last_touch >= self.timeout

    def lock(self) -> None:
        self.locked = True
        self.pin_tries = 0

    def unlock(self) -> None:
        self.locked = False
        self.pin_tries = 0
        self._last_touch = self.clock()

    @property
    def pin_allowed(self) -> bool:
        return self.pin_tries < MAX_PIN_TRIES

    def pin_failed(self) -> str:
        """Words for a wrong PIN, saying what is left to do."""
        self.pin_tries += 1
        if not self.pin_allowed:
            return "Too many wrong PINs. Sign in with your password to unlock."
        left = MAX_PIN_TRIES - self.pin_tries
        return f"That PIN is not right. {left} more {'try' if left == 1 else 'tries'}, then your password is needed."
