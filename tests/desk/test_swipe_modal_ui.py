"""A swipe while a modal window is open (keyboard-mode bursts on the real filter, the real desk store):
never a silent check-in behind the dialog. A dialog that takes swipes gets it; any other holds a
member card and names it until the window closes."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from desk.presenters.swipes import HELD_SWIPE
from desk.swipe_handling import open_swiper_settings
from devices.cards import MemberSwipe
from tests.desk.desk_helpers import ops_done, until
from tests.desk.swipe_helpers import SWIPER_GAP_MS, offline_desk
from tests.fixtures import cards as tc
from tests.helpers.keys import type_text

pytestmark = [pytest.mark.gui, pytest.mark.asyncio(loop_factories=["qasync"])]

CARD = "00012345"  # given to Emmett Lee (demo data) at the start of each test


async def in_front(dialog: QWidget) -> None:
    dialog.activateWindow()
    await until(lambda: QApplication.activeModalWidget() is dialog and QApplication.focusWidget() is not None
                and QApplication.focusWidget().window() is dialog, what="the dialog in front with focus")


async def test_a_member_swipe_behind_about_is_held_named_and_used_when_it_closes(qtbot, tmp_path):
    async with offline_desk(qtbot, tmp_path / "desk") as (window, store, demo):
        await store.assign_card(CARD, demo.ids["emmett"])
        await ops_done()
        pending = store.pending_count()
        screen = window.current_screen()
        about = window.help.show_about()  # a real modal window of the desk that takes no swipes
        await in_front(about)

        type_text(f";{CARD}?\r", gap_ms=SWIPER_GAP_MS)
        await until(lambda: window.toast.last_text == HELD_SWIPE, what="the held swipe named")
        await ops_done()
        assert store.pending_count() == pending, "nobody may be checked in behind the dialog"
        assert window.current_screen() is screen and about.isVisible()
        assert window.swipe_hold.held == MemberSwipe(CARD, "number on track 2")
        assert window.toast.isVisible()

        # A payment card meanwhile is only named: no payment opens behind the dialog, nothing is held for it.
        type_text(tc.magtek(tc.VISA), gap_ms=SWIPER_GAP_MS)
        await until(lambda: window.toast.last_text.startswith("Visa ending 1111 read: close this window"))
        assert window.families.dialog is None or not window.families.dialog.isVisible()
        assert window.swipe_hold.held == MemberSwipe(CARD, "number on track 2")

        about.accept()
        await until(lambda: window.toast.last_text.startswith("Emmett Lee"), what="the held swipe used")
        await ops_done()
        assert store.pending_count() == pending + 1 and window.swipe_hold.held is None
        assert window.current_screen() is window.checkin and window.checkin.card.name.text() == "Emmett Lee"


async def test_a_dialog_that_takes_swipes_gets_them(qtbot, tmp_path):
    async with offline_desk(qtbot, tmp_path / "desk") as (window, store, demo):
        await store.assign_card(CARD, demo.ids["emmett"])
        await ops_done()
        pending = store.pending_count()
        dialog = open_swiper_settings(window)  # test your swiper: modal, reads swipes, checks nobody in
        await in_front(dialog)
        type_text(f";{CARD}?\r", gap_ms=SWIPER_GAP_MS)
        await until(lambda: dialog.result.text() == "Read a member card ending 2345. The swiper works.")
        await ops_done()
        assert store.pending_count() == pending and getattr(window, "swipe_hold", None) is None
        dialog.reject()
        await until(lambda: not dialog.isVisible())
        await ops_done()
        assert store.pending_count() == pending  # closing it used nothing: the swipe was the dialog's


async def test_a_confirmation_over_the_payment_dialog_holds_the_swipe_for_the_dialog(qtbot, tmp_path):
    async with offline_desk(qtbot, tmp_path / "desk") as (window, store, demo):
        await store.assign_card(CARD, demo.ids["emmett"])
        await ops_done()
        pending = store.pending_count()
        window.show_screen(window.screens.index(window.families))
        assert window.families.open_family(demo.ids["fam_lee"])
        payment = window.families.take_payment()
        assert payment is not None
        await until(lambda: QApplication.activeModalWidget() is payment, what="the payment dialog in front")
        confirm = QMessageBox(QMessageBox.Icon.Question, "Frontdesk", "Take this payment?",
                              QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, payment)
        confirm.open()
        await in_front(confirm)

        type_text(f";{CARD}?\r", gap_ms=SWIPER_GAP_MS)
        await until(lambda: window.toast.last_text == HELD_SWIPE, what="the held swipe named")
        confirm.reject()
        # The window in front now takes swipes: the held one goes to it, and nobody is checked in.
        await until(lambda: payment.swipe_prompt.text() == "That is a member card. Swipe the payment card.",
                    what="the swipe given to the payment dialog")
        await ops_done()
        assert store.pending_count() == pending and window.swipe_hold.held is None and payment.isVisible()
        payment.reject()
