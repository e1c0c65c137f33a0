"""Help > Copy diagnostics and Help > About, on a desk signed in to a real server over loopback.

The report must name what support needs (versions, server, account, desk id, sync state, the log's
last lines) and hold no secret: not this desk's tokens or card key, not a setting named like one,
not card data that reached the log.
"""

from __future__ import annotations

import logging
import platform

import PySide6
import pytest
from PySide6.QtCore import qVersion
from PySide6.QtGui import QGuiApplication

import server
from desk.diagnostics import app_version
from desk.logs import CARD_REMOVED, setup_logging, stop_logging
from desk.widgets.help_menu import COPIED
from desk.widgets.main_window import MainWindow
from sync.store import DeskStore
from sync.core.wire import PROTOCOL_VERSION
from tests.desk.desk_helpers import config_for, ops_done, signed_in_desk, until
from tests.fixtures import cards as tc
from tests.sync.data import world

pytestmark = [pytest.mark.gui, pytest.mark.asyncio(loop_factories=["qasync"])]

PLANTED = "planted-secret-9f3a1c"


@pytest.fixture
def desk_log(tmp_path):
    path = setup_logging(tmp_path / "logs-base", console=False)
    try:
        yield path
    finally:
        stop_logging()


async def copied_report(window) -> str:
    QGuiApplication.clipboard().clear()
    window.toast.last_text = ""
    window.help.copy_action.trigger()
    await ops_done()
    await until(lambda: window.toast.last_text == COPIED, what="the copied toast")
    return QGuiApplication.clipboard().text()


async def test_copy_diagnostics_names_the_desk_and_holds_no_secret(qtbot, live_server, account, tmp_path, memory_keyring,
                                                                 monkeypatch, desk_log):
    monkeypatch.setenv("FRONTDESK_API_TOKEN", PLANTED)
    monkeypatch.setenv("FRONTDESK_SUPPORT_NOTE", "front desk 2")
    config = config_for(live_server.url, account, tmp_path / "desk", location="DT")
    async with signed_in_desk(qtbot, config, account["password"]) as (session, window):
        assert window.help.isVisible() and window.help.text() == "Help"
        logging.getLogger("frontdesk.test").warning("a swipe was typed into a note: %s", tc.magtek(tc.VISA))
        secrets = {
            "access token": session.client.access_token,
            "refresh token": session.auth._refresh_token,
            "card key": session.store.card_key,
            "password": account["password"],
            "planted setting": PLANTED,
        }
        assert all(secrets.values()), "the desk should hold each secret the report must not show"

        text = await copied_report(window)

        for name, value in secrets.items():
            assert value not in text, f"the {name} is in the diagnostics"
        assert tc.VISA not in text and "^DOE/JOHN Q^" not in text
        assert f"a swipe was typed into a note: {CARD_REMOVED}" in text  # the log's tail, redacted
        for expected in (f"Frontdesk {app_version()}", f"desk protocol {PROTOCOL_VERSION}",
                         f"Python {platform.python_version()}", f"Qt {qVersion()}", f"PySide6 {PySide6.__version__}",
                         f"OS: {platform.platform()}",
                         f"Server: {live_server.url}", f"Account: {account['slug']}", f"Desk id: {session.store.desk_id}",
                         f"Signed in: {session.staff_name}", "Changes not sent yet: 0", "Changes the server refused: 0",
                         f"Pull cursor: {session.store.cache.cursor()}", "location_code = DT",
                         "FRONTDESK_API_TOKEN = [hidden]", "FRONTDESK_SUPPORT_NOTE = front desk 2",
                         f"Log ({desk_log})", "Server's own version: not asked yet"):
            assert expected in text, expected
        assert session.store.cache.cursor() > 0 and "Last sync: never" not in text

        # About asks the server; afterwards the report says what it answered.
        window.help.about_action.trigger()
        box = window.help.about_box
        assert box is not None and box.isVisible()
        assert box.text() == f"Frontdesk {app_version()}"
        assert f"Desk protocol version {PROTOCOL_VERSION}" in box.informativeText()
        await ops_done()
        assert f"Server: version {server.__version__}, protocol {PROTOCOL_VERSION}" in box.informativeText()
        box.close()
        report = await copied_report(window)
        assert f"Server's own version: {server.__version__}, protocol {PROTOCOL_VERSION}, asked " in report


async def test_a_desk_without_a_session_still_reports_and_says_it_is_not_connected(qtbot, tmp_path):
    demo = world()
    store = DeskStore(tmp_path / "desk", staff_id="staff-0001")
    changes = demo.changes()
    store.cache.apply_pull(changes, cursor=len(changes))
    window = MainWindow(store, staff_name="Alex", account_name="Test gym", location_code="DT")
    qtbot.addWidget(window)
    try:
        window.show()
        text = await copied_report(window)
        assert f"Frontdesk {app_version()}" in text and f"Desk id: {store.desk_id}" in text
        assert f"Pull cursor: {len(changes)}" in text and "Signed in: nobody" in text
        box = window.help.show_about()
        assert box.text() == f"Frontdesk {app_version()}" and "Server: not connected" in box.informativeText()
        box.close()
    finally:
        window.close()
        await ops_done()
        store.close()
