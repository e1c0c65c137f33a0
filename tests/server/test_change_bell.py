"""server.live.ChangeBell: a push's ring carries its change number, and waiters that have not
seen it answer with it, without reading the database."""

from __future__ import annotations

import asyncio

import pytest

from server.live import ChangeBell

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(30)]


class Head:
    """The account's change number as the database would give it, counting the reads."""

    def __init__(self, value: int):
        self.value = value
        self.reads = 0

    def __call__(self) -> int:
        self.reads += 1
        return self.value


async def waiting(bell: ChangeBell, after: int, head: Head) -> asyncio.Task:
    task = asyncio.create_task(bell.wait_past("acme", after, head, timeout=10))
    for _ in range(100):  # until it has read once and waits
        await asyncio.sleep(0.01)
        if head.reads:
            break
    assert head.reads == 1 and not task.done()
    return task


async def waiting_past_ten() -> tuple[ChangeBell, Head, asyncio.Task]:
    bell, head = ChangeBell(recheck=5), Head(10)
    return bell, head, await waiting(bell, 10, head)


async def test_a_ring_with_the_change_number_answers_without_a_read():
    bell, head, task = await waiting_past_ten()
    head.value = 12
    bell.ring("acme", 12)
    assert (await task, head.reads) == (12, 1)


async def test_a_ring_with_an_older_number_is_no_news_and_the_head_is_read():
    """A replayed push answers with its first, older change number: the waiters look for themselves."""
    bell, head, task = await waiting_past_ten()
    bell.ring("acme", 7)
    await asyncio.sleep(0.1)
    assert head.reads == 2 and not task.done()  # read: still 10, still waiting
    head.value = 11
    bell.ring("acme")  # a change whose number the ringer does not know (another process's file)
    assert (await task, head.reads) == (11, 3)


async def test_what_a_ring_told_is_forgotten_once_nobody_waits():
    bell, head, first = await waiting_past_ten()
    bell.ring("acme", 12)
    assert await first == 12
    bell.ring("acme", 30)  # nobody waits: not kept, so it cannot outlive a move or a restore of the account
    head.value, head.reads = 12, 0
    second = await waiting(bell, 12, head)
    second.cancel()
    with pytest.raises(asyncio.CancelledError):
        await second
