"""The self check-in kiosk on a real desk cache (and once on a real server): digits on the pad
and on a keyboard, several families, privacy of every text on screen, the check-in window,
member-card swipes, alerts that send a child to the front desk, the exit PIN and idle time."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
from argon2 import PasswordHasher
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QApplication, QLabel, QMessageBox
from sqlmodel import select

from desk.app import first_sync
from desk.boot import DeskSession
from desk.kiosk.exit_pin import KioskExit
from desk.kiosk.launch import install_swipers, open_kiosk_window
from desk.kiosk.options import KioskOptions
from desk.kiosk.presenter import PAYMENT_CARD, SEE_FRONT_DESK, KioskPresenter
from desk.kiosk.window import KioskWindow
from desk.presenters.swipes import HELD_SWIPE
from devices.cards import MemberSwipe
from server import admin
from server.account_db import AuditEvent
from server.accounts import open_account
from sync import db
from sync.kiosk_queries import KioskData, family_of_student, phone_digits
from sync.offline_signin import verify_pin
from sync.core.schema import Contact
from tests.desk.desk_helpers import config_for, ops_done, until
from tests.desk.test_swipe_modal_ui import in_front
from tests.fixtures import cards as tc
from tests.helpers.keys import type_text
from tests.sync.test_kiosk_queries import at, filled_store

pytestmark = [pytest.mark.gui, pytest.mark.asyncio(loop_factories=["qasync"])]

PIN = "2468"
PIN_VERIFIER = PasswordHasher().hash(PIN)  # as the server hands it out at sign-in (Argon2)
MEMBER = "00423817"
TOUCH = 64


@pytest.fixture
def desk(tmp_path, styled_app):
    store, w = filled_store(tmp_path / "desk")
    try:
        yield store, w
    finally:
        store.close()


@contextlib.asynccontextmanager
async def kiosk(qtbot, store, when: dt.datetime, *, idle_seconds: float = 60, done_seconds: float = 30,
                **options):
    """A kiosk window at Downtown with its clock at `when`, swipes caught; closed afterwards."""
    downtown = next(loc for loc in store.locations() if loc.code == "DT")
    presenter = KioskPresenter(KioskData(store), store, downtown,
                               KioskOptions(idle_seconds=idle_seconds, done_seconds=done_seconds, **options),
                               now=lambda: when)
    exit_pin = KioskExit([lambda pin: verify_pin(PIN_VERIFIER, pin)], tries=3, wait_seconds=60)
    window = KioskWindow(presenter, exit_pin, account_name="Test gym", check_every_ms=40, long_press_ms=150)
    qtbot.addWidget(window, before_close_func=lambda w: w.allow_close())
    try:
        install_swipers(window, usb=False)
        window.show_kiosk()
        await until(window.isActiveWindow, what="the kiosk active")
        yield window
    finally:
        window.allow_close()
        window.close()
        await ops_done()


def click(qtbot, button: QAbstractButton) -> None:
    assert button.isVisible() and button.isEnabled(), f"{button.text()!r} cannot be tapped"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def tap_digits(qtbot, pad, digits: str) -> None:
    for d in digits:
        click(qtbot, pad.buttons[d])


def shown_texts(window: KioskWindow) -> Iterator[str]:
    """Every text a person (or a screen reader) can get from the kiosk's labels and buttons."""
    for widget in [*window.findChildren(QLabel), *window.findChildren(QAbstractButton)]:
        yield from (widget.text(), widget.toolTip(), widget.accessibleName(), widget.accessibleDescription())


def assert_touchable(window: KioskWindow) -> None:
    """Every button on the page shown is a finger's size and says what it is."""
    buttons = [b for b in window.findChildren(QAbstractButton) if b.isVisible()]
    assert buttons
    for button in buttons:
        assert button.height() >= TOUCH and button.width() >= TOUCH, (button.text(), button.size())
        assert button.accessibleName(), button.text()


def row_of(window: KioskWindow, first_name: str):
    return next(r for r in window.children.rows if r.child.first_name == first_name)


async def test_phone_digits_on_the_pad_find_several_families_then_one(qtbot, desk):
    store, w = desk
    async with kiosk(qtbot, store, at(15, 45)) as window:
        assert window.isFullScreen() and window.stack.currentWidget() is window.start
        assert_touchable(window)
        tap_digits(qtbot, window.start.pad, "010")
        assert [b.text() for b in window.start.digits.boxes] == ["0", "1", "0", ""]
        click(qtbot, window.start.pad.buttons["back"])
        tap_digits(qtbot, window.start.pad, "01")
        assert window.stack.currentWidget() is window.families
        assert [b.text() for b in window.families.buttons] == ["L. — Amy, Emma, Emmett", "P. — Ava, Leo, Mia"]
        assert all(b.height() >= 84 for b in window.families.buttons)
        assert_touchable(window)
        click(qtbot, window.families.buttons[1])
        assert window.stack.currentWidget() is window.children
        assert [r.child.first_name for r in window.children.rows] == ["Ava", "Leo", "Mia"]
        mia = row_of(window, "Mia")
        assert mia.toggle.isChecked() and mia.toggle.text() == "✓  Mia"
        assert [b.isChecked() for b in mia.class_buttons.values()] == [True]
        assert window.children.check_in_button.text() == "Check in Mia"
        assert_touchable(window)

        click(qtbot, window.children.back_button)  # start over; now a family of its own
        assert window.stack.currentWidget() is window.start and window.children.rows == []
        tap_digits(qtbot, window.start.pad, "4242")
        assert [r.child.first_name for r in window.children.rows] == ["Zoë"]
        click(qtbot, window.staff_button)
        assert_touchable(window)  # the PIN pad


async def test_digits_typed_on_a_keyboard_work_like_the_pad(qtbot, desk):
    store, w = desk
    async with kiosk(qtbot, store, at(15, 45)) as window:
        target = QApplication.focusWidget() or window
        type_text("42", gap_ms=180, target=target)  # a person's pace: not a swipe
        assert [b.text() for b in window.start.digits.boxes][:2] == ["4", "2"]
        qtbot.keyClick(target, Qt.Key.Key_Backspace)
        assert window.presenter.digits == "4"
        type_text("242", gap_ms=180, target=target)
        assert window.stack.currentWidget() is window.children
        assert [r.child.first_name for r in window.children.rows] == ["Zoë"]
        qtbot.keyClick(QApplication.focusWidget() or window, Qt.Key.Key_Escape)
        assert window.stack.currentWidget() is window.start


async def test_no_last_name_phone_or_alert_text_anywhere_on_the_kiosk(qtbot, desk):
    store, w = desk
    await store.assign_card(MEMBER, w.ids["mia"])
    seen: list[str] = []
    async with kiosk(qtbot, store, at(18, 15)) as window:
        tap_digits(qtbot, window.start.pad, "0101")
        seen += shown_texts(window)
        click(qtbot, window.families.buttons[0])  # the Lees: an allergy, a balance due
        assert {r.child.first_name: r.note.text() for r in window.children.rows if r.child.blocked} == {
            "Amy": SEE_FRONT_DESK, "Emma": SEE_FRONT_DESK, "Emmett": SEE_FRONT_DESK}
        seen += shown_texts(window)
        type_text(f";{MEMBER}?\r", gap_ms=3)  # Mia's card: the Parkers, Ava's waiver missing
        await until(lambda: window.presenter.family.family_id == w.ids["fam_parker"], what="the swipe read")
        seen += shown_texts(window)
        assert row_of(window, "Leo").toggle.isChecked()  # the one child whose class is open now
        click(qtbot, window.children.check_in_button)
        await until(lambda: window.stack.currentWidget() is window.done, what="the done page")
        seen += shown_texts(window)
        click(qtbot, window.staff_button)
        seen += shown_texts(window)
    words = " ".join(seen)
    assert "Emma" in words and "Leo · Junior Ninja, 6:30 PM" in words  # the walk did see the pages
    for private in ("Lee", "Parker", "Müller", "Grace", "Jordan", "Anna", "555", "312", "0101", "$",
                    "Peanut", "allergy", "Balance", "balance", "Waiver", "waiver", "Tuition"):
        assert private not in words, private


@pytest.mark.parametrize(
    ("when", "text", "enabled"),
    [
        (at(15, 0), "4:00 PM  ·  Level 2 Tumbling\nCheck-in opens at 3:30 PM", False),
        (at(15, 45), "4:00 PM  ·  Level 2 Tumbling\nCheck-in is open", True),
        (at(16, 10), "4:00 PM  ·  Level 2 Tumbling\nStarted at 4:00 PM: you will be marked late", True),
        (at(16, 30), "4:00 PM  ·  Level 2 Tumbling\nCheck-in closed at 4:15 PM. Please see the front desk.", False),
    ],
    ids=["before", "inside", "late", "after"],
)
async def test_the_class_shows_when_check_in_is_open_and_records_present_or_late(qtbot, desk, when, text, enabled):
    store, w = desk
    async with kiosk(qtbot, store, when) as window:
        tap_digits(qtbot, window.start.pad, "4242")
        [button] = row_of(window, "Zoë").class_buttons.values()
        assert (button.text(), button.isEnabled()) == (text, enabled)
        assert row_of(window, "Zoë").toggle.isEnabled() is enabled
        assert window.children.check_in_button.isEnabled() is enabled
        pending = store.pending_count()
        if not enabled:
            assert window.children.note.isVisible() and "No one can be checked in here right now" in window.children.note.text()
            qtbot.keyClick(window, Qt.Key.Key_Return)  # Enter does nothing either
            await ops_done()
            assert store.pending_count() == pending and window.stack.currentWidget() is window.children
            return
        click(qtbot, window.children.check_in_button)
        await until(lambda: window.stack.currentWidget() is window.done, what="the done page")
        late = when > at(16)
        assert window.done.title.text() == "You're checked in!"
        assert [x.text() for x in window.done.lines] == [f"Zoë · Level 2 Tumbling, 4:00 PM{' (late)' if late else ''}"]
        [row] = [r for r in store.roster(w.ids["sess_tumbling"]) if r.student_id == w.ids["zoe"]]
        assert (row.status, row.checked_in) == ("late" if late else "present", True)
        assert store.pending_count() == pending + 1


async def test_a_member_card_swiped_anywhere_opens_the_family(qtbot, desk):
    store, w = desk
    await store.assign_card(MEMBER, w.ids["mia"])
    async with kiosk(qtbot, store, at(15, 45)) as window:
        tap_digits(qtbot, window.start.pad, "12")  # half typed: the swipe wins
        type_text(f";{MEMBER}?\r", gap_ms=3)
        await until(lambda: window.stack.currentWidget() is window.children, what="the swipe read")
        assert window.presenter.family.family_id == w.ids["fam_parker"] and window.presenter.digits == ""
        assert row_of(window, "Mia").toggle.isChecked()
        type_text(";99999999?\r", gap_ms=3)  # a card no one has
        await until(lambda: window.stack.currentWidget() is window.start, what="the swipe read")
        assert window.start.message.isVisible() and window.start.message.text() == "This card is not on file yet. Please see the front desk."


async def test_a_blocked_child_is_sent_to_the_front_desk_who_hears_why_and_no_check_in_is_recorded(qtbot, desk):
    store, w = desk
    async with kiosk(qtbot, store, at(18, 15)) as window:
        tap_digits(qtbot, window.start.pad, "0101")
        click(qtbot, window.families.buttons[0])  # the Lees owe a balance: Emma's Ninja is open, but not for her
        emma = row_of(window, "Emma")
        assert not emma.toggle.isEnabled() and emma.class_buttons == {}
        assert emma.note.isVisible() and emma.note.text() == SEE_FRONT_DESK
        assert not window.children.check_in_button.isEnabled()
        # The front desk is told who and why: one referral, and a chip on Emma's card at the desk.
        downtown = window.presenter.location
        await until(lambda: store.student_card(w.ids["emma"], downtown.id, at(18, 16)).student.alerts
                    and any(a.kind == "kiosk" for a in store.student_card(w.ids["emma"], downtown.id, at(18, 16)).student.alerts),
                    what="the referral recorded")  # fmt: skip
        card = store.student_card(w.ids["emma"], downtown.id, at(18, 16))
        [told] = [a for a in card.student.alerts if a.kind == "kiosk"]
        assert told.text.startswith("Sent to the front desk by the kiosk at") and told.text.endswith("balance due")
        pending = store.pending_count()
        qtbot.mouseClick(emma.toggle, Qt.MouseButton.LeftButton)  # a disabled toggle does nothing
        qtbot.keyClick(window, Qt.Key.Key_Return)
        await ops_done()
        assert store.pending_count() == pending and window.presenter.chosen == {}
        assert all(r.student_id != w.ids["emma"] or not r.checked_in for r in store.roster(w.ids["sess_ninja"]))


async def test_leaving_needs_a_right_staff_pin_and_wrong_ones_make_the_pad_wait(qtbot, desk):
    store, _w = desk
    async with kiosk(qtbot, store, at(15, 45)) as window:
        closed: list[bool] = []
        window.closed.connect(lambda: closed.append(True))
        window.close()  # Alt+F4 in the lobby
        assert window.isVisible() and closed == []
        click(qtbot, window.staff_button)
        assert window.stack.currentWidget() is window.pin and not window.staff_button.isVisible()
        pin = window.pin
        tap_digits(qtbot, pin.pad, "1357")
        assert [b.text() for b in pin.digits.boxes][:5] == ["●", "●", "●", "●", ""]
        click(qtbot, pin.ok_button)
        await until(lambda: pin.message.isVisible(), what="the wrong PIN said")
        assert pin.message.text() == "That PIN is not right. 2 more tries before the pad waits."
        assert window.stack.currentWidget() is window.pin and closed == []
        for _ in range(2):
            tap_digits(qtbot, pin.pad, "0000")
            qtbot.keyClick(window, Qt.Key.Key_Return)
            await until(lambda: not window._pin_busy, what="the PIN checked")
        assert pin.message.text() == "Too many wrong PINs. Try again in 60 seconds."
        assert not pin.ok_button.isEnabled()
        tap_digits(qtbot, pin.pad, PIN)
        qtbot.keyClick(window, Qt.Key.Key_Return)  # even the right PIN waits
        await ops_done()
        assert window.stack.currentWidget() is window.pin and pin.message.text().startswith("Too many wrong PINs")

        window.exit_pin.succeeded()  # (the minute has passed)
        click(qtbot, pin.cancel_button)
        assert window.stack.currentWidget() is window.start
        click(qtbot, window.staff_button)
        tap_digits(qtbot, pin.pad, PIN)
        click(qtbot, pin.ok_button)
        await until(lambda: window.stack.currentWidget() is window.staff, what="the staff page")
        click(qtbot, window.staff.back_button)  # back to check-in: leaving needs the PIN again
        assert window.stack.currentWidget() is window.start
        window.close()
        assert window.isVisible()
        # A long press on the title opens the pad too.
        qtbot.mousePress(window.start.title, Qt.MouseButton.LeftButton)
        await until(lambda: window.stack.currentWidget() is window.pin, what="the pad after a long press")
        qtbot.mouseRelease(window.start.title, Qt.MouseButton.LeftButton)
        tap_digits(qtbot, pin.pad, PIN)
        click(qtbot, pin.ok_button)
        await until(lambda: window.stack.currentWidget() is window.staff, what="the staff page")
        signed_out: list[bool] = []
        window.sign_out_requested.connect(lambda: signed_out.append(True))
        click(qtbot, window.staff.close_button)
        assert closed == [True] and not window.isVisible() and signed_out == []


async def test_any_page_left_alone_goes_back_to_the_start(qtbot, desk):
    store, _w = desk
    async with kiosk(qtbot, store, at(15, 45), idle_seconds=0.4, done_seconds=0.3) as window:
        tap_digits(qtbot, window.start.pad, "42")
        await until(lambda: window.presenter.digits == "", timeout=3, what="the digits cleared")
        assert [b.text() for b in window.start.digits.boxes] == ["", "", "", ""]
        tap_digits(qtbot, window.start.pad, "4242")
        assert window.stack.currentWidget() is window.children
        await until(lambda: window.stack.currentWidget() is window.start, timeout=3, what="back at the start")
        assert window.presenter.family is None
        click(qtbot, window.staff_button)
        tap_digits(qtbot, window.pin.pad, "12")
        await until(lambda: window.stack.currentWidget() is window.start, timeout=3, what="the pad closed")
        assert window._pin == ""  # the half-typed PIN is gone
        tap_digits(qtbot, window.start.pad, "4242")
        click(qtbot, window.children.check_in_button)
        await until(lambda: window.stack.currentWidget() is window.done, what="the done page")
        await until(lambda: window.stack.currentWidget() is window.start, timeout=3, what="back at the start")


async def test_a_kiosk_staff_member_checks_children_in_on_the_real_server(qtbot, live_server, account, tmp_path,
                                                                         memory_keyring, styled_app):
    """Signed in as the built-in "kiosk" group: the check-in reaches the server, audited as the kiosk's."""
    admin.add_staff(account["data_dir"], "acme", "lobby", "lobby password", group="kiosk", display_name="Lobby kiosk")
    admin.set_pin(account["data_dir"], "acme", "lobby", PIN)
    session = DeskSession.open(config_for(live_server.url, {**account, "username": "lobby"}, tmp_path / "desk"))
    window = None
    try:
        await session.login("lobby", "lobby password")
        await first_sync(session)
        store = session.store
        # Whatever the time of day, today's classes are open: a window of a day either side.
        options = KioskOptions(opens_before_minutes=24 * 60, closes_after_minutes=24 * 60)
        window = open_kiosk_window(session, options, usb=False, check_every_ms=40)
        qtbot.addWidget(window, before_close_func=lambda w: w.allow_close())
        await until(window.isFullScreen, what="the kiosk full screen")
        location = window.presenter.location
        # A child with a class today here, a family phone to find them by, and no alert that sends
        # them to the front desk.
        now = store.clock.now()

        def phones_of(student_id: str) -> tuple[str, list[str]]:
            with db.read_session(store.cache.engine) as s:
                family_id = family_of_student(s, student_id)
                return family_id, [c.phone for c in s.exec(select(Contact).where(Contact.family_id == family_id)) if c.phone]

        child = None
        for klass in store.sessions_on(location.id, now.astimezone(ZoneInfo(location.timezone)).date()):
            for row in store.roster(klass.id):
                if not row.drop_in and not klass.cancelled and not {a.kind for a in row.alerts} & options.blocking_alerts \
                        and phones_of(row.student_id)[1]:
                    child = (row, klass)
                    break
            if child:
                break
        assert child is not None, "no class today with a child who may check in (the `account` fixture makes one)"
        row, klass = child
        family_id, phones = phones_of(row.student_id)
        digits = phone_digits(phones[0])[-4:]
        tap_digits(qtbot, window.start.pad, digits)
        if window.stack.currentWidget() is window.families:
            index = [f.family_id for f in window.presenter.families].index(family_id)
            click(qtbot, window.families.buttons[index])
        assert window.presenter.family.family_id == family_id
        me = next(r for r in window.children.rows if r.child.student_id == row.student_id)
        if not me.toggle.isChecked():
            click(qtbot, me.toggle)
        click(qtbot, me.class_buttons[klass.id])
        for other in window.children.rows:  # only this child
            if other is not me and other.toggle.isChecked():
                click(qtbot, other.toggle)
        click(qtbot, window.children.check_in_button)
        await until(lambda: window.stack.currentWidget() is window.done, what="the done page")
        assert window.done.title.text() == "You're checked in!"
        await until(lambda: session.engine.status.pending == 0 and session.engine.status.online, timeout=15,
                    what="the check-in sent")
        late = now > klass.starts_at
        with open_account(account["data_dir"], "acme") as (_info, adb), adb.read_session() as db_s:
            events = [e for e in db_s.exec(select(AuditEvent).where(AuditEvent.action == "mutation.applied"))
                      if e.detail.get("type") == "check_in"]
        assert [e.detail["source"] for e in events] == ["kiosk"]
        [mark] = [r for r in store.roster(klass.id) if r.student_id == row.student_id]
        assert (mark.status, mark.checked_in) == ("late" if late else "present", True)

        # Leaving: the kiosk staff member's own PIN, checked against the verifier from the sign-in.
        click(qtbot, window.staff_button)
        tap_digits(qtbot, window.pin.pad, PIN)
        click(qtbot, window.pin.ok_button)
        await until(lambda: window.stack.currentWidget() is window.staff, what="the staff page")
        assert window.staff.status.text().startswith("● Online · 0 pending")
    finally:
        if window is not None:
            window.allow_close()
            window.close()
        await ops_done()
        await session.close()



async def test_frontdesk_kiosk_opens_the_kiosk_and_staff_sign_it_out_with_the_pin(qtbot, live_server, account, tmp_path,
                                                                                 memory_keyring, styled_app):
    """`frontdesk --kiosk`: the signed-in session gets the kiosk, not the desk; signing out ends it."""
    from desk.app import parse_args, run_signed_in

    assert parse_args(["--kiosk"]).kiosk and not parse_args([]).kiosk
    admin.add_staff(account["data_dir"], "acme", "lobby", "lobby password", group="kiosk", display_name="Lobby kiosk")
    admin.set_pin(account["data_dir"], "acme", "lobby", PIN)
    session = DeskSession.open(config_for(live_server.url, {**account, "username": "lobby"}, tmp_path / "desk"))
    running: asyncio.Future | None = None
    try:
        await session.login("lobby", "lobby password")
        await first_sync(session)
        running = asyncio.ensure_future(run_signed_in(session, kiosk=True))
        await until(lambda: any(isinstance(w, KioskWindow) and w.isVisible() for w in QApplication.topLevelWidgets()),
                    what="the kiosk window")
        [window] = [w for w in QApplication.topLevelWidgets() if isinstance(w, KioskWindow) and w.isVisible()]
        assert not [w for w in QApplication.topLevelWidgets() if w.isVisible() and w is not window]  # no desk behind it
        assert window.presenter.location.id  # the account's location, from the first sync
        click(qtbot, window.staff_button)
        tap_digits(qtbot, window.pin.pad, PIN)
        click(qtbot, window.pin.ok_button)
        await until(lambda: window.stack.currentWidget() is window.staff, what="the staff page")
        click(qtbot, window.staff.sign_out_button)
        notice = await asyncio.wait_for(running, 15)
        assert notice == "Lobby kiosk signed out. Everything made at this desk reached the server."
        assert not window.isVisible() and session.auth.current is None
    finally:
        for w in QApplication.topLevelWidgets():
            if isinstance(w, KioskWindow):
                w.allow_close()
                w.close()
        if running is not None and not running.done():
            running.cancel()
            with contextlib.suppress(BaseException):
                await running
        await ops_done()
        await session.close()


async def test_a_member_card_swiped_behind_a_window_is_held_named_and_used_when_it_closes(qtbot, desk):
    """The modal-window rule (issue 22) at the kiosk: a window in front (here a message box) takes
    no swipes, so nothing acts behind it; a member card is named and opens its family once it closes."""
    store, w = desk
    await store.assign_card(MEMBER, w.ids["mia"])
    async with kiosk(qtbot, store, at(15, 45)) as window:
        box = QMessageBox(QMessageBox.Icon.Warning, "Frontdesk", "Something to read", QMessageBox.StandardButton.Ok, window)
        box.open()
        await in_front(box)
        type_text(f";{MEMBER}?\r", gap_ms=3)
        await until(lambda: window.start.message.text() == HELD_SWIPE, what="the held swipe named")
        assert window.stack.currentWidget() is window.start and window.presenter.family is None
        assert window.swipe_hold.held == MemberSwipe(MEMBER, "number on track 2")
        type_text(tc.magtek(tc.VISA), gap_ms=3)  # a payment card meanwhile is only named
        await until(lambda: window.start.message.text() == PAYMENT_CARD, what="the payment card named")
        assert window.swipe_hold.held == MemberSwipe(MEMBER, "number on track 2")
        box.accept()
        await until(lambda: window.stack.currentWidget() is window.children, what="the held swipe used")
        assert window.presenter.family.family_id == w.ids["fam_parker"] and window.swipe_hold.held is None
