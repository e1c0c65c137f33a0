"""Waiting for an asyncio.Event with a time limit, in a way a cancellation always ends.

Not `asyncio.wait_for(event.wait(), timeout)`: on Python 3.11, when a task is cancelled just as
the event is set, wait_for returns normally and the cancellation is lost (CPython gh-86296,
fixed in 3.12 by building wait_for on asyncio.timeout). A loop that waits that way between
rounds then never stops: closing a desk session hung on it, with every thread idle.
"""

from __future__ import annotations

import asyncio


async def wait_set(event: asyncio.Event, timeout: float | None) -> bool:
    """True once `event` is set, False when `timeout` seconds (None: no limit) ran out first."""
    try:
        async with asyncio.timeout(timeout):
            await event.wait()
    except TimeoutError:
        return False
    return True
