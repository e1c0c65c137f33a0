"""Desk UI tests: offscreen Qt, a real qasync loop for async tests, and no real keyring."""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before anything imports Qt

import pytest  # noqa: E402
import qasync  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from desk.garbage import GuiThreadCollector  # noqa: E402
from tests.helpers.clock import pinned_moment  # noqa: E402
from tests.helpers.school import a_class_now  # noqa: E402


# The offscreen platform cannot resize a shown window to new size limits and says so; real
# platforms (xcb, Windows, macOS) can. Only this one message is let through, only here.
OFFSCREEN_ONLY = "This plugin does not support propagateSizeHints"


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if here not in item.path.parents:
            continue
        if item.get_closest_marker("gui") is not None:
            item.add_marker(pytest.mark.qt_log_ignore(OFFSCREEN_ONLY))
        # pytest-timeout's usual alarm is a Python signal handler: it runs only when Python code
        # runs, and a test waiting inside Qt's loop with nothing due never gets there (seen in
        # CI: one test idle for 15 minutes). The thread method always fires: it prints every
        # thread's stack and ends the run, which is what a hung desk test must do.
        limit = item.get_closest_marker("timeout")
        seconds = limit.args[0] if limit is not None and limit.args else config.getini("timeout")
        item.own_markers.insert(0, pytest.mark.timeout(float(seconds), method="thread").mark)


# Closed loops are kept alive to the end of the run: a loop's timer object collected by a garbage
# collection that happens to run on another thread (the store's writer, uvicorn) makes Qt warn
# "Timers cannot be stopped from another thread", failing whichever test is running then.
_loops: list[qasync.QEventLoop] = []


def _qasync_loop() -> qasync.QEventLoop:
    loop = qasync.QEventLoop(QApplication.instance() or QApplication([]))
    _loops.append(loop)
    return loop


def pytest_asyncio_loop_factories(config, item):
    """Async desk tests run on qasync's loop, i.e. on Qt's own event loop, like the app."""
    return {"qasync": _qasync_loop}


@pytest.fixture(autouse=True, scope="package")
def gui_thread_collector(qapp: QApplication):
    """Cycles are collected on the GUI thread only, as desk.app.main arranges (desk/garbage.py).
    Without it the server's and the store's threads collected closed windows and their timers,
    and twice a test hung with every thread idle. Only for this package: tests of other parts
    run no Qt loop to collect in."""
    collector = GuiThreadCollector()
    yield collector
    collector.stop()


@pytest.fixture(autouse=True)
def no_quit_between_windows(qapp: QApplication):
    """As desk.app.main sets it: closing the sign-in window must not stop the qasync loop."""
    qapp.setQuitOnLastWindowClosed(False)


@pytest.fixture(scope="session")
def styled_app(qapp: QApplication) -> QApplication:
    """The app with the desk's style sheet: a QSS Qt cannot parse fails the test (a Qt warning)."""
    from desk.theme import style_sheet

    qapp.setStyle("Fusion")
    qapp.setStyleSheet(style_sheet(dark=False))
    return qapp


@pytest.fixture
def no_keyring():
    """A computer without a password store (headless Linux by default)."""
    import keyring
    from keyring.backends import fail

    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        yield
    finally:
        keyring.set_keyring(previous)


@pytest.fixture
def account(server_account):
    """The shared seeded account (tests/conftest.py): families, students, this week's classes, and
    a class of three at Downtown running at the pinned moment (tests.helpers.clock), so that a
    desk on that clock has a class now whatever the day and hour the suite is pinned to.

    `live_server` (tests/conftest.py) serves it over loopback and is stopped even when a test fails.
    """
    klass = a_class_now(server_account["data_dir"], server_account["slug"], pinned_moment(), students=3)
    return {**server_account, "class_now": klass}
