"""Failed logins are rate-limited per (account, username), so passwords cannot be guessed fast,
and per client address (a higher limit: a desk network signs many people in), so one machine
cannot spray many usernames either.

A running server counts the failures in its registry (`store`), so every server process behind
the same proxy counts the same ones and a guesser gains nothing by being spread over them. Keys
are SHA-256 hashes: the registry keeps no usernames or addresses for this. Without a store (unit
tests) the failures are kept in memory.
"""

from __future__ import annotations

import hashlib
import random
import threading
import time
from collections import deque
from typing import Protocol

PRUNE_CHANCE = 0.02  # how often a failure also clears other keys' stale rows, not only its own


class FailureStore(Protocol):
    def failures_since(self, keys: list[str], cutoff: float) -> dict[str, list[float]]: ...
    def add_failures(self, keys: list[str], at: float, forget_before: float, prune_all: bool = False) -> None: ...
    def clear_failures(self, key: str) -> None: ...


class MemoryFailures:
    def __init__(self) -> None:
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def failures_since(self, keys: list[str], cutoff: float) -> dict[str, list[float]]:
        with self._lock:
            return {k: [t for t in self._failures.get(k, ()) if t >= cutoff] for k in keys}

    def add_failures(self, keys: list[str], at: float, forget_before: float, prune_all: bool = False) -> None:
        with self._lock:
            for key in list(self._failures) if prune_all else keys:
                times = self._failures.get(key)
                while times and times[0] < forget_before:
                    times.popleft()
                if times is not None and not times:
                    del self._failures[key]
            for key in keys:
                self._failures.setdefault(key, deque()).append(at)

    def clear_failures(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)


class LoginThrottle:
    def __init__(
        self,
        max_failures: int = 10,
        window_seconds: float = 300.0,
        clock=time.time,
        max_per_address: int = 50,
        store: FailureStore | None = None,
    ):
        self.max_failures = max_failures
        self.max_per_address = max_per_address
        self.window = window_seconds
        self.clock = clock  # wall-clock seconds: shared by every process that uses the store
        self.store: FailureStore = store if store is not None else MemoryFailures()

    @staticmethod
    def _user_key(account: str, username: str) -> str:
        return _hash("user", account.strip().lower(), username.strip().lower())

    @staticmethod
    def _address_key(address: str) -> str:
        return _hash("address", address)

    def retry_after(self, account: str, username: str, address: str | None = None) -> int:
        """Seconds to wait before another attempt; 0 when one is allowed now."""
        limits = {self._user_key(account, username): self.max_failures}
        if address:
            limits[self._address_key(address)] = self.max_per_address
        now = self.clock()
        recent = self.store.failures_since(list(limits), now - self.window)
        return max(self._wait(recent[key], limit, now) for key, limit in limits.items())

    def _wait(self, times: list[float], limit: int, now: float) -> int:
        if len(times) < limit:
            return 0
        return max(1, int(times[-limit] + self.window - now) + 1)

    def failed(self, account: str, username: str, address: str | None = None) -> None:
        keys = [self._user_key(account, username)] + ([self._address_key(address)] if address else [])
        now = self.clock()
        self.store.add_failures(keys, now, now - self.window, prune_all=random.random() < PRUNE_CHANCE)

    def succeeded(self, account: str, username: str) -> None:
        self.store.clear_failures(self._user_key(account, username))


def _hash(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
