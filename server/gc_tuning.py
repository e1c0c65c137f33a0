"""Garbage collection for a long-running server process: short pauses instead of long ones.

A serving process holds a large, slowly growing heap of long-lived objects: the code, and for
every account opened an engine with its compiled statements (thousands of objects each). Python's
full collections walk all of it, and the load test (bench/load) measured pauses of 100-400 ms
with fifty accounts open, during which no request moves. So: what exists after start, and what
survived since, is moved out of the collector's way (gc.freeze) every FREEZE_EVERY seconds, after
a collection of the young generations only (a few ms); the youngest is collected less often.
Cycles of request garbage are collected young. Garbage that grew old between two freezes would
be kept for good, so once every FULL_EVERY seconds everything is unfrozen and collected: one
long pause an hour instead of one every few seconds.
"""

from __future__ import annotations

import gc
import logging
import threading
import time

FREEZE_EVERY = 30.0
FULL_EVERY = 3600.0
THRESHOLDS = (10_000, 10, 10)

log = logging.getLogger("frontdesk.server.gc")


def tune(stop: threading.Event | None = None, every: float = FREEZE_EVERY, full_every: float = FULL_EVERY) -> threading.Thread:
    """Freeze the heap now and every `every` seconds, in a daemon thread; returns it."""
    gc.set_threshold(*THRESHOLDS)
    gc.collect()
    gc.freeze()
    stop = stop or threading.Event()

    def run() -> None:
        last_full = time.monotonic()
        while not stop.wait(every):
            began = time.perf_counter()
            if time.monotonic() - last_full >= full_every:
                gc.unfreeze()
                gc.collect()
                last_full = time.monotonic()
            else:
                gc.collect(1)  # the young generations only: the objects of the last interval that survived go frozen
            gc.freeze()
            took = time.perf_counter() - began
            if took > 0.05:
                log.info("garbage collection took %.0f ms (%d objects frozen)", took * 1000, gc.get_freeze_count())

    thread = threading.Thread(target=run, name="gc-freeze", daemon=True)
    thread.start()
    return thread
