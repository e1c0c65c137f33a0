"""Cyclic garbage collection on the GUI thread only.

Python runs its cycle collector in whichever thread happens to allocate when a generation is
due. In the desk that is often not the GUI thread: the store's writer, `asyncio.to_thread`
workers, the printing executor. A collection there frees every unreachable cycle, and a closed
dialog or window (a widget whose signals are connected to lambdas that hold it) is such a cycle:
its Qt objects are then destroyed on the wrong thread. Qt forbids that (timers and socket
notifiers can only be unregistered by their own thread), and what follows is undefined: the
test suite saw it as the event loop never waking for a ready callback, with every thread idle.
Measured before this module: hundreds of widgets, timers and socket notifiers per test file
were collected by the writer and worker threads.

So, as PyQt and PySide applications commonly do: automatic collection is turned off and a timer
on the GUI thread collects the generations that are due, by the same thresholds Python uses.
Reference counting still frees everything that is not in a cycle at once, on any thread.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

INTERVAL_MS = 500  # how late a cycle may be freed; a young collection takes well under 1 ms


class GuiThreadCollector(QObject):
    """Turns automatic collection off while it runs; `stop()` turns it back on."""

    def __init__(self, parent: QObject | None = None, interval_ms: int = INTERVAL_MS):
        super().__init__(parent)
        self.thresholds = gc.get_threshold()
        self.was_enabled = gc.isenabled()
        gc.disable()
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.collect_due)
        self.timer.start()

    def collect_due(self) -> int | None:
        """When the youngest generation is due, collect the oldest one whose count passed its
        threshold (the younger ones with it), as the interpreter decides; returns it, or None.
        (The interpreter also puts off a full collection until a quarter of the old objects are
        new; gc.collect cannot be asked for that, and full collections here stay as rare as
        their threshold makes them.)"""
        counts = gc.get_count()
        if self.thresholds[0] <= 0 or counts[0] <= self.thresholds[0]:
            return None
        due = max(g for g, (count, threshold) in enumerate(zip(counts, self.thresholds, strict=True)) if count > threshold)
        gc.collect(due)
        return due

    def stop(self) -> None:
        self.timer.stop()
        gc.collect()
        if self.was_enabled:
            gc.enable()
