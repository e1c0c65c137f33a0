"""The Import screen on a brand-new account (no seed-demo), against a real server over loopback:
the opening balances land at the desk's location, and the classes the file names that are not
set up are offered, made in one click by the import through the set-up code."""

from __future__ import annotations

import httpx
import pytest

from desk.presenters.imports import ImportPresenter
from desk.widgets.import_screen import ImportScreen
from server.setup import setting_up
from sync.client import ApiClient
from sync.imports_client import ImportApi
from tests.desk.desk_helpers import ops_done, until
from tests.fixtures import imports as fx
from tests.helpers.clock import pinned_clock
from tests.helpers.school import a_new_account
from tests.helpers.server_process import ThreadedServer, account_db_path
from tests.server.api import query
from tests.server.importing.api import MANAGER_PASSWORD

pytestmark = [pytest.mark.gui, pytest.mark.asyncio(loop_factories=["qasync"])]
NINJA = "Junior Ninja · Tue 5:00 PM · DT"


@pytest.fixture
def new_account(tmp_path):
    data_dir = tmp_path / "server"
    a_new_account(data_dir, "newgym", ("mia", MANAGER_PASSWORD, "manager"))
    with setting_up(data_dir, "newgym", pinned_clock()) as s:  # as the desk's first run makes it
        location = s.add_location("Uptown", "UP", timezone="America/Chicago")
    with ThreadedServer(data_dir) as server:
        yield {"url": server.url, "db": account_db_path(data_dir, "newgym"), "location": location}


@pytest.mark.timeout(60)
async def test_balances_land_and_the_missing_classes_are_set_up_in_one_click(qtbot, new_account, tmp_path):
    path = tmp_path / "families.csv"
    path.write_bytes(fx.clean_csv(classes=[NINJA, "Tiny Tumblers"]))
    async with httpx.AsyncClient(timeout=30) as http:
        client = ApiClient(http, new_account["url"])
        client.access_token = (await client.login("newgym", "mia", MANAGER_PASSWORD, "desk-import-new", "test desk")).access_token
        screen = ImportScreen(ImportPresenter(ImportApi(client), new_account["location"]), lambda _text, _tone: None)
        qtbot.addWidget(screen)
        screen.resize(1366, 700)
        screen.show()
        try:
            screen.ask_open_path = lambda done: done(path)
            screen.choose()
            await until(lambda: screen.presenter.preview is not None and not screen._busy.is_set(), what="the first check")
            words = screen.summary.text()
            assert "3 opening balances ($165.50 owed, $20.00 credit)" in words  # at the desk's location, nothing asked
            assert "2 classes in the file are not set up: Junior Ninja (Tue 17:00), Tiny Tumblers." in words
            assert "Set the others up in Set-up (F10)" in words
            assert screen.classes_button.isVisible() and screen.import_button.isEnabled()
            assert "0 enrollments" in words

            screen.classes_button.click()
            await until(lambda: not screen._busy.is_set() and bool(screen.presenter.create_classes), what="checked again")
            words = screen.summary.text()
            assert "The import sets up 1 class first: Junior Ninja · Tue 5:00 PM · DT (Tue 17:00 60)." in words
            assert "1 class in the file is not set up: Tiny Tumblers." in words and "4 enrollments" in words
            assert not screen.classes_button.isVisible()  # nothing left it could make
            assert query(new_account["db"], "SELECT count(*) FROM class_schedule") == [(0,)]  # a preview writes nothing

            screen.import_button.click()
            await until(lambda: not screen._busy.is_set() and screen.presenter.job is not None
                        and screen.presenter.job.state != "running", timeout=30, what="the import")  # fmt: skip
            assert screen.presenter.job.state == "done", screen.presenter.job.message
            db = new_account["db"]
            assert query(db, "SELECT name, times, location_id FROM class_schedule") == [("Junior Ninja", "1 17:00 60", new_account["location"])]
            assert query(db, "SELECT count(*) FROM enrollment") == [(4,)]
            assert query(db, "SELECT count(*), sum(amount_cents), min(location_id), max(location_id) FROM ledger_entry") == [
                (3, 16550 - 2000, new_account["location"], new_account["location"])]
        finally:
            screen.close()
            await ops_done()
