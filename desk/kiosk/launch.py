"""The kiosk window wired to a signed-in session (desk.app opens it for `frontdesk --kiosk`).

The kiosk is a desk signed in as a staff member of the built-in "kiosk" group (check in only;
the server audits its changes with source "kiosk"). It reads everything from the desk's cache
and writes through the outbox, so it keeps checking children in while offline, and syncs in the
background like any desk.
"""

from __future__ import annotations

import logging

from PySide6.QtWidgets import QApplication

from desk.boot import DeskSession
from desk.kem_filter import KemSwipeFilter
from desk.kiosk.exit_pin import KioskExit
from desk.kiosk.options import KioskOptions
from desk.kiosk.presenter import KioskPresenter
from desk.kiosk.window import KioskWindow
from desk.usb_swiper import UsbSwiper
from sync.kiosk_queries import KioskData
from sync.views import LocationView

log = logging.getLogger("frontdesk.kiosk")
KIOSK_GROUP = "kiosk"
NO_LOCATION = LocationView(id="", name="", code="", timezone="UTC")


def pick_location(locations: list[LocationView], code: str | None) -> LocationView:
    if code:
        for loc in locations:
            if loc.code.lower() == code.lower():
                return loc
    return locations[0] if locations else NO_LOCATION


def build_kiosk(session: DeskSession, options: KioskOptions | None = None, **window_options) -> KioskWindow:
    """The kiosk window on the session's data, not yet shown, syncing not yet started."""
    options = options or KioskOptions()
    store = session.store
    location = pick_location(store.locations(), session.config.location_code)
    presenter = KioskPresenter(KioskData(store), store, location, options)
    auth = session.auth
    # The kiosk staff member's own PIN (a manager sets it on the Staff screen) lets staff out.
    exit_pin = KioskExit([auth.check_pin], has_pin=lambda: auth.pin_verifier is not None,
                         tries=options.pin_tries, wait_seconds=options.pin_wait_seconds)
    window = KioskWindow(presenter, exit_pin, account_name=session.account_name, **window_options)
    window.show_sync_status(session.engine.status)  # the staff page says it from the start
    staff = auth.current.staff if auth.current else None
    if staff is not None and staff.group != KIOSK_GROUP:
        # It works, but the server audits these check-ins as made at a staffed desk, by this person.
        log.warning("kiosk opened while signed in as %s (group %s), not a kiosk staff member", staff.username, staff.group)
    return window


def open_kiosk_window(session: DeskSession, options: KioskOptions | None = None, *, usb: bool = True,
                      **window_options) -> KioskWindow:
    """The kiosk full screen, swipes caught app-wide, syncing started."""
    window = build_kiosk(session, options, **window_options)
    stops = [session.engine.subscribe(window.show_sync_status), session.engine.subscribe_changes(window.data_changed)]
    changes_seen = session.engine.subscribe_changes(lambda types: _locations_arrived(window, session, types))
    window.closed.connect(lambda: [stop() for stop in [*stops, changes_seen]])
    install_swipers(window, usb=usb)
    session.start()
    window.show_kiosk()
    return window


def install_swipers(window: KioskWindow, *, usb: bool = True) -> KemSwipeFilter:
    """Swipes reach the kiosk from anywhere: keyboard-mode bursts app-wide, and a USB swiper when
    one is plugged in. Both stop with the window."""
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    kem = KemSwipeFilter(parent=window)
    kem.install(app)
    kem.swiped.connect(window.handle_swipe)
    window.closed.connect(kem.uninstall)
    if usb:
        reader = UsbSwiper(window)
        reader.swiped.connect(window.handle_swipe)
        window.closed.connect(reader.stop)
        reader.start()
    return kem


def _locations_arrived(window: KioskWindow, session: DeskSession, record_types: frozenset[str]) -> None:
    """A kiosk started before its first sync gets its location when the pull brings it."""
    if window.presenter.location.id or "location" not in record_types:
        return
    location = pick_location(session.store.locations(), session.config.location_code)
    if location.id:
        window.set_location(location)
