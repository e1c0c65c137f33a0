"""sync.core.waits.wait_set: a wait between rounds that a cancellation always ends."""

from __future__ import annotations

import asyncio

import pytest

from sync.core.waits import wait_set

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(30)]


async def rounds(event: asyncio.Event, counter: list[int]) -> None:
    """The shape of SyncEngine._run and the server's mail queue: work, then wait for a kick."""
    while True:
        event.clear()
        counter[0] += 1
        await wait_set(event, 0.05)


async def test_a_cancel_that_arrives_as_the_event_is_set_stops_the_loop():
    # On Python 3.11, asyncio.wait_for(event.wait(), ...) swallowed this cancel: the loop ran on
    # and whoever awaited the task (closing a desk session) waited for ever.
    for _ in range(20):
        event, counter = asyncio.Event(), [0]
        task = asyncio.create_task(rounds(event, counter))
        await asyncio.sleep(0.01)
        event.set()
        task.cancel()
        done, _ = await asyncio.wait({task}, timeout=2)
        assert done == {task} and task.cancelled(), f"the loop ran on after its cancel: {counter[0]} rounds"


async def test_it_says_whether_the_event_came_or_the_time_ran_out():
    event = asyncio.Event()
    assert await wait_set(event, 0.01) is False
    asyncio.get_running_loop().call_later(0.01, event.set)
    assert await wait_set(event, 5) is True
    assert await wait_set(event, None) is True  # already set: no wait, no limit needed


async def test_a_cancel_while_waiting_is_not_taken_for_a_timeout():
    event = asyncio.Event()
    task = asyncio.create_task(wait_set(event, 0.05))
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
