"""The Qt binding itself must not corrupt the interpreter over a day at the desk."""

from __future__ import annotations

import sys

import pytest

pytestmark = pytest.mark.gui


def test_qt_calls_returning_nothing_keep_none_alive(qapp):
    """PySide6 6.12.0 on Python 3.11 dropped a reference to None on each void call, and the
    interpreter aborted after a few thousand (pyproject pins below it). 3.12+ makes None immortal,
    so there the count does not move either way."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QLabel

    timer, label = QTimer(), QLabel()
    before = sys.getrefcount(None)
    for _ in range(500):
        timer.setInterval(5)
        label.setText("Emma Lee checked in")
    assert sys.getrefcount(None) >= before - 50
