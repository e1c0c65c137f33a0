"""Wake waiting desks when their account changes: the bell behind /v1/sync/wait (long-poll).

Push rings the bell of the account after its transaction committed; every request waiting on
that account returns at once and its desk pulls. The bell lives in this process only, so a
waiter also re-reads the account's change number every `recheck` seconds: with several server
processes a change made through another one is still seen within that time. For an account in
PostgreSQL the bell also tells the other processes at once, through the account's database
(LISTEN/NOTIFY, server.live_pg); for one in a SQLite file, the file's own change is seen within
a tenth of a second (server.live_sqlite). Its waiters then re-read only now and then, as a
safety net.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Protocol

from sync.core.waits import wait_set

RECHECK = 0.5
RELAYED_RECHECK = 5.0  # when another process's changes are announced (LISTEN), looking is only a safety net

_Waiter = tuple[asyncio.AbstractEventLoop, asyncio.Event]


class Relay(Protocol):
    """Tells other server processes that an account changed, and hears them (server.live_pg)."""

    def publish(self, account_id: str, head: int | None = None) -> None: ...
    def listening(self, account_id: str) -> bool: ...
    def watch(self, account_id: str) -> None: ...


class ChangeBell:
    def __init__(self, recheck: float = RECHECK, relay: Relay | None = None) -> None:
        self._waiters: dict[str, set[_Waiter]] = {}
        self._lock = threading.Lock()
        self.closing = False
        self.recheck = recheck
        self.relay = relay
        # The last change number read per account, shared by its waiters in this process: a few
        # hundred waiting desks then cost one read per account per `recheck`, not one each.
        # Forgotten whenever the account's bell rings.
        self._heads: dict[str, tuple[float, int]] = {}
        self._rung: dict[str, int] = {}  # rings per account: a read begun before a ring is not shared after it
        self._reading: dict[str, tuple[int, asyncio.Future]] = {}
        self._told: dict[str, int] = {}  # the highest committed change number a ring brought, per account waited on

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

    def ring(self, account_id: str, head: int | None = None) -> None:
        """Safe from any thread (push runs in the threadpool). `head`: the change number the
        change committed took, when the caller knows it; the waiters then need not read it."""
        self.wake(account_id, head)
        if self.relay is not None:
            self.relay.publish(account_id, head)

    def waiting_on(self, account_id: str) -> int:
        with self._lock:
            return len(self._waiters.get(account_id, ()))

    def wake(self, account_id: str, head: int | None = None) -> None:
        """Wake this process's waiters on the account (another process's change, or this one's).

        With `head`, a committed change's number, a waiter that has not seen it answers with it
        and reads nothing (bench/load: those reads were a tenth of a PostgreSQL server's busy
        time). The head may be higher still by now; the desk pulls up to the real one and hears
        of any later change at its next wait. Without it the waiters read the head."""
        with self._lock:
            self._heads.pop(account_id, None)
            if head is not None and account_id in self._waiters:
                self._told[account_id] = max(head, self._told.get(account_id, head))
            self._rung[account_id] = self._rung.get(account_id, 0) + 1
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
        if self.relay is not None:
            self.relay.watch(account_id)
        try:
            deadline = time.monotonic() + timeout
            while True:
                event.clear()
                told = self._told.get(account_id)  # committed, so a lower bound of the head: past `after`, news
                now = told if told is not None and told > after else await self._head(account_id, head)
                left = deadline - time.monotonic()
                if now > after or left <= 0 or self.closing or (gone is not None and await gone()):
                    return now
                relayed = self.relay is not None and self.relay.listening(account_id)
                await wait_set(event, min(left, max(self.recheck, RELAYED_RECHECK) if relayed else self.recheck))
        finally:
            with self._lock:
                waiting = self._waiters.get(account_id)
                if waiting is not None:
                    waiting.discard(me)
                    if not waiting:
                        del self._waiters[account_id]
                        self._heads.pop(account_id, None)
                        self._rung.pop(account_id, None)
                        self._told.pop(account_id, None)

    async def _head(self, account_id: str, head: Callable[[], int]) -> int:
        """The account's change number: read now, or by another waiter less than `recheck` ago
        and not rung since (then it is as fresh as looking now could promise)."""
        with self._lock:
            known = self._heads.get(account_id)
            rung = self._rung.get(account_id, 0)
        if known is not None and time.monotonic() - known[0] < self.recheck * 0.9:
            return known[1]
        shared = self._reading.get(account_id)  # one read at a time per account; the others share it
        if shared is not None and shared[0] == rung:
            return await asyncio.shield(shared[1])
        reading = asyncio.get_running_loop().create_future()
        self._reading[account_id] = (rung, reading)
        try:
            began = time.monotonic()
            value = await asyncio.to_thread(head)
            with self._lock:
                if account_id in self._waiters and self._rung.get(account_id, 0) == rung:
                    self._heads[account_id] = (began, value)
            reading.set_result(value)
            return value
        except BaseException as exc:
            reading.set_exception(exc)
            reading.exception()  # retrieved: the sharers re-raise it themselves
            raise
        finally:
            if self._reading.get(account_id, (None, None))[1] is reading:
                del self._reading[account_id]


_bells: dict[int, ChangeBell] = {}
_bells_lock = threading.Lock()


def bell_of(app: object) -> ChangeBell:
    """The bell of one app (each test server has its own), told of other processes' changes
    to accounts in PostgreSQL."""
    with _bells_lock:
        bell = _bells.get(id(app))
        if bell is None:
            state = getattr(getattr(app, "state", None), "frontdesk", None)
            recheck = state.settings.live_recheck_seconds if state is not None else RECHECK
            bell = _bells[id(app)] = ChangeBell(recheck)
            if state is not None:
                from server.live_pg import PgRelay
                from server.live_sqlite import SqliteRelay

                bell.relay = Relays(PgRelay(state, bell), SqliteRelay(state, bell))
        return bell


class Relays:
    """Several relays as one: each acts on the accounts of its own kind of database."""

    def __init__(self, *relays: Relay) -> None:
        self.relays = relays

    def publish(self, account_id: str, head: int | None = None) -> None:
        for relay in self.relays:
            relay.publish(account_id, head)

    def listening(self, account_id: str) -> bool:
        return any(relay.listening(account_id) for relay in self.relays)

    def watch(self, account_id: str) -> None:
        for relay in self.relays:
            relay.watch(account_id)


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
