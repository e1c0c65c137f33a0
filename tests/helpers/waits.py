"""Waiting in tests for a thing itself, not for a fixed time: one rule for async and plain tests.

`until` (async) lets the running loop (asyncio or qasync) work between looks, so never call a
blocking wait inside a qasync test; `wait_for` is for plain tests and other processes. Both fail
with what they waited for; `check` runs at each look and may raise sooner (a desk process died).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable


class _Deadline:
    def __init__(self, timeout: float, what: str, predicate: Callable[[], object], describe: Callable[[], str] | None):
        self.at = time.monotonic() + timeout
        self.timeout, self.what, self.predicate, self.describe = timeout, what, predicate, describe

    def passed(self) -> bool:
        if time.monotonic() <= self.at:
            return False
        more = f"\n{self.describe()}" if self.describe else ""
        raise AssertionError(f"timed out after {self.timeout} s waiting for {self.what or self.predicate}{more}")


async def until(predicate: Callable[[], object], timeout: float = 10.0, what: str = "", *, interval: float = 0.02,
                check: Callable[[], None] | None = None, describe: Callable[[], str] | None = None) -> None:  # fmt: skip
    """Await `predicate()` becoming true, letting the event loop run meanwhile."""
    deadline = _Deadline(timeout, what, predicate, describe)
    while not predicate():
        if check is not None:
            check()
        deadline.passed()
        await asyncio.sleep(interval)


def wait_for(predicate: Callable[[], object], timeout: float = 10.0, what: str = "", *, interval: float = 0.05,
             check: Callable[[], None] | None = None, describe: Callable[[], str] | None = None) -> None:  # fmt: skip
    """Block until `predicate()` is true (plain tests; the thing waited for runs elsewhere)."""
    deadline = _Deadline(timeout, what, predicate, describe)
    while not predicate():
        if check is not None:
            check()
        deadline.passed()
        time.sleep(interval)
