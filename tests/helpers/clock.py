"""The moment the tests run at: chosen, never the real day, hour or zone of the machine.

`FRONTDESK_TEST_NOW` pins it (an ISO date-time; without an offset it is read on the seeded
locations' clock, America/Chicago), so the suite can be run at any day and hour:

    FRONTDESK_TEST_NOW=2026-12-13T23:59 make test

Without it, the tests run on a Tuesday afternoon with classes going on. The clock runs on at real
speed from there (timeouts still pass); seeded data is made for the same day.
"""

from __future__ import annotations

import datetime as dt
import os
from zoneinfo import ZoneInfo

from sync.core.clock import PinnedClock

LOCATION_ZONE = ZoneInfo("America/Chicago")  # the zone of the seeded locations (server.seed.TIMEZONE)
DEFAULT_MOMENT = "2026-12-08T16:20"  # a Tuesday, 4:20 pm at the locations


def pinned_moment() -> dt.datetime:
    """The pinned moment, aware, on the locations' clock."""
    moment = dt.datetime.fromisoformat(os.environ.get("FRONTDESK_TEST_NOW") or DEFAULT_MOMENT)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=LOCATION_ZONE)
    return moment.astimezone(LOCATION_ZONE)


def pinned_today() -> dt.date:
    """The locations' date at the pinned moment: the day the seeded account has its classes."""
    return pinned_moment().date()


def pinned_clock() -> PinnedClock:
    """A new clock at the pinned moment, running on from there."""
    return PinnedClock(pinned_moment())
