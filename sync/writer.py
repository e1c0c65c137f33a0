"""The one writer: every write to the cache and the outbox runs on one worker thread.

One thread means writes never race each other (a check-in's "already checked in?" test and its
append happen with nobody in between) and the fsyncs of the outbox never block the UI's thread.
Reads do not come here: they run on the caller's thread against WAL snapshots.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


class Writer:
    def __init__(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="frontdesk-writer")

    async def run(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run fn(*args, **kwargs) on the writer thread and wait for it without blocking the loop."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(fn, *args, **kwargs))

    def run_sync(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """The same from plain (non-async) code, e.g. at start-up before any loop runs."""
        return self._executor.submit(fn, *args, **kwargs).result()

    def close(self) -> None:
        """Finish the queued writes, then stop the thread."""
        self._executor.shutdown(wait=True)
