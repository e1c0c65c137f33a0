"""The owner's desks screen (issue 19): where and when each desk was last seen, retiring one
(signed out at once), and a setup code that sets a new computer up. Real server, real widgets."""

from __future__ import annotations

import dataclasses

import httpx
import pytest
from PySide6.QtCore import Qt

from server import admin
from tests.desk.desk_helpers import config_for, ops_done, signed_in_desk, until
from tests.server.api import login

pytestmark = [pytest.mark.gui, pytest.mark.asyncio(loop_factories=["qasync"])]


async def test_the_owner_sees_the_desks_retires_one_and_makes_a_setup_code(qtbot, account, live_server, tmp_path, memory_keyring):
    admin.add_staff(account["data_dir"], "acme", "olga", "olga's password", group="owner", display_name="Olga")
    with httpx.Client(base_url=live_server.url, timeout=10) as client:
        other = login(client)  # alex at another desk
        config = dataclasses.replace(config_for(live_server.url, {**account, "username": "olga"}, tmp_path / "desk"),
                                     idle_lock_seconds=0)  # fmt: skip
        asked: list[str] = []
        async with signed_in_desk(qtbot, config, "olga's password") as (session, window):
            screen = window.desks_screen
            screen.confirm = lambda question: asked.append(question) or True
            qtbot.keyClick(window, Qt.Key.Key_F11)
            assert window.current_screen() is screen
            await ops_done()
            await until(lambda: screen.table.rowCount() == 2, what="the desks")
            names = [screen.table.item(r, 0).text() for r in range(2)]
            assert "test desk (this desk)" in names and "Desk 1" in names
            assert {screen.table.item(r, 3).text() for r in range(2)} == {"127.0.0.1"}

            screen.table.setCurrentCell(names.index("test desk (this desk)"), 0)
            assert await screen.retire_selected() is None and "the desk you are using" in screen.message.text()
            screen.table.setCurrentCell(names.index("Desk 1"), 0)
            retired = await screen.retire_selected()
            assert retired is not None and retired.id == other["desk_id"] and "signed out at once" in asked[0]
            assert client.get("/v1/sync/pull", params={"limit": 1}, headers=other["headers"]).status_code == 401
            row = [d.id for d in screen.desks].index(other["desk_id"])
            assert screen.table.item(row, 4).text().startswith("Retired")

            code = await screen.make_code()
            assert code in screen.message.text() and "shown only now" in screen.message.text()
            r = client.post("/v1/auth/login", json={"account": "acme", "username": "alex", "password": account["password"],
                                                    "enrollment_code": code})  # fmt: skip
            assert r.status_code == 200 and r.json()["desk_secret"]


async def test_the_desks_screen_is_the_owners(qtbot, account, live_server, tmp_path, memory_keyring):
    config = dataclasses.replace(config_for(live_server.url, account, tmp_path / "desk"), idle_lock_seconds=0)
    async with signed_in_desk(qtbot, config, account["password"]) as (_session, window):
        i = window.screens.index(window.desks_screen)
        assert not window.rail.buttons[i].isVisibleTo(window)  # alex (front desk) is not offered it
