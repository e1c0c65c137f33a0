"""desk.garbage: cycles holding Qt objects are freed on the GUI thread, whatever thread allocates."""

from __future__ import annotations

import gc
import threading
import weakref

from PySide6.QtCore import QObject, QTimer

from desk.garbage import GuiThreadCollector


class Held(QObject):
    """A closed dialog in small: a Qt object with a timer, in a reference cycle."""

    def __init__(self):
        super().__init__()
        self.timer = QTimer(self)
        self.parts = {"self": self}  # the cycle


def test_a_cycle_made_garbage_while_a_worker_allocates_is_freed_on_the_gui_thread(qtbot, gui_thread_collector):
    assert not gc.isenabled()  # the package's collector (tests/desk/conftest.py), as desk.app.main has it
    freed_on: list[str] = []
    held = Held()
    watch = weakref.ref(held, lambda _ref: freed_on.append(threading.current_thread().name))
    del held
    assert watch() is not None  # only the cycle collector can free it

    kept: list[list[int]] = []

    def allocate() -> None:  # the store's writer or a to_thread worker, busy: many new objects
        kept.extend([i] for i in range(5 * gc.get_threshold()[0]))

    worker = threading.Thread(target=allocate, name="busy-worker")
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: bool(freed_on), timeout=5000)
    assert freed_on == [threading.main_thread().name]


def test_the_collector_takes_the_generations_that_are_due_and_gives_collection_back(qtbot):
    collector = GuiThreadCollector(interval_ms=10_000)  # its timer out of the way: called by hand
    try:
        # The package's collector had it off already; a collector puts back what it found.
        assert not gc.isenabled() and collector.was_enabled is False
        gc.collect()
        assert collector.collect_due() is None  # nothing allocated since: nothing due
        junk = [[i] for i in range(2 * gc.get_threshold()[0])]
        assert collector.collect_due() == 0  # the young generation only
        assert gc.get_count()[0] < gc.get_threshold()[0]
        del junk
    finally:
        collector.stop()
    assert not gc.isenabled()  # still the package collector's to give back


def test_stop_turns_automatic_collection_back_on_when_it_was_on(gui_thread_collector):
    gc.enable()
    try:
        collector = GuiThreadCollector()
        assert not gc.isenabled()
        collector.stop()
        assert gc.isenabled() and not collector.timer.isActive()
    finally:
        gc.disable()
