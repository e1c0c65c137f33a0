"""Sign out at the desk: the button in the top bar (and on the lock screen) revokes the sign-in on
the server and in the keyring and goes back to the sign-in window; unsent work stays and is sent
after the next sign-in. Real server over loopback, real widgets, the in-memory keyring."""

from __future__ import annotations

import asyncio
import dataclasses
import json

import httpx
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from desk import app as desk_app
from desk.widgets.main_window import MainWindow
from sync.client import ApiClient
from sync.errors import AuthError
from tests.desk.desk_helpers import config_for, ops_done, until
from tests.desk.test_sign_in_window import sign_in_window, type_password_and_enter

pytestmark = [pytest.mark.gui, pytest.mark.asyncio(loop_factories=["qasync"])]


def main_window() -> MainWindow | None:
    found = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
    return found[0] if found else None


@pytest.fixture
def sessions(monkeypatch):
    """Every session run_desk opens a main window for, in order (the real open_main_window runs)."""
    opened: list = []
    real = desk_app.open_main_window

    def recording(session, settings=None):
        opened.append(session)
        return real(session, settings)

    monkeypatch.setattr(desk_app, "open_main_window", recording)
    return opened


async def refused(server_url: str, refresh_token: str, desk_id: str) -> bool:
    async with httpx.AsyncClient() as http:
        try:
            await ApiClient(http, server_url).refresh(refresh_token, desk_id)
        except AuthError:
            return True
    return False


async def test_sign_out_revokes_keeps_unsent_work_and_it_is_sent_after_the_next_sign_in(
    qtbot, live_server, account, tmp_path, memory_keyring, sessions
):
    config = dataclasses.replace(config_for(live_server.url, account, tmp_path / "desk"), idle_lock_seconds=0)
    run = asyncio.ensure_future(desk_app.run_desk(config, account["password"]))
    try:
        await until(lambda: main_window() is not None and sessions, what="the main window")
        window, session = main_window(), sessions[0]
        [stored] = memory_keyring.sign_ins().values()
        refresh_token = json.loads(stored)["refresh_token"]
        button = window.sign_out_button
        assert button.isVisible() and button.accessibleName() == "Sign out"
        assert window.staff.geometry().right() < button.geometry().left()  # next to the staff name

        # A check-in the engine has not sent yet when staff sign out.
        await session.engine.stop()
        student = session.store.search_students("a")[0]
        await session.store.check_in(student.id, window.location.id, None)
        assert session.store.pending_count() == 1

        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        await until(sign_in_window, what="the sign-in window after signing out")
        assert main_window() is None and not run.done()
        notice = sign_in_window().notice
        assert notice.isVisible() and "1 change not sent yet stays on this computer" in notice.text()
        assert memory_keyring.sign_ins() == {}  # nothing left for the next start to resume with
        assert await refused(live_server.url, refresh_token, session.store.desk_id)
        assert session.auth.current is None

        await type_password_and_enter(qtbot, sign_in_window(), account["password"])
        await until(lambda: len(sessions) == 2 and main_window() is not None, what="signed in again")
        again = sessions[1]
        assert again.store.desk_id == session.store.desk_id
        await until(lambda: again.store.pending_count() == 0, what="the kept check-in sent")
        assert not again.store.rejected()
        main_window().close()
        assert await asyncio.wait_for(run, 10) == 0
    finally:
        if not run.done():
            for w in QApplication.topLevelWidgets():
                w.close()
            run.cancel()
        await ops_done()


async def test_the_lock_screen_signs_out_too(qtbot, live_server, account, tmp_path, memory_keyring, sessions):
    config = dataclasses.replace(config_for(live_server.url, account, tmp_path / "desk"), idle_lock_seconds=0)
    run = asyncio.ensure_future(desk_app.run_desk(config, account["password"]))
    try:
        await until(lambda: main_window() is not None, what="the main window")
        lock = main_window().desk_lock
        lock.lock()
        assert lock.screen.sign_out_button.isVisible()
        qtbot.mouseClick(lock.screen.sign_out_button, Qt.MouseButton.LeftButton)
        await until(sign_in_window, what="the sign-in window after signing out")
        assert memory_keyring.sign_ins() == {} and sessions[0].auth.current is None
        assert "Alex" in sign_in_window().notice.text() and "reached the server" in sign_in_window().notice.text()
        sign_in_window().close()  # closing the window is "not now"
        assert await asyncio.wait_for(run, 10) == 1
    finally:
        if not run.done():
            for w in QApplication.topLevelWidgets():
                w.close()
            run.cancel()
        await ops_done()
