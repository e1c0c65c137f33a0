"""The swiper dialog: state, layout warning, and the test box catching real key bursts."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QApplication

from desk.kem_filter import KemSwipeFilter
from desk.widgets.swiper_settings import SwiperDialog
from tests.fixtures import cards as tc
from tests.helpers.keys import type_text

pytestmark = [pytest.mark.gui, pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")]


def test_test_your_swiper_and_the_layout_warning(qtbot, qapp: QApplication, styled_app):
    dialog = SwiperDialog("keyboard", "Card swiper (keyboard mode) ready.", locale_name="de_DE")
    qtbot.addWidget(dialog)
    assert "keyboard-mode" in dialog.in_use.text()
    assert dialog.layout_warning.isVisibleTo(dialog) and "German" in dialog.layout_warning.text()
    kem = KemSwipeFilter()
    kem.install(qapp)
    kem.swiped.connect(dialog.show_result)
    try:
        dialog.show()
        qtbot.waitExposed(dialog)
        dialog.activateWindow()
        dialog.setFocus()
        qtbot.waitUntil(lambda: QApplication.focusWidget() is not None)
        type_text(tc.magtek(tc.MASTERCARD), gap_ms=3)
        qtbot.waitUntil(lambda: dialog.result.text() == "Read a payment card: Mastercard ending 4444. The swiper works.",
                        timeout=2000)  # said once no other track follows the Enter
        type_text("%E?;E?\r", gap_ms=3)
        qtbot.waitUntil(lambda: dialog.result.text().startswith("Swipe again"), timeout=2000)
    finally:
        kem.uninstall()
    us = SwiperDialog("keyboard", "ready", locale_name="en_US")
    qtbot.addWidget(us)
    assert not us.layout_warning.isVisibleTo(us)
