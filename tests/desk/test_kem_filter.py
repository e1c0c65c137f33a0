"""The keyboard-mode swiper filter on real widgets: swipes are caught, people's typing goes through."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QApplication, QLineEdit, QVBoxLayout, QWidget

from desk.kem_filter import KemSwipeFilter
from devices.burst import BurstTiming
from devices.cards import BadRead, MemberSwipe, PaymentCard
from tests.fixtures import cards as tc
from tests.helpers.keys import hold_key, type_text

pytestmark = [pytest.mark.gui, pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")]


@pytest.fixture
def form(qtbot, qapp: QApplication):
    """A window with a focused search field (and a second field), the filter installed app-wide."""
    window = QWidget()
    search, other = QLineEdit(), QLineEdit()
    search.setObjectName("search")
    layout = QVBoxLayout(window)
    layout.addWidget(search)
    layout.addWidget(other)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    search.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is search)
    kem = KemSwipeFilter(BurstTiming(max_gap_ms=30, commit_keys=4, stall_ms=200))
    kem.install(qapp)
    swipes: list = []
    kem.swiped.connect(swipes.append)
    search.setText("Em")
    try:
        yield search, other, kem, swipes
    finally:
        kem.uninstall()


@pytest.mark.parametrize("gap_ms", [1, 4, 12])
def test_a_payment_swipe_never_lands_in_the_field(form, qtbot, gap_ms):
    search, _, _, swipes = form
    type_text(tc.magtek(tc.VISA), gap_ms=gap_ms)
    qtbot.waitUntil(lambda: len(swipes) == 1, timeout=2000)  # once no other track follows the Enter
    assert search.text() == "Em"
    assert len(swipes) == 1 and isinstance(swipes[0], PaymentCard)
    assert swipes[0].last4 == tc.VISA[-4:]


def test_a_member_swipe_is_caught_in_any_field(form, qtbot):
    search, other, _, swipes = form
    other.setFocus()
    type_text(";00012345?\r", gap_ms=3)
    qtbot.waitUntil(lambda: len(swipes) == 1, timeout=2000)
    assert (search.text(), other.text()) == ("Em", "")
    assert swipes == [MemberSwipe("00012345", "number on track 2")]


def test_slow_typing_of_the_same_characters_goes_through(form, qtbot):
    search, _, _, swipes = form
    type_text(";00012345?", gap_ms=180)
    qtbot.waitUntil(lambda: search.text() == "Em;00012345?")
    assert swipes == []


def test_a_person_typing_a_sentinel_gets_it(form, qtbot):
    search, _, _, swipes = form
    type_text("%", gap_ms=100)
    qtbot.waitUntil(lambda: search.text() == "Em%")  # handed back once no fast keys follow
    type_text("; a%b", gap_ms=120)
    qtbot.waitUntil(lambda: search.text() == "Em%; a%b")
    assert swipes == []


def test_held_key_autorepeat_goes_through(form, qtbot):
    search, _, _, swipes = form
    hold_key("%", repeats=5, rate_ms=20)
    qtbot.waitUntil(lambda: search.text() == "Em" + "%" * 6)
    assert swipes == []


def test_a_burst_that_stops_halfway_is_a_bad_read(form, qtbot):
    search, _, _, swipes = form
    type_text(tc.magtek(tc.MASTERCARD)[:25], gap_ms=3)
    qtbot.waitUntil(lambda: len(swipes) == 1)
    assert isinstance(swipes[0], BadRead) and swipes[0].message == "Swipe again"
    assert search.text() == "Em"
    type_text("ma", gap_ms=150)  # the desk is back to normal typing
    assert search.text() == "Emma"


def test_read_errors_and_back_to_back_swipes(form, qtbot):
    search, _, _, swipes = form
    type_text("%E?;E?\r", gap_ms=3)
    type_text(tc.magtek(tc.AMEX), gap_ms=3)  # a second later: its first key ends the first swipe
    qtbot.waitUntil(lambda: len(swipes) == 2, timeout=2000)
    assert search.text() == "Em"
    assert isinstance(swipes[0], BadRead) and isinstance(swipes[1], PaymentCard)
    assert swipes[1].brand == "American Express"


def test_a_reader_sending_enter_after_each_track_gives_one_swipe(form, qtbot):
    search, _, _, swipes = form
    last = type_text(tc.track1(tc.VISA) + "\r" + tc.track2(tc.VISA) + "\r", gap_ms=4)
    qtbot.waitUntil(lambda: len(swipes) == 1, timeout=2000)
    qtbot.wait(200)  # well past the track gap: nothing else comes of it
    assert len(swipes) == 1 and isinstance(swipes[0], PaymentCard) and swipes[0].name == "John Q Doe"
    assert search.text() == "Em"
    type_text("ma", gap_ms=150, start_ms=last + 400)  # the person at the desk types on, as before
    assert search.text() == "Emma"
