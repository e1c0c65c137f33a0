"""Helpers for desk UI tests on the real sync stack: wait without blocking, a signed-in desk."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from desk import ops
from desk.app import first_sync, open_main_window
from desk.boot import DeskConfig, DeskSession
from desk.widgets.main_window import MainWindow
from sync.core.clock import Clock
from tests.helpers.clock import pinned_clock
from tests.helpers.waits import until
from tests.helpers.enrollment import code_for

# Quick rounds, so a test sees the desk come back within a second or two of the server.
FAST_ENGINE = {"pull_interval": 1.0, "backoff_min": 0.1, "backoff_max": 0.5}


async def ops_done() -> None:
    await until(lambda: ops.running_ops() == 0, what="desk ops to finish")


def config_for(server_url: str, account: dict, data_dir: Path, location: str | None = None,
               clock: Clock | None = None) -> DeskConfig:
    """A desk on the tests' pinned clock (tests.helpers.clock), unless given another."""
    return DeskConfig(server_url=server_url, account=account["slug"], username=account["username"],
                      data_dir=data_dir, location_code=location, desk_name="test desk", engine_options=FAST_ENGINE,
                      clock=clock or pinned_clock(),
                      enrollment_code=code_for(server_url, account["slug"]))  # alex may not set desks up


@contextlib.asynccontextmanager
async def signed_in_desk(qtbot, config: DeskConfig, password: str) -> AsyncIterator[tuple[DeskSession, MainWindow]]:
    """A desk signed in and synced once, its main window open; everything closed afterwards."""
    session = DeskSession.open(config)
    window: MainWindow | None = None
    try:
        await session.login(config.username, password)
        await first_sync(session)
        window = open_main_window(session)
        qtbot.addWidget(window)
        await until(window.isActiveWindow, what="the main window active (shortcuts need it)")
        yield session, window
    finally:
        if window is not None:
            window.close()
        await ops_done()
        await session.close()


def open_a_roster_of(qtbot, window: MainWindow, size: int) -> None:
    """F2, then arrows in the class list to the first class with `size` students, Enter to its register."""
    from PySide6.QtCore import Qt

    qtbot.keyClick(window, Qt.Key.Key_F2)
    screen = window.roster
    screen.sessions.setFocus()
    qtbot.keyClick(screen.sessions, Qt.Key.Key_Home)
    for _ in range(len(screen.presenter.sessions)):
        if len(screen.presenter.rows) >= size:
            break
        qtbot.keyClick(screen.sessions, Qt.Key.Key_Down)
    assert len(screen.presenter.rows) >= size, f"no class of {size} at this desk's today (tests.helpers.school.a_class_now makes one)"
    qtbot.keyClick(screen.sessions, Qt.Key.Key_Return)
    assert screen.table.hasFocus()
