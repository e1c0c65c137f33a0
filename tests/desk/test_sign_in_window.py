"""Signing in through the sign-in window, against the real server over loopback."""

from __future__ import annotations

import asyncio

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from desk.app import open_main_window, signed_in_session
from desk.widgets.sign_in import SignInWindow
from tests.desk.desk_helpers import config_for, ops_done, until
from tests.helpers.server_process import free_port

pytestmark = [pytest.mark.gui, pytest.mark.asyncio(loop_factories=["qasync"])]


def sign_in_window() -> SignInWindow | None:
    found = [w for w in QApplication.topLevelWidgets() if isinstance(w, SignInWindow) and w.isVisible()]
    return found[0] if found else None


async def type_password_and_enter(qtbot, window: SignInWindow, password: str) -> None:
    window.password.clear()
    qtbot.keyClicks(window.password, password)
    qtbot.keyClick(window.password, Qt.Key.Key_Return)


async def test_wrong_then_right_password_signs_in_and_remembers_the_desk(qtbot, live_server, account, tmp_path, memory_keyring):
    config = config_for(live_server.url, account, tmp_path / "desk")
    task = asyncio.ensure_future(signed_in_session(config, password=None))  # nothing stored yet: the window opens
    await until(sign_in_window, what="the sign-in window")
    window = sign_in_window()
    assert window.server.text() == live_server.url and window.username.text() == "alex"

    await type_password_and_enter(qtbot, window, "not the password")
    await until(lambda: window.error.isVisible(), what="the error")
    assert "Wrong account, username or password" in window.error.text()
    assert window.button.isEnabled() and window.isVisible() and not task.done()

    await type_password_and_enter(qtbot, window, account["password"])
    session = await asyncio.wait_for(task, 10)
    try:
        assert session.signed.staff.username == "alex"
        assert session.store.staff_id == account["staff_id"]
        assert session.signed.remembered and memory_keyring.sign_ins()  # the next start needs no password
        assert not window.isVisible()
    finally:
        await session.close()

    again = await asyncio.wait_for(signed_in_session(config, password=None), 10)  # resumed from the keyring
    try:
        assert again.signed.staff.username == "alex" and sign_in_window() is None
    finally:
        await again.close()


async def test_an_unreachable_server_is_said_in_plain_words(qtbot, account, tmp_path, memory_keyring):
    nobody = f"http://127.0.0.1:{free_port()}"
    task = asyncio.ensure_future(signed_in_session(config_for(nobody, account, tmp_path / "desk"), password="x"))
    await until(sign_in_window, what="the sign-in window")
    window = sign_in_window()
    assert "Can't reach the server" in window.error.text()  # the launcher's password failed to get through
    await type_password_and_enter(qtbot, window, "x")
    await ops_done()
    assert "Can't reach the server at " + nobody in window.error.text()
    window.close()  # closing the window gives up: the app ends
    assert await asyncio.wait_for(task, 5) is None


async def test_without_a_password_store_the_desk_says_sign_in_next_time(qtbot, live_server, account, tmp_path, no_keyring):
    config = config_for(live_server.url, account, tmp_path / "desk")
    session = await asyncio.wait_for(signed_in_session(config, password=account["password"]), 10)
    try:
        assert not session.signed.remembered
        window = open_main_window(session)
        qtbot.addWidget(window)
        assert window.toast.last_text == (
            "This computer has no password store, so you will need to sign in again next time.")
        assert window.toast.isVisible()
        window.close()
    finally:
        await session.close()


async def test_a_computer_that_is_not_a_desk_yet_asks_for_the_owners_setup_code(qtbot, live_server, account, tmp_path, memory_keyring):
    import dataclasses

    from tests.helpers.enrollment import code_for

    config = dataclasses.replace(config_for(live_server.url, account, tmp_path / "desk"), enrollment_code="")
    task = asyncio.ensure_future(signed_in_session(config, password=None))
    await until(sign_in_window, what="the sign-in window")
    window = sign_in_window()
    assert not window.setup_code.isVisible()  # not asked for until the server says so
    await type_password_and_enter(qtbot, window, account["password"])
    await until(lambda: window.error.isVisible(), what="the error")
    assert "not set up as a desk" in window.error.text() and "Check them" not in window.error.text()
    assert window.setup_code.isVisible() and not task.done()

    qtbot.keyClicks(window.setup_code, code_for(live_server.url, "acme").lower())  # as typed
    await type_password_and_enter(qtbot, window, account["password"])
    session = await asyncio.wait_for(task, 10)
    try:
        assert session.signed.staff.username == "alex" and session.auth.credential.load()
    finally:
        await session.close()
