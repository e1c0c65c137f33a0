"""Swipes at a desk window in UI tests: the main window on a real local store (no server), the
keyboard-mode swiper installed, and a swiper typing at its real rate."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from desk.kem_filter import KemSwipeFilter
from desk.swipe_handling import install_swiper
from desk.widgets.main_window import MainWindow
from sync.core.member_cards import new_card_key
from sync.store import DeskStore
from tests.desk.desk_helpers import ops_done, until
from tests.helpers.keys import type_text
from tests.sync.data import World, world

SWIPER_GAP_MS = 3  # a keyboard-mode swiper types a key every few milliseconds


@contextlib.asynccontextmanager
async def offline_desk(qtbot, data_dir: Path) -> AsyncIterator[tuple[MainWindow, DeskStore, World]]:
    """The main window on a store holding the demo data, active, its swiper installed; closed after."""
    demo = world()
    store = DeskStore(data_dir, staff_id="staff-0001")
    store.card_key = new_card_key()
    changes = demo.changes()
    store.cache.apply_pull(changes, cursor=len(changes))
    window = MainWindow(store, staff_name="Alex", account_name="Test gym", location_code="DT")
    qtbot.addWidget(window)
    try:
        install_swiper(window, usb=False)
        window.show()
        window.activateWindow()
        await until(window.isActiveWindow, what="the main window active")
        yield window, store, demo
    finally:
        window.close()
        await ops_done()
        store.close()


async def swipe(window: MainWindow, text: str) -> None:
    """A keyboard-mode swiper types `text`; returns once the swipe is handled (after the track gap
    in which another track could have followed the Enter) and the work it started is done."""
    type_text(text, gap_ms=SWIPER_GAP_MS)
    [kem] = window.findChildren(KemSwipeFilter)
    await until(lambda: not kem.detector.active, what="the swipe finished")
    await ops_done()
