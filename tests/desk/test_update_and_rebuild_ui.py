"""Two paths of a desk start and a desk at work, against the real server over loopback:
- the server answers 426 (this app is too old): the status bar says so in front-desk words and
  the work waits in the outbox, nothing set aside; after the update it is sent;
- a damaged cache file at start: the desk says it is downloading its copy again, with a bar
  that fills, and the data comes back with the unsent work replayed on top.
"""

from __future__ import annotations

import asyncio
import dataclasses

import pytest
from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication, QProgressBar, QProgressDialog

from desk.app import first_sync, signed_in_session
from desk.boot import DeskSession
from sync.store import CACHE_FILE
from tests.desk.desk_helpers import FAST_ENGINE, config_for, ops_done, signed_in_desk, until
from tests.helpers.damage import damage_table

pytestmark = [pytest.mark.gui, pytest.mark.asyncio(loop_factories=["qasync"])]


async def test_update_required_is_said_in_the_status_bar_and_the_work_waits(qtbot, live_server, account, tmp_path, memory_keyring):
    async with signed_in_desk(qtbot, config_for(live_server.url, account, tmp_path / "desk"), account["password"]) as (
        session, window,
    ):
        bar = window.status
        await until(lambda: "Online" in bar.text() and "0 pending" in bar.text(), what="online")
        session.client.protocol = 0  # this desk now speaks a protocol older than the server serves

        student = session.store.search_students("a")[0]
        await session.store.check_in(student.id, window.location.id, None)
        session.engine.kick()
        await until(lambda: "not sent" in bar.text(), what="the server's refusal in the status bar")
        assert "1 pending" in bar.text() and "update the app" in bar.text()
        assert "Traceback" not in bar.text() and "Error" not in bar.text()  # front-desk words, no exception names
        assert bar.sync_label.property("tone") == "amber"
        assert "kept" in bar.sync_label.toolTip()
        await asyncio.sleep(0.5)  # more rounds: still waiting, never set aside as refused
        assert session.store.pending_count() == 1 and session.store.rejected() == []
        assert "need attention" not in bar.text()

        session.client.protocol = 1  # the app was updated
        session.engine.kick()
        await until(lambda: session.store.pending_count() == 0, timeout=15, what="the kept check-in sent")
        await until(lambda: "not sent" not in bar.text(), what="the bar back to normal")
        assert session.store.rejected() == []


class ProgressSeen(QObject):
    """Every progress dialog shown in the app, with its words and the values its bar went through."""

    def __init__(self) -> None:
        super().__init__()
        self.labels: list[str] = []
        self.values: list[tuple[int, int]] = []

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Show and isinstance(watched, QProgressDialog) and watched.accessibleName() not in self.labels:
            self.labels.append(watched.accessibleName())
            bar = watched.findChild(QProgressBar)
            bar.valueChanged.connect(lambda v, b=bar: self.values.append((v, b.maximum())))
        return False


async def test_a_damaged_cache_is_downloaded_again_with_progress_and_the_outbox_on_top(
    qtbot, live_server, account, tmp_path, memory_keyring
):
    config = config_for(live_server.url, account, tmp_path / "desk")
    config = dataclasses.replace(config, engine_options={**FAST_ENGINE, "pull_limit": 10})  # several pages: a bar that fills
    first = DeskSession.open(config)
    try:
        await first.login(config.username, account["password"])
        await first_sync(first)
        location = first.store.locations()[0]
        [klass, *_] = [s for s in first.store.sessions_on(location.id, _today(first, location)) if first.store.roster(s.id)]
        student = first.store.roster(klass.id)[0]
        await first.store.mark_attendance(klass.id, student.student_id, "late")  # not sent: the engine never ran
        students = len(first.store.search_students("a", limit=500))
    finally:
        await ops_done()
        await first.close()
    damage_table(first.store.data_dir / CACHE_FILE, "student")

    seen = ProgressSeen()
    QApplication.instance().installEventFilter(seen)
    try:
        session = await asyncio.wait_for(signed_in_session(config), 10)  # the desk's start: resumed from the keyring
        try:
            assert session.store.cache.rebuilt
            await asyncio.wait_for(first_sync(session), 20)
            assert any("downloaded again" in t and "not yet sent is kept" in t for t in seen.labels), seen.labels
            assert seen.values and seen.values[-1][1] > 0  # a bar with a length, not only a busy spinner
            assert len(session.store.search_students("a", limit=500)) == students  # the data is back
            rows = {r.student_id: r.status for r in session.store.roster(klass.id)}
            assert rows[student.student_id] == "late"  # the unsent mark kept through the rebuild...
            assert session.store.pending_count() == 0 and session.store.rejected() == []  # ...and sent by the same sync
        finally:
            await ops_done()
            await session.close()
    finally:
        QApplication.instance().removeEventFilter(seen)


def _today(session: DeskSession, location):
    from desk.presenters.formatting import now_at

    return now_at(location.timezone, session.store.clock).date()
