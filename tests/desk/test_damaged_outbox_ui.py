"""A damaged outbox at start: the desk says so and waits for staff to choose; nothing is deleted."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from desk.app import damaged_outbox_choice
from sync.outbox import OutboxDamaged

pytestmark = pytest.mark.gui


@pytest.mark.parametrize(("press", "expected"), [("Keep it aside and start again", True), ("Stop and call support", False)])
def test_staff_choose_between_stopping_and_setting_the_file_aside(qtbot, tmp_path: Path, press: str, expected: bool):
    seen: list[str] = []

    def answer() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(20, answer)
            return
        seen.append(box.text())
        [button] = [b for b in box.buttons() if b.text() == press]
        button.click()

    QTimer.singleShot(20, answer)
    assert damaged_outbox_choice(OutboxDamaged(tmp_path / "outbox.sqlite3")) is expected
    assert "damaged" in seen[0] and "kept" in seen[0] and str(tmp_path) in seen[0]
