"""The look holds: the style sheet parses, controls are big enough and named, empty states guide."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QComboBox, QLineEdit

from desk.theme import style_sheet
from desk.widgets.main_window import MainWindow
from sync.views import SyncStatus
from tests.desk.fakes import FakeStore

pytestmark = pytest.mark.gui


@pytest.fixture
def window(qtbot, styled_app):
    w = MainWindow(FakeStore(), staff_name="Alex Rivera", account_name="Tumble Town",
                   status=SyncStatus(online=True, pending=0))
    qtbot.addWidget(w)
    w.resize(1366, 768)
    w.show()
    return w


def test_both_palettes_fill_every_token():
    for dark in (False, True):
        assert "@" not in style_sheet(dark).replace("@media", "")


def test_controls_are_at_least_36_px_and_carry_accessible_names(window, qtbot):
    window.checkin.search.setText("emm")
    controls = [w for w in window.findChildren(QAbstractButton) + window.findChildren(QLineEdit)
                + window.findChildren(QComboBox) if w.isVisible()]
    assert len(controls) >= 4
    for control in controls:
        assert control.height() >= 36, (control, control.height())
        assert control.accessibleName(), control


def test_the_rail_and_keys_switch_screens(window, qtbot):
    assert [b.name.text() for b in window.rail.buttons] == ["Check-in", "Rosters", "Families", "Reports", "Settings", "Week",
                                                          "Set-up"]
    window.rail.buttons[1].click()
    assert window.stack.currentWidget() is window.roster and window.rail.buttons[1].isChecked()
    window.rail.buttons[0].click()
    assert window.checkin.search.hasFocus() or window.focusWidget() is window.checkin.search


def test_a_location_without_classes_says_what_to_do(window, qtbot):
    window.location_box.setCurrentIndex(1)  # Northside has no classes in the fake store
    assert window.location.name == "Northside"
    qtbot.keyClicks(window.checkin.search, "noah")
    qtbot.keyClick(window.checkin.search, Qt.Key.Key_Return)
    texts = [label.text() for label in window.checkin.card.findChildren(type(window.title)) if label.isVisibleTo(window)]
    assert any(t.startswith("No classes today at Northside") for t in texts)
    window.show_screen(1)
    assert window.roster.sessions_empty.text() == "No classes today at Northside."


def test_refused_changes_show_in_red_and_open_a_list(window, qtbot):
    import datetime as dt

    from desk.widgets.needs_attention import NeedsAttentionDialog
    from sync.views import RejectedView

    refused = [RejectedView("m1", 4, "check_in", dt.datetime(2025, 3, 3, 22, 0), "not_found",
                            "This student is no longer on file; the change was not recorded.", "Check-in of Emma Lee")]
    window.store.rejected = lambda: refused
    window.show_sync_status(SyncStatus(online=True, pending=0, rejected=1))
    assert window.status.text().endswith("1 need attention")
    window.status.attention.click()
    dialog = window.findChild(NeedsAttentionDialog)
    assert dialog is not None and dialog.isVisible()
    assert dialog.items.item(0).text().startswith("Check-in of Emma Lee")
    assert "no longer on file" in dialog.items.item(0).text()
    dialog.close()
