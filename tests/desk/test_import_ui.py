"""The Import screen against a real server over loopback: a messy file is checked, its problems
fixed and skipped in the table, imported with progress; an import is cancelled; everything is exported."""

from __future__ import annotations

import contextlib
import io
import sqlite3
import zipfile
from pathlib import Path

import httpx
import pytest
from PySide6.QtCore import Qt

from desk.presenters.imports import ImportPresenter
from desk.widgets.import_screen import ImportScreen
from sync.client import ApiClient
from sync.imports_client import ImportApi
from tests.desk.desk_helpers import ops_done, until
from tests.fixtures import imports as fx
from tests.helpers.server_process import account_db_path
from tests.server.importing.api import MANAGER_PASSWORD

pytestmark = [pytest.mark.gui, pytest.mark.asyncio(loop_factories=["qasync"])]


@contextlib.asynccontextmanager
async def import_screen(qtbot, account, live_server):
    """The screen on a manager's ApiClient (a signed-in desk's), against the live server."""
    from server import admin

    admin.add_staff(account["data_dir"], "acme", "mia", MANAGER_PASSWORD, group="manager")
    async with httpx.AsyncClient(timeout=30) as http:
        client = ApiClient(http, live_server.url)
        tokens = await client.login("acme", "mia", MANAGER_PASSWORD, "desk-import-test", "test desk")
        client.access_token = tokens.access_token
        told: list[tuple[str, str]] = []
        widget = ImportScreen(ImportPresenter(ImportApi(client)), lambda text, tone: told.append((text, tone)))
        widget.told = told
        qtbot.addWidget(widget)
        widget.resize(1366, 700)
        widget.show()
        try:
            yield widget
        finally:
            await ops_done()


def _open(screen: ImportScreen, path: Path) -> None:
    screen.ask_open_path = lambda done: done(path)
    screen.choose()


def _students(data_dir: Path) -> int:
    con = sqlite3.connect(account_db_path(data_dir, "acme"))
    try:
        return con.execute("SELECT count(*) FROM student").fetchone()[0]
    finally:
        con.close()


async def test_a_messy_file_is_fixed_skipped_and_imported(qtbot, account, live_server, tmp_path):
    async with import_screen(qtbot, account, live_server) as screen:
        path = tmp_path / "messy.csv"
        path.write_bytes(fx.messy_csv())
        assert not screen.import_button.isEnabled() and not screen.check_button.isEnabled()
        _open(screen, path)
        await until(lambda: screen.presenter.preview is not None and not screen._busy.is_set(), what="the first check")
        assert "messy.csv: 7 rows" in screen.file_label.text() and "semicolon separated" in screen.file_label.text()
        assert screen.mapping.boxes["family_name"].currentText() == "Household"
        assert screen.mapping.boxes["birth_date"].currentText() == "DOB"
        assert "4 new families" in screen.summary.text() and "2 rows have a problem" in screen.summary.text()
        assert [line.row for line in screen.problems.lines if line.error] == [6, 9]
        assert [line.row for line in screen.problems.lines if line.value and not line.error] == [3, 4]  # left out, listed
        assert not screen.import_button.isEnabled()

        rows = {line.row: i for i, line in enumerate(screen.problems.lines)}
        screen.problems.item(rows[3], 3).setText("wei.chen@example.com")  # typed over the bad email
        screen.problems.item(rows[4], 3).setText("2/28/2016")
        for row in (6, 9):
            screen.problems.item(rows[row], 4).setCheckState(Qt.CheckState.Checked)
        assert "press Check the file again" in screen.message.text() and not screen.import_button.isEnabled()
        qtbot.mouseClick(screen.check_button, Qt.MouseButton.LeftButton)
        await until(lambda: screen.presenter.may_import and not screen._busy.is_set(), what="a clean check")
        assert "Ready to import" in screen.summary.text() and "2 rows left out" in screen.summary.text()
        assert screen.import_button.isEnabled()

        before = _students(account["data_dir"])
        seen_progress: list[int] = []
        original = screen._progressed
        screen._progressed = lambda phase, done, total: (seen_progress.append(total), original(phase, done, total))
        qtbot.mouseClick(screen.import_button, Qt.MouseButton.LeftButton)
        assert screen.cancel_button.isVisible() and not screen.import_button.isEnabled()
        await until(lambda: not screen._busy.is_set(), what="the import to finish")
        await ops_done()
        assert screen.message.text().startswith("Imported 4 new families") and screen.told[-1][1] == "ok"
        assert _students(account["data_dir"]) == before + 5
        assert seen_progress and not screen.cancel_button.isVisible()


async def test_cancel_writes_nothing(qtbot, account, live_server, tmp_path):
    async with import_screen(qtbot, account, live_server) as screen:
        path = tmp_path / "big.csv"
        path.write_bytes(fx.roster_csv(3000))
        _open(screen, path)
        await until(lambda: screen.presenter.may_import and not screen._busy.is_set(), timeout=30, what="the check")
        before = _students(account["data_dir"])
        lock = sqlite3.connect(account_db_path(account["data_dir"], "acme"), isolation_level=None, timeout=30)
        lock.execute("BEGIN IMMEDIATE")  # the job will wait for the write lock: time to press Cancel
        try:
            qtbot.mouseClick(screen.import_button, Qt.MouseButton.LeftButton)
            await until(lambda: screen.presenter.job is not None, what="the job to start")
            qtbot.mouseClick(screen.cancel_button, Qt.MouseButton.LeftButton)
            await until(lambda: screen.presenter.cancel_sent, what="the cancel sent to the server")
        finally:
            lock.execute("ROLLBACK")
            lock.close()
        await until(lambda: not screen._busy.is_set(), timeout=30, what="the import to stop")
        await ops_done()
        assert "cancelled; nothing was written" in screen.message.text()
        assert _students(account["data_dir"]) == before


async def test_export_saves_a_zip_of_everything(qtbot, account, live_server, tmp_path):
    async with import_screen(qtbot, account, live_server) as screen:
        saved: list[Path] = []

        def answer(file_name: str, done) -> None:  # noqa: ANN001 - what the save dialog would call
            saved.append(tmp_path / file_name)
            done(tmp_path / file_name)

        screen.ask_save_path = answer
        screen.export_format.setCurrentIndex(1)
        qtbot.mouseClick(screen.export_button, Qt.MouseButton.LeftButton)
        await until(lambda: not screen._busy.is_set() and saved and saved[0].exists(), timeout=20, what="the export")
        await ops_done()
        archive = zipfile.ZipFile(io.BytesIO(saved[0].read_bytes()))
        assert archive.namelist() == ["frontdesk-export.xlsx"]
        assert "Saved frontdesk-export-xlsx.zip" in screen.message.text()


async def test_the_rail_offers_import_to_managers_only(qtbot, account, live_server, tmp_path, memory_keyring):
    import dataclasses

    from server import admin
    from tests.desk.desk_helpers import config_for, signed_in_desk

    config = dataclasses.replace(config_for(live_server.url, account, tmp_path / "alex"), idle_lock_seconds=0)
    async with signed_in_desk(qtbot, config, account["password"]) as (_session, window):
        button = window.rail.buttons[window.screens.index(window.import_screen)]
        assert not button.isVisibleTo(window)  # front desk: no data.import
        qtbot.keyClick(window, Qt.Key.Key_F7)
        assert window.current_screen() is not window.import_screen
    admin.add_staff(account["data_dir"], "acme", "mia", MANAGER_PASSWORD, group="manager")
    config = dataclasses.replace(config_for(live_server.url, {**account, "username": "mia"}, tmp_path / "mia"), idle_lock_seconds=0)
    async with signed_in_desk(qtbot, config, MANAGER_PASSWORD) as (_session, window):
        button = window.rail.buttons[window.screens.index(window.import_screen)]
        assert button.isVisibleTo(window)
        qtbot.keyClick(window, Qt.Key.Key_F7)
        assert window.current_screen() is window.import_screen and window.title.text() == "Import"
        assert (window.import_screen.presenter.location_id or "") == window.location.id


async def test_one_click_imports_rows_with_problems_without_the_bad_values(qtbot, account, live_server, tmp_path):
    async with import_screen(qtbot, account, live_server) as screen:
        path = tmp_path / "messy.csv"
        path.write_bytes(fx.messy_csv())
        _open(screen, path)
        await until(lambda: screen.presenter.preview is not None and not screen._busy.is_set(), what="the first check")
        assert "2 values cannot be read and will be left out" in screen.summary.text()
        columns = {line.header: line for line in screen.columns.lines}
        assert columns["Amount Due"].reads_as.startswith("Money the family owes")
        assert columns["Amount Due"].samples == "$1,045.50 · 0 · (20.00)"
        assert "kept whole" in columns["Allergies"].reads_as and columns["Allergies"].samples == "Bee sting allergy"
        assert screen.accept_button.isEnabled() and not screen.import_button.isEnabled()

        qtbot.mouseClick(screen.accept_button, Qt.MouseButton.LeftButton)
        await until(lambda: screen.presenter.may_import and not screen._busy.is_set(), what="the check after the one click")
        assert screen.presenter.skips == {6, 9} and "Ready to import" in screen.summary.text()
        before = _students(account["data_dir"])
        qtbot.mouseClick(screen.import_button, Qt.MouseButton.LeftButton)
        await until(lambda: not screen._busy.is_set() and screen.presenter.job is not None
                    and screen.presenter.job.state != "running", what="the import")  # fmt: skip
        await ops_done()
        assert screen.presenter.job.state == "done" and _students(account["data_dir"]) == before + 5


async def test_the_money_column_can_be_flipped(qtbot, account, live_server, tmp_path):
    from tests.fixtures.imports import products

    async with import_screen(qtbot, account, live_server) as screen:
        path = tmp_path / "credit.csv"
        path.write_bytes(products.parent_email_credit_csv(["x", "y", "z"]))
        _open(screen, path)
        await until(lambda: screen.presenter.preview is not None and not screen._busy.is_set(), what="the first check")
        assert "Balances are read as credits the business owes, each person's own, added up per family" in screen.summary.text()
        screen.money_reads.setCurrentIndex(screen.money_reads.findData("owed"))
        assert "press Check the file again" in screen.message.text()
        qtbot.mouseClick(screen.check_button, Qt.MouseButton.LeftButton)
        await until(lambda: not screen.presenter.stale and not screen._busy.is_set(), what="the check")
        assert screen.presenter.preview.money_reads == "owed"
        assert "Balances are read as money the family owes" in screen.summary.text()
