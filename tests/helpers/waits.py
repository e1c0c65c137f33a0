"""Waiting in tests for a thing itself, not for a fixed time: one rule for async and plain tests.

`until` (async) lets the running loop (asyncio or qasync) work between looks, so never call a
blocking wait inside a qasync test; `wait_for` is for plain tests and other processes. Both fail
with what they waited for; `check` runs at each look and may raise sooner (a desk process died).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator

Check = Callable[[], None] | None
Describe = Callable[[], str] | None


def _looks(predicate: Callable[[], object], timeout: float, what: str, interval: float, check: Check,
           describe: Describe) -> Iterator[float]:  # fmt: skip
    """Yields the pause before the next look while `predicate()` is false; raises once time is up."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if check is not None:
            check()
        if time.monotonic() > deadline:
            more = f"\n{describe()}" if describe else ""
            raise AssertionError(f"timed out after {timeout} s waiting for {what or predicate}{more}")
        yield interval


async def until(predicate: Callable[[], object], timeout: float = 10.0, what: str = "", *, interval: float = 0.02,
                check: Check = None, describe: Describe = None) -> None:  # fmt: skip
    """Await `predicate()` becoming true, letting the event loop run meanwhile."""
    for pause in _looks(predicate, timeout, what, interval, check, describe):
        await asyncio.sleep(pause)


def wait_for(predicate: Callable[[], object], timeout: float = 10.0, what: str = "", *, interval: float = 0.05,
             check: Check = None, describe: Describe = None) -> None:  # fmt: skip
    """Block until `predicate()` is true (plain tests; the thing waited for runs elsewhere)."""
    for pause in _looks(predicate, timeout, what, interval, check, describe):
        time.sleep(pause)
