"""Live changes across server processes for accounts in PostgreSQL: LISTEN/NOTIFY in the
account's own database.

After a push commits, the process that took it sends NOTIFY on the account's database (through
PgBouncer is fine: NOTIFY is an ordinary statement). Every process with a desk waiting on that
account LISTENs there and wakes its waiters. LISTEN needs a session that outlives transactions,
which PgBouncer's transaction pooling does not give, so listeners connect to the PostgreSQL
server itself (AccountPg.direct_url), one connection per account being waited on, closed when
nobody has waited on it for a while. A lost notification costs little: waiters still look at
the change number every RELAYED_RECHECK seconds (server.live).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import uuid
from dataclasses import dataclass, field

from sqlalchemy import make_url, text
from sqlalchemy.exc import SQLAlchemyError

log = logging.getLogger("frontdesk.server.live")

CHANNEL = "frontdesk_changes"
IDLE_SECONDS = 30.0  # a listener nobody waited on for this long hangs up
RETRY_SECONDS = 5.0  # after a listener failed, its account's waiters fall back to looking often
# How often a listener stops to see whether anyone still waits: each stop re-registers its socket
# with the event loop, a cost per account that grows with how often it stops.
LOOK_EVERY = 5.0
ORIGIN = uuid.uuid4().hex  # this process, in what it announces


@dataclass
class _Listener:
    account_id: str
    ready: bool = False
    task: asyncio.Task | None = field(default=None, repr=False)


class PgRelay:
    """The relay of one server process's bell (server.live.ChangeBell)."""

    def __init__(self, state, bell) -> None:  # noqa: ANN001 - ServerState, ChangeBell (no import cycle)
        self.state = state
        self.bell = bell
        self._listeners: dict[str, _Listener] = {}
        self._failed_at: dict[str, float] = {}
        self._lock = threading.Lock()

    def _pg_database(self, account_id: str):  # noqa: ANN202 - AccountDatabase | None
        adb = self.state.databases.opened(account_id)
        if adb is None or adb.engine.dialect.name != "postgresql":
            return None
        return adb.current()

    def publish(self, account_id: str, head: int | None = None) -> None:
        """Tell the other processes (any thread; after the change committed), with the change's
        number when known, and which process this is: it rang its own bell already."""
        adb = self._pg_database(account_id)
        if adb is None:
            return
        try:
            # Outside a transaction: one round trip through PgBouncer, not three (BEGIN, NOTIFY, COMMIT).
            with adb.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("SELECT pg_notify(:channel, :said)"), {"channel": CHANNEL, "said": f"{ORIGIN} {head or ''}"})
        except SQLAlchemyError as exc:  # the others still see the change at their next look
            log.warning("could not announce a change of account %s: %s", account_id, _first_line(exc))

    def listening(self, account_id: str) -> bool:
        listener = self._listeners.get(account_id)
        return listener is not None and listener.ready

    def watch(self, account_id: str) -> None:
        """A desk waits on the account (called on the event loop): listen there, if not yet."""
        if self.bell.closing or self._pg_database(account_id) is None:
            return
        with self._lock:
            if account_id in self._listeners:
                return
            if time.monotonic() - self._failed_at.get(account_id, float("-inf")) < RETRY_SECONDS:
                return
            listener = self._listeners[account_id] = _Listener(account_id)
        listener.task = asyncio.get_running_loop().create_task(self._listen(listener), name=f"listen-{account_id}")

    async def _listen(self, listener: _Listener) -> None:
        import psycopg

        account_id = listener.account_id
        try:
            account = await asyncio.to_thread(self.state.registry.account_by_id, account_id)
            if account is None:
                return
            url = await asyncio.to_thread(self.state.registry.account_direct_url, account)
            conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
            conn = await psycopg.AsyncConnection.connect(conninfo, autocommit=True, connect_timeout=5)
            async with conn:
                await conn.execute(f"LISTEN {CHANNEL}")
                listener.ready = True
                idle_since: float | None = None
                while not self.bell.closing:
                    async for notice in conn.notifies(timeout=LOOK_EVERY):
                        origin, _, head = notice.payload.partition(" ")
                        if origin != ORIGIN:  # this process's own changes rang its bell as they committed
                            self.bell.wake(account_id, int(head) if head.isdigit() else None)
                    if self.bell.waiting_on(account_id):
                        idle_since = None
                    elif idle_since is None:
                        idle_since = time.monotonic()
                    elif time.monotonic() - idle_since > IDLE_SECONDS:
                        return
        except Exception as exc:  # noqa: BLE001 - the database went away (a move, a restart): look again
            with self._lock:
                self._failed_at[account_id] = time.monotonic()
            log.info("stopped listening for changes of account %s: %s", account_id, _first_line(exc))
        finally:
            listener.ready = False
            with self._lock:
                self._listeners.pop(account_id, None)
            self.bell.wake(account_id)  # its waiters look at the database now, not in RELAYED_RECHECK


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
