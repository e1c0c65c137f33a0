"""The kiosk window: full screen, one page at a time, nothing of the rest of the desk.

There is no rail, no menu and no shortcut; closing the window is refused until staff entered a
right PIN (the discreet corner button, or a long press on the title). Any key, tap or swipe
counts as use; idle pages go back to the start (desk.kiosk.presenter decides when).
"""

from __future__ import annotations

import asyncio
import logging

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QKeyEvent
from PySide6.QtWidgets import QApplication, QHBoxLayout, QMainWindow, QPushButton, QStackedWidget, QVBoxLayout, QWidget

from desk.kiosk.exit_pin import KioskExit
from desk.kiosk.pages import TOUCH, ChildrenPage, DonePage, FamiliesPage, PinPage, StaffPage, StartPage
from desk.kiosk.presenter import KioskPresenter, Page
from desk.presenters.status import describe
from desk.swipe_hold import SwipeHold, modal_in_front
from desk.widgets.common import label
from devices.cards import BadRead, Swipe
from sync.views import SyncStatus

log = logging.getLogger("frontdesk.kiosk")
_USE = {QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.Wheel, QEvent.Type.TouchBegin}
LONG_PRESS_MS = 3000  # holding the title this long opens the PIN pad too (for screens without the corner)
PIN_MAX = 8
REFRESH_MS = 15_000  # an open family's classes are judged again this often (check-in opens, closes)


class KioskWindow(QMainWindow):
    closed = Signal()
    sign_out_requested = Signal()  # desk.app signs the kiosk out and goes back to the sign-in window

    def __init__(self, presenter: KioskPresenter, exit_pin: KioskExit, *, account_name: str = "",
                 check_every_ms: int = 250, long_press_ms: int = LONG_PRESS_MS):
        super().__init__()
        self.presenter = presenter
        self.exit_pin = exit_pin
        self.setObjectName("kiosk")
        self.setWindowTitle(f"Frontdesk check-in — {account_name}" if account_name else "Frontdesk check-in")
        self.setAccessibleName("Check-in kiosk")
        self._may_close = False
        self._pin = ""  # the PIN being typed: only here, cleared when the pad closes
        self._pin_message = ""
        self._pin_busy = False
        self._status = SyncStatus()
        self._tasks: set[asyncio.Task] = set()
        # A member card swiped while a window is in front (an error, say) waits for it to close.
        self.swipe_hold = SwipeHold(parent=self)
        self.swipe_hold.swiped.connect(self.handle_swipe)

        self.place = label(presenter.location.name, "kioskPlace")
        self.place.setAccessibleName("Location")
        self.place.setMinimumHeight(TOUCH)  # the top row keeps its height when the corner button hides
        self.staff_button = QPushButton("Staff")
        self.staff_button.setObjectName("kioskCorner")
        self.staff_button.setFixedSize(TOUCH + 32, TOUCH)
        self.staff_button.setAccessibleName("Staff: leave the kiosk")
        self.staff_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.staff_button.clicked.connect(self.open_pin)
        top = QHBoxLayout()
        top.setContentsMargins(24, 8, 8, 0)
        top.addWidget(self.place)
        top.addStretch(1)
        top.addWidget(self.staff_button)

        self.start = StartPage()
        self.families = FamiliesPage()
        self.children = ChildrenPage()
        self.done = DonePage()
        self.pin = PinPage()
        self.staff = StaffPage()
        self.pages = {Page.START: self.start, Page.FAMILIES: self.families, Page.CHILDREN: self.children,
                      Page.DONE: self.done, Page.PIN: self.pin, Page.STAFF: self.staff}
        self.stack = QStackedWidget()
        for page in self.pages.values():
            self.stack.addWidget(page)

        self.start.pad.digit.connect(self.type_digit)
        self.start.pad.back.connect(lambda: self._do(presenter.delete_digit))
        self.start.pad.cleared.connect(lambda: self._do(presenter.clear_digits))
        self.families.picked.connect(lambda i: self._do(lambda: presenter.pick_family(i)))
        self.families.start_over.connect(self.to_start)
        self.children.toggled.connect(lambda sid: self._do(lambda: presenter.toggle_child(sid)))
        self.children.class_chosen.connect(lambda sid, ses: self._do(lambda: presenter.choose_class(sid, ses)))
        self.children.check_in.connect(self.check_in)
        self.children.start_over.connect(self.to_start)
        self.done.finished.connect(self.to_start)
        self.pin.digit.connect(self._pin_digit)
        self.pin.back.connect(lambda: self._pin_edit(self._pin[:-1]))
        self.pin.cleared.connect(lambda: self._pin_edit(""))
        self.pin.submitted.connect(self.submit_pin)
        self.pin.cancelled.connect(self.to_start)
        self.staff.back_to_kiosk.connect(self.to_start)
        self.staff.sign_out.connect(self._sign_out)
        self.staff.close_app.connect(self.leave)

        central = QWidget()
        central.setObjectName("kioskRoot")
        central.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        body = QVBoxLayout(central)
        body.setContentsMargins(0, 0, 0, 0)
        body.setSpacing(0)
        body.addLayout(top)
        body.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        central.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # typed digits arrive here when no button has focus

        self._long_press = QTimer(self, singleShot=True, interval=long_press_ms, timeout=self.open_pin)
        QApplication.instance().installEventFilter(self)  # every tap and key anywhere counts as use
        self.timer = QTimer(self, timeout=self.check_idle)
        self.timer.start(check_every_ms)
        self.clock_timer = QTimer(self, timeout=self.refresh_children)
        self.clock_timer.start(REFRESH_MS)
        self.render()

    # --- what desk.kiosk.launch and the sync engine call ---------------------------------------
    def show_kiosk(self) -> None:
        self.setGeometry(self.screen().geometry())  # without a window manager (a bare kiosk, Xvfb) too
        self.showFullScreen()
        self.activateWindow()
        self.centralWidget().setFocus()

    def handle_swipe(self, swipe: Swipe) -> None:
        """A card swiped anywhere (desk.kem_filter / the USB swiper). While a window is in front of
        the kiosk, nothing acts behind it: a member card is held and named, then used once it closes."""
        modal = modal_in_front(self)
        if modal is not None:
            if self.presenter.swiped_behind(swipe):
                self.swipe_hold.hold(swipe, modal)
            self.render()
            return
        if self.presenter.swiped(swipe):
            if isinstance(swipe, BadRead):
                QApplication.beep()
            self.children.forget()
            self.render()

    def data_changed(self, record_types: frozenset[str] = frozenset()) -> None:
        """A pull brought changes: an open family shows them (a class cancelled, an alert added)."""
        if self.presenter.page is Page.CHILDREN and not self.presenter.busy:
            self.presenter.reload_children()
            self.render()

    def show_sync_status(self, status: SyncStatus) -> None:
        self._status = status
        if self.presenter.page is Page.STAFF:
            self.render()

    def set_location(self, location) -> None:  # noqa: ANN001 - sync.views.LocationView
        self.presenter.set_location(location)
        self.place.setText(location.name)
        self.render()

    # --- pages -------------------------------------------------------------------------------
    def render(self) -> None:
        p = self.presenter
        page = p.page
        if page is Page.START:
            self.start.show_state(p.digits, p.message)
        elif page is Page.FAMILIES:
            self.families.show_families(p.family_labels())
        elif page is Page.CHILDREN:
            self.children.show_children(p.children, p.chosen, p.children_note(), p.check_in_label(), p.ready())
        elif page is Page.DONE:
            self.done.show_done(p.done_title(), p.done_lines)
        elif page is Page.PIN:
            refusal = self.exit_pin.refusal()
            self.pin.show_pin(len(self._pin), self._pin_message or refusal, self._pin_busy or bool(refusal))
        elif page is Page.STAFF:
            self.staff.show_status(describe(self._status).text)
        if page is not Page.CHILDREN:
            self.children.forget()
        self.stack.setCurrentWidget(self.pages[page])
        self.staff_button.setVisible(page not in (Page.PIN, Page.STAFF))

    def _do(self, action) -> None:  # noqa: ANN001 - a presenter call
        action()
        self.render()

    def to_start(self) -> None:
        self._pin, self._pin_message = "", ""
        self.presenter.to_start()
        self.render()
        self.centralWidget().setFocus()

    def type_digit(self, digit: str) -> None:
        self._do(lambda: self.presenter.type_digit(digit))

    def check_idle(self) -> None:
        if self.presenter.idle_due():
            self.to_start()

    def refresh_children(self) -> None:
        if self.presenter.page is Page.CHILDREN and not self.presenter.busy:
            self.presenter.reload_children()  # the clock moved on: a class may have opened or closed
            self.render()

    def check_in(self) -> None:
        if self.presenter.ready():
            self._start(self._check_in())

    async def _check_in(self) -> None:
        self.children.check_in_button.setEnabled(False)
        await self.presenter.check_in()
        self.render()

    # --- staff -------------------------------------------------------------------------------
    def open_pin(self) -> None:
        if self.presenter.page in (Page.PIN, Page.STAFF) or self.presenter.busy:
            return
        self._pin, self._pin_message = "", ""
        self.presenter.open_pin()
        self.render()

    def _pin_digit(self, digit: str) -> None:
        if len(self._pin) < PIN_MAX:
            self._pin_edit(self._pin + digit)

    def _pin_edit(self, pin: str) -> None:
        self._pin, self._pin_message = pin, ""
        self.render()

    def submit_pin(self) -> None:
        if self.presenter.page is not Page.PIN or not self._pin or self._pin_busy:
            return
        refusal = self.exit_pin.refusal()
        if refusal:  # waiting after wrong PINs, or no PIN to check against: nothing is tried
            self._pin, self._pin_message = "", refusal
            self.render()
            return
        pin, self._pin, self._pin_busy = self._pin, "", True  # busy at once: a second Enter tries nothing
        self.render()
        self._start(self._try_pin(pin))

    async def _try_pin(self, pin: str) -> bool:
        try:
            ok = await asyncio.to_thread(self.exit_pin.check, pin)  # Argon2 takes a moment: off the UI thread
        finally:
            self._pin_busy = False
        if self.presenter.page is not Page.PIN:
            return False  # the pad timed out meanwhile
        if ok:
            self.exit_pin.succeeded()
            log.info("kiosk: staff PIN accepted")
            self.presenter.pin_accepted()
        else:
            self._pin_message = self.exit_pin.failed()
        self.render()
        return ok

    def leave(self) -> None:
        """Staff chose to close the app (only from the staff page, after a right PIN)."""
        if self.presenter.page is Page.STAFF:
            self.allow_close()
            self.close()

    def _sign_out(self) -> None:
        if self.presenter.page is Page.STAFF:
            self.allow_close()
            self.sign_out_requested.emit()

    def allow_close(self) -> None:
        self._may_close = True

    # --- Qt ------------------------------------------------------------------------------------
    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        key, text = event.key(), event.text()
        page = self.presenter.page
        if page is Page.START and text and text in "0123456789":
            self.type_digit(text)
        elif page is Page.START and key == Qt.Key.Key_Backspace:
            self._do(self.presenter.delete_digit)
        elif page is Page.PIN and text and text in "0123456789":
            self._pin_digit(text)
        elif page is Page.PIN and key == Qt.Key.Key_Backspace:
            self._pin_edit(self._pin[:-1])
        elif page is Page.PIN and key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.submit_pin()
        elif page is Page.CHILDREN and key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.check_in()
        elif key == Qt.Key.Key_Escape and page is not Page.START:
            self.to_start()
        elif key == Qt.Key.Key_Escape:
            self._do(self.presenter.clear_digits)
        else:
            super().keyPressEvent(event)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        kind = event.type()
        if kind in _USE:
            self.presenter.touched()
        if watched is self.start.title:
            if kind == QEvent.Type.MouseButtonPress:
                self._long_press.start()
            elif kind in (QEvent.Type.MouseButtonRelease, QEvent.Type.Leave):
                self._long_press.stop()
        return False

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        if not self._may_close:
            event.ignore()  # Alt+F4 in a lobby: the kiosk stays
            return
        self.timer.stop()
        self.clock_timer.stop()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)
        self.closed.emit()
        super().closeEvent(event)

    def _start(self, coro) -> None:  # noqa: ANN001 - a coroutine
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
