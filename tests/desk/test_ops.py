"""desk.ops.Op: work off the UI's path, every failure through one show_error, in the right words."""

from __future__ import annotations

import asyncio
import logging

import pytest
from PySide6.QtWidgets import QWidget

from desk import ops
from desk.errors import ErrorReport
from sync.errors import NetworkError, RejectedError
from tests.desk.desk_helpers import ops_done

pytestmark = [pytest.mark.gui, pytest.mark.asyncio(loop_factories=["qasync"])]


class Host(QWidget):
    """A window that shows failures the way the main window does."""

    def __init__(self) -> None:
        super().__init__()
        self.alerts: list[ErrorReport] = []

    def show_alert(self, report: ErrorReport) -> None:
        self.alerts.append(report)


async def test_success_gets_the_result_and_the_task_is_held_until_done(qtbot):
    host = Host()
    qtbot.addWidget(host)
    got: list[int] = []

    async def work() -> int:
        await asyncio.sleep(0.01)
        return 42

    task = ops.Op(host, work).success(got.append).run()
    assert ops.running_ops() >= 1 and task in ops._running
    await ops_done()
    assert got == [42] and host.alerts == []


async def test_an_expected_failure_is_said_in_front_desk_words_and_the_screen_can_undo(qtbot):
    host = Host()
    qtbot.addWidget(host)
    undone: list[BaseException] = []

    async def offline() -> None:
        raise NetworkError("Can't reach the server. Your work is saved on this computer.")

    ops.Op(host, offline, doing="checking in").failure(undone.append).run()
    await ops_done()
    assert len(undone) == 1
    (report,) = host.alerts
    assert not report.is_bug and report.kind == "network"
    assert report.title == "Could not finish checking in"
    assert report.text.startswith("Can't reach the server.")


async def test_a_bug_is_logged_with_context_and_shown_as_a_bug(qtbot, caplog):
    host = Host()
    qtbot.addWidget(host)

    async def broken() -> None:
        raise KeyError("session_id")

    with caplog.at_level(logging.ERROR, logger="frontdesk.desk"):
        ops.Op(host, broken, doing="marking attendance").run()
        await ops_done()
    (report,) = host.alerts
    assert report.is_bug and "bug in Frontdesk" in report.text and "marking attendance" in report.text
    assert "bug while marking attendance" in caplog.text and "KeyError" in caplog.text


async def test_a_bug_in_the_success_callback_is_reported_too(qtbot, caplog):
    host = Host()
    qtbot.addWidget(host)

    async def fine() -> str:
        return "ok"

    def clumsy(_result: str) -> None:
        raise AttributeError("no such label")

    with caplog.at_level(logging.ERROR, logger="frontdesk.desk"):
        ops.Op(host, fine, doing="drawing").success(clumsy).run()
        await ops_done()
    assert [r.is_bug for r in host.alerts] == [True]


async def test_nothing_is_called_back_once_the_screen_is_gone(qtbot):
    host = Host()
    called: list[object] = []

    async def slow() -> None:
        await asyncio.sleep(0.05)
        raise RejectedError("refused")

    ops.Op(host, slow).success(called.append).failure(called.append).run()
    host.deleteLater()
    await asyncio.sleep(0.01)
    await ops_done()
    assert called == []
