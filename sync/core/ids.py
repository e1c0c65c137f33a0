"""Ids and clocks shared by desk and server."""

from __future__ import annotations

import datetime as dt
import os
import threading
import time

_lock = threading.Lock()
_last_ms = 0
_counter = 0


def new_id() -> str:
    """A UUIDv7 string (RFC 9562): unique without coordination, time-ordered for indexes.

    Method 1 of RFC 9562 section 6.2: the 12 bits after the version hold a counter, started at a
    random low value each millisecond and stepped within it, so ids made in one process sort in
    the order they were made even within a millisecond or when the clock steps back. Made here
    rather than through a package because a push of a day's work makes tens of thousands of them
    (audit rows), and it must stay cheap at that rate (tests/sync/test_ids.py).
    """
    global _last_ms, _counter
    with _lock:
        ms = time.time_ns() // 1_000_000
        if ms > _last_ms:
            _last_ms, _counter = ms, int.from_bytes(os.urandom(2), "big") & 0x1FF  # room left to count
        else:  # the same millisecond, or the clock went back: keep the order
            _counter += 1
            if _counter > 0xFFF:
                _last_ms, _counter = _last_ms + 1, 0
        ms, counter = _last_ms, _counter
    value = (ms << 80) | (0x7 << 76) | (counter << 64) | (0b10 << 62) | (int.from_bytes(os.urandom(8), "big") >> 2)
    h = f"{value:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def utcnow() -> dt.datetime:
    """Now as naive UTC, the form every stored datetime takes (see sync.core.schema)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)
