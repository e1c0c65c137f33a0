"""Wake waiting desks when their account changes: the bell behind /v1/sync/wait (long-poll).

Push rings the bell of the account after its transaction committed; every request waiting on
that account returns at once and its desk pulls. The bell lives in this process only, so a
waiter also re-reads the account's change number every `RECHECK` seconds: with several server
processes a change made through another one is still seen within that time.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable

RECHECK = 0.5

_Waiter = tuple[asyncio.AbstractEventLoop, asyncio.Event]


class ChangeBell:
    def __init__(self) -> None:
        self._waiters: dict[str, set[_Waiter]] = {}
        self._lock = threading.Lock()
        self.closing = False

    def close(self) -> None:
        """The server is stopping: every wait answers now, so no desk holds the shutdown up.

        Called from a signal handler, so it takes no lock (the interrupted code may hold it).
        """
        self.closing = True
        try:
            waiters = [w for group in list(self._waiters.values()) for w in list(group)]
        except RuntimeError:  # changed while we looked: the closing flag still ends them within RECHECK
            waiters = []
        for loop, event in waiters:
            if not loop.is_closed():
                loop.call_soon_threadsafe(event.set)

    def ring(self, account_id: str) -> None:
        """Safe from any thread (push runs in the threadpool)."""
        with self._lock:
            waiters = list(self._waiters.get(account_id, ()))
        for loop, event in waiters:
            if not loop.is_closed():
                loop.call_soon_threadsafe(event.set)

    async def wait_past(
        self,
        account_id: str,
        after: int,
        head: Callable[[], int],
        timeout: float,
        gone: Callable[[], Awaitable[bool]] | None = None,
    ) -> int:
        """Wait until the account's change number `head()` passes `after`, or `timeout`; returns it.

        The waiter is registered before the first read, so a change committed in between rings it.
        `head` runs in a worker thread (it reads the database). `gone()` says the desk hung up:
        the wait ends then, so a closing desk or a stopping server is not held for `timeout`.
        """
        loop = asyncio.get_running_loop()
        event = asyncio.Event()
        me = (loop, event)
        with self._lock:
            self._waiters.setdefault(account_id, set()).add(me)
        try:
            deadline = time.monotonic() + timeout
            while True:
                event.clear()
                now = await asyncio.to_thread(head)
                left = deadline - time.monotonic()
                if now > after or left <= 0 or self.closing or (gone is not None and await gone()):
                    return now
                try:
                    await asyncio.wait_for(event.wait(), min(left, RECHECK))
                except TimeoutError:
                    pass
        finally:
            with self._lock:
                waiting = self._waiters.get(account_id)
                if waiting is not None:
                    waiting.discard(me)
                    if not waiting:
                        del self._waiters[account_id]


_bells: dict[int, ChangeBell] = {}
_bells_lock = threading.Lock()


def bell_of(app: object) -> ChangeBell:
    """The bell of one app (each test server has its own)."""
    with _bells_lock:
        return _bells.setdefault(id(app), ChangeBell())


def release_waits_on_exit(server: object, app: object) -> None:
    """Make a uvicorn.Server answer the long-polls at once when it is told to stop (SIGTERM, Ctrl+C).

    Uvicorn waits for open requests before it stops; without this a restart would wait for every
    desk's long-poll to time out.
    """
    original = server.handle_exit  # type: ignore[attr-defined]

    def handle_exit(sig: int, frame: object) -> None:
        bell_of(app).close()
        original(sig, frame)

    server.handle_exit = handle_exit  # type: ignore[attr-defined]
