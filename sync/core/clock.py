"""Time as an input: the one clock the desk, the sync engine and the server read.

Product code that needs "now" or "today" takes a `Clock` (the system's by default) instead of asking
the machine, so a test or a simulation chooses the day, the hour and the zone: a class list, a
business date, a receipt's time all follow the clock it was given.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class Clock(Protocol):
    def now(self) -> dt.datetime:
        """Now, as an aware UTC datetime."""
        ...


class SystemClock:
    """The machine's clock."""

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)

    def __repr__(self) -> str:
        return "SystemClock()"


class PinnedClock:
    """A clock set to a chosen moment that then runs on at real speed (timeouts and backoffs still pass).

    `PinnedClock(moment)`: `moment` is aware (any zone); `frozen=True` keeps it from moving at all.
    """

    def __init__(self, moment: dt.datetime, *, frozen: bool = False):
        if moment.tzinfo is None:
            raise ValueError("a pinned moment needs its zone")
        self._start = moment.astimezone(dt.UTC)
        self._set_at = time.monotonic()
        self.frozen = frozen

    def now(self) -> dt.datetime:
        if self.frozen:
            return self._start
        return self._start + dt.timedelta(seconds=time.monotonic() - self._set_at)

    def set(self, moment: dt.datetime) -> None:
        """Move the clock to `moment` (it runs on from there unless frozen)."""
        self._start, self._set_at = moment.astimezone(dt.UTC), time.monotonic()

    def advance(self, **delta: float) -> None:
        self.set(self.now() + dt.timedelta(**delta))

    def __repr__(self) -> str:
        return f"PinnedClock({self.now().isoformat()})"


SYSTEM = SystemClock()


def zone(timezone: str) -> dt.tzinfo:
    """A location's zone; an unknown name falls back to this computer's own."""
    try:
        return ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return dt.datetime.now().astimezone().tzinfo or dt.UTC


def local_now(clock: Clock, timezone: str) -> dt.datetime:
    """Now on a location's clock: "today" is the location's day, not this computer's."""
    return clock.now().astimezone(zone(timezone))


def utc_naive(clock: Clock) -> dt.datetime:
    """Now as naive UTC, the form every stored datetime takes (see sync.core.schema)."""
    return clock.now().astimezone(dt.UTC).replace(tzinfo=None)
