"""Live changes across server processes for accounts in SQLite files: the file tells.

Every commit to an account's SQLite database (WAL mode) writes to its `-wal` file, whichever
process made it (the file is made anew, another inode, after the last connection closed), so a
change of the file's size, modification time or inode is a sign that the account may have
changed. One thread per server process looks at the files of the accounts that desks wait on
every POLL seconds (a stat each, off the event loop; no database read) and rings their bell when
a file changed; the waiters then read the change number, once per account. This replaces
each account's look at the database every `recheck` seconds (server.live), which at two looks
a second for every account with a waiting desk cost more reads than the desks' own pulls
(bench/load's profile). A false alarm (a checkpoint, our own commit) costs one read.

A modification time is only as fine as the kernel's clock tick, so a second commit within the
same tick, overwriting the WAL at the same size, would look like no change: a file changed less
than RACY seconds before it was looked at is not trusted, and looked at again as changed.
The waiters still read the database every RELAYED_RECHECK seconds (server.live) as a safety net.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path

log = logging.getLogger("frontdesk.server.live")

POLL = 0.1
RACY = 0.02  # well above a kernel tick (1-10 ms), the coarsest a file's mtime moves by
IDLE_SECONDS = 30.0  # an account nobody waited on for this long is no longer looked at


def _stat(path: Path) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def _stamp(wal: Path) -> tuple[tuple[int, int, int] | None, bool]:
    """The file's identity, size and mtime, and whether it changed too lately to trust its mtime."""
    stamp = _stat(wal)
    return stamp, stamp is not None and time.time_ns() - stamp[2] < RACY * 1e9


class SqliteRelay:
    """The SQLite relay of one server process's bell (server.live.ChangeBell)."""

    def __init__(self, state, bell) -> None:  # noqa: ANN001 - ServerState, ChangeBell (no import cycle)
        self.state = state
        self.bell = bell
        # account id -> its WAL file, the stamp last seen (None: not to be trusted), idle since
        self._seen: dict[str, tuple[Path, tuple[int, int, int] | None, float | None]] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def _wal(self, account_id: str) -> Path | None:
        adb = self.state.databases.opened(account_id)
        if adb is None:
            return None
        url = adb.current().url
        if not url.startswith("sqlite:///"):
            return None
        path = Path(url.removeprefix("sqlite:///"))
        return path.with_name(path.name + "-wal")

    def publish(self, account_id: str, head: int | None = None) -> None:
        """Nothing to send: the commit's write to the file is the news."""

    def listening(self, account_id: str) -> bool:
        thread = self._thread
        return account_id in self._seen and thread is not None and thread.is_alive()

    def watch(self, account_id: str) -> None:
        """A desk waits on the account (called before its first read of the change number)."""
        if self.bell.closing or account_id in self._seen:
            return
        wal = self._wal(account_id)
        if wal is None:
            return
        stamp, racy = _stamp(wal)
        with self._lock:
            if account_id in self._seen:
                return
            self._seen[account_id] = (wal, None if racy else stamp, None)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._poll, name="sqlite-live", daemon=True)
                self._thread.start()

    def _poll(self) -> None:
        try:
            while not self.bell.closing:
                time.sleep(POLL)
                with self._lock:
                    if not self._seen:
                        self._thread = None  # a later watch() starts another
                        return
                    watched = list(self._seen.items())
                for account_id, (wal, seen, idle_since) in watched:
                    if self._wal(account_id) != wal:  # moved, or closed: its waiters look at the database again
                        self._forget(account_id)
                        self.bell.wake(account_id)
                        continue
                    if self.bell.waiting_on(account_id):
                        idle_since = None
                    elif idle_since is None:
                        idle_since = time.monotonic()
                    elif time.monotonic() - idle_since > IDLE_SECONDS:
                        self._forget(account_id)
                        continue
                    stamp, racy = _stamp(wal)
                    if stamp != seen:
                        self.bell.wake(account_id)
                    with self._lock:
                        self._seen[account_id] = (wal, None if racy else stamp, idle_since)
        except Exception:  # noqa: BLE001 - never seen; the waiters fall back to looking at the database
            log.exception("stopped looking at the accounts' SQLite files")
        with self._lock:
            watched = list(self._seen)
            self._seen.clear()
            self._thread = None
        for account_id in watched:
            self.bell.wake(account_id)

    def _forget(self, account_id: str) -> None:
        with self._lock:
            self._seen.pop(account_id, None)
