"""Failed logins are rate-limited per (account, username), so passwords cannot be guessed fast.

Kept in memory: a restart forgets, which is fine for slowing down guessing at a front desk.
"""

from __future__ import annotations

import threading
import time
from collections import deque


class LoginThrottle:
    def __init__(self, max_failures: int = 10, window_seconds: float = 300.0, clock=time.monotonic):
        self.max_failures = max_failures
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

    def retry_after(self, account: str, username: str) -> int:
        """Seconds to wait before another attempt; 0 when one is allowed now."""
        with self._lock:
            times = self._recent(self._key(account, username))
            if len(times) < self.max_failures:
                return 0
            return max(1, int(times[0] + self.window - self.clock()) + 1)

    def failed(self, account: str, username: str) -> None:
        with self._lock:
            key = self._key(account, username)
            times = self._recent(key)
            times.append(self.clock())
            self._failures[key] = times

    def succeeded(self, account: str, username: str) -> None:
        with self._lock:
            self._failures.pop(self._key(account, username), None)
