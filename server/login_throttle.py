"""Failed logins are rate-limited per (account, username), so passwords cannot be guessed fast,
and per client address (a higher limit: a desk network signs many people in), so one machine
cannot spray many usernames either.

Kept in memory: a restart forgets, which is fine for slowing down guessing at a front desk.
"""

from __future__ import annotations

import threading
import time
from collections import deque


class LoginThrottle:
    def __init__(
        self, max_failures: int = 10, window_seconds: float = 300.0, clock=time.monotonic, max_per_address: int = 50
    ):
        self.max_failures = max_failures
        self.max_per_address = max_per_address
        self.window = window_seconds
        self.clock = clock
        self._failures: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _key(account: str, username: str) -> tuple[str, str]:
        return account.strip().lower(), username.strip().lower()

    def _recent(self, key: tuple[str, str]) -> deque[float]:
        times = self._failures.get(key) or deque()
        cutoff = self.clock() - self.window
        while times and times[0] < cutoff:
            times.popleft()
        return times

    def retry_after(self, account: str, username: str, address: str | None = None) -> int:
        """Seconds to wait before another attempt; 0 when one is allowed now."""
        with self._lock:
            waits = [self._wait(self._key(account, username), self.max_failures)]
            if address:
                waits.append(self._wait(("@address", address), self.max_per_address))
            return max(waits)

    def _wait(self, key: tuple[str, str], limit: int) -> int:
        times = self._recent(key)
        if len(times) < limit:
            return 0
        return max(1, int(times[-limit] + self.window - self.clock()) + 1)

    def failed(self, account: str, username: str, address: str | None = None) -> None:
        with self._lock:
            keys = [self._key(account, username)] + ([("@address", address)] if address else [])
            for key in keys:
                times = self._recent(key)
                times.append(self.clock())
                self._failures[key] = times

    def succeeded(self, account: str, username: str) -> None:
        with self._lock:
            self._failures.pop(self._key(account, username), None)
