"""A swipe reaching the main window: a member card checks in, anything else is only said.

Kept out of main_window.py so the window stays about layout. While a dialog that takes swipes is
open (take payment, test your swiper), every swipe goes to it (a payment card pays). While any other
modal window is open (About, a confirmation), nothing acts behind it: a member card is held and named
("Swipe read: close this window to use it") and used when the window closes; a payment card is only
named. Otherwise payment cards and bad reads leave the screen exactly as it was (a half-typed name
stays); a member card brings up check-in.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QWidget

from desk.kem_filter import KemSwipeFilter
from desk.presenters.swipes import HELD_SWIPE, layout_warning, swipe_notice, swiper_status
from desk.swipe_hold import SwipeHold
from desk.usb_swiper import UsbSwiper
from desk.widgets.payment_dialog import PaymentDialog
from desk.widgets.swiper_settings import SwiperDialog
from devices.cards import MemberSwipe, PaymentCard, Swipe
from devices.burst import BurstTiming
from devices.hid import SUPPORTED, HidState, SwiperModel
from devices.tracks import DEFAULT_RULES, MemberRule

if TYPE_CHECKING:
    from desk.widgets.main_window import MainWindow

__all__ = ["Swipe", "handle_swipe", "install_swiper", "open_swiper_settings", "swipe_again_sound"]


def handle_swipe(window: MainWindow, swipe: Swipe) -> None:
    text, tooltip, tone = swiper_status(getattr(window, "swiper_kind", "keyboard"), swipe,
                                        getattr(window, "layout_problem", None))
    window.status.show_swiper(text, tooltip, tone)
    modal = QApplication.activeModalWidget()
    if modal is not None and modal is not window:
        if not takes_swipes(modal):
            behind_a_modal(window, modal, swipe)
        elif isinstance(modal, SwiperDialog):
            modal.show_result(swipe)
        elif isinstance(modal, PaymentDialog):
            modal.card_swiped(swipe)
        return
    dialog = getattr(window, "swiper_dialog", None)
    if dialog is not None and dialog.isVisible():
        dialog.show_result(swipe)  # testing the swiper: nobody is checked in
        return
    payment = open_payment_dialog(window)
    if payment is not None:
        payment.card_swiped(swipe)  # a payment card pays; anything else is said in the dialog
        return
    if isinstance(swipe, PaymentCard) and pay_for_family_in_view(window, swipe):
        return
    notice = swipe_notice(swipe)
    if notice is not None:
        window.toast.show_message(notice.text, notice.tone)
        if notice.bad_read:
            swipe_again_sound()
        return
    assert isinstance(swipe, MemberSwipe)
    window.show_screen(window.screens.index(window.checkin))
    window.checkin.member_swipe(swipe.number)


def takes_swipes(modal: QWidget) -> bool:
    """The dialogs that read swipes themselves: testing the swiper, taking a payment."""
    return isinstance(modal, (SwiperDialog, PaymentDialog))


def behind_a_modal(window: MainWindow, modal: QWidget, swipe: Swipe) -> None:
    """A swipe while a window that takes no swipes is open: nothing acts behind it. A member card is
    held until the window closes, then checks in as usual; the others are only said."""
    if isinstance(swipe, MemberSwipe):
        hold = getattr(window, "swipe_hold", None)
        if hold is None:
            hold = window.swipe_hold = SwipeHold(takes_swipes, parent=window)
            hold.swiped.connect(window.handle_swipe)
        hold.hold(swipe, modal)
        text, tone = HELD_SWIPE, "amber"
    elif isinstance(swipe, PaymentCard):
        text, tone = f"{swipe.describe()} read: close this window, then swipe it again to use it.", "amber"
    else:
        notice = swipe_notice(swipe)
        assert notice is not None
        text, tone = notice.text, notice.tone
        if notice.bad_read:
            swipe_again_sound()
    window.toast.show_message(text, tone)  # the toast sits low on the main window, clear of a dialog's middle


def pay_for_family_in_view(window: MainWindow, card: PaymentCard) -> bool:
    """A payment card swiped with a family in view (its file open, or a child of it on the check-in
    card): the take-payment dialog opens for that family with the card in it, ready for Enter."""
    families = getattr(window, "families", None)
    if families is None:
        return False
    screen = window.current_screen()
    family_id = None
    if screen is families and families.presenter.view is not None:
        family_id = families.presenter.view.id
    elif screen is window.checkin and window.checkin.presenter.card is not None:
        family_id = window.checkin.presenter.card.student.family_id
    if family_id is None or (screen is not families and not families.open_family(family_id)):
        return False
    window.show_screen(window.screens.index(families))
    dialog = families.take_payment()
    if dialog is None:  # may not take payments here: the swipe is only named
        return False
    dialog.card_swiped(card)
    return True


def open_payment_dialog(window: MainWindow) -> PaymentDialog | None:
    """The take-payment dialog open now, if any: while it is, every swipe goes to it."""
    families = getattr(window, "families", None)
    dialog = getattr(families, "dialog", None)
    return dialog if isinstance(dialog, PaymentDialog) and dialog.isVisible() else None


def open_swiper_settings(window: MainWindow) -> SwiperDialog:
    kind = getattr(window, "swiper_kind", "keyboard")
    usb = getattr(window, "usb_swiper", None)
    state = usb.state if usb is not None and kind == "usb" else None
    text = state.message if state is not None else swiper_status(kind, None)[1]
    dialog = SwiperDialog(kind, text, window, udev_rule=state.udev_rule if state is not None else "")
    window.swiper_dialog = dialog
    dialog.open()
    return dialog


def swipe_again_sound() -> None:
    """Two quick beeps: unlike the single one of a check-in, heard without looking up."""
    QApplication.beep()
    QTimer.singleShot(180, QApplication.beep)


def install_swiper(window: MainWindow, *, usb: bool = True, usb_options: dict | None = None) -> KemSwipeFilter:
    """Catch swipes while the main window is open: keyboard-mode bursts app-wide, and a USB HID
    swiper when one is plugged in (`usb`); both go to handle_swipe."""
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    store = getattr(window, "settings", None)  # desk.settings.SettingsStore: key gap, card rules, USB models
    kem = KemSwipeFilter(timing_of(store), rules=lambda: member_rules(store), parent=window)
    if store is not None:
        store.subscribe(lambda _s: setattr(kem.detector, "timing", timing_of(store)))  # a new gap applies at once
    kem.install(app)
    kem.swiped.connect(window.handle_swipe)
    window.closed.connect(kem.uninstall)
    window.swiper_kind = "keyboard"
    window.usb_swiper = None
    # A keyboard layout that garbles swipes is said at once (status bar, amber), not at the first bad read.
    window.layout_problem = layout_warning(QGuiApplication.inputMethod().locale().name())
    window.status.show_swiper(*swiper_status("keyboard", None, window.layout_problem))
    window.status.swiper_clicked.connect(lambda: open_swiper_settings(window))
    if usb:
        options = dict(usb_options or {})
        options.setdefault("models", usb_models(store))
        reader = UsbSwiper(window, **options)
        reader.swiped.connect(window.handle_swipe)
        reader.state_changed.connect(lambda state: _usb_state(window, state))
        window.closed.connect(reader.stop)
        window.usb_swiper = reader
        reader.start()
    return kem


def timing_of(store) -> BurstTiming:  # noqa: ANN001 - SettingsStore | None
    return BurstTiming(max_gap_ms=store.current.swipe_max_gap_ms) if store is not None else BurstTiming()


def member_rules(store) -> tuple[MemberRule, ...]:  # noqa: ANN001 - SettingsStore | None
    """The business's own member-card rules first, then the usual ones."""
    own = tuple(MemberRule(r.name, r.track, r.pattern) for r in store.current.member_card_rules) if store else ()
    return own + DEFAULT_RULES


def usb_models(store) -> tuple[SwiperModel, ...]:  # noqa: ANN001 - SettingsStore | None
    own = tuple(SwiperModel(m.vendor_id, m.product_id, m.name, m.protocol) for m in store.current.usb_swipers) if store else ()
    return SUPPORTED + own


def _usb_state(window: MainWindow, state: HidState) -> None:
    """A USB swiper in use takes over the status item; without one, the keyboard-mode swiper is in use."""
    window.swiper_kind = "usb" if state.kind in ("connected", "permission") else "keyboard"
    if state.kind == "connected":
        window.status.show_swiper("▭ USB swiper", state.message, "neutral")
    elif state.kind == "permission":
        window.status.show_swiper("▭ USB swiper", state.message, "amber")
    else:
        window.status.show_swiper(*swiper_status("keyboard", None, getattr(window, "layout_problem", None)))
