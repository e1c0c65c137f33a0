"""The idle lock of a shared desk, wired to a main window and the desk's sign-in.

    lock = DeskLock(window, session.auth, timeout=300, on_switched=...)

Any key, click or wheel in the app counts as use. When the desk has been idle for `timeout`
seconds the window's content is hidden (not just covered) under the lock screen; the signed-in
staff member's PIN brings it back, or anyone signs in with their password ("switch user").
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Protocol

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtGui import QShortcut
from PySide6.QtWidgets import QApplication, QMainWindow

from desk.errors import describe_error
from desk.presenters.idle_lock import IdleLock
from desk.widgets.lock_screen import LockScreen
from sync.auth import SignedIn
from sync.errors import SyncError

log = logging.getLogger("frontdesk.desk")
_USE = {QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.Wheel, QEvent.Type.TouchBegin}


class SignInLike(Protocol):
    current: SignedIn | None
    pin_verifier: str | None

    def check_pin(self, pin: str) -> bool: ...

    async def login(self, username: str, password: str) -> SignedIn: ...


class DeskLock(QObject):
    def __init__(self, window: QMainWindow, auth: SignInLike, *, timeout: float, on_switched: Callable[[SignedIn], None],
                 presenter: IdleLock | None = None, check_every_ms: int = 1000):
        super().__init__(window)
        self.window = window
        self.auth = auth
        self.on_switched = on_switched
        self.presenter = presenter or IdleLock(timeout)
        self.screen = LockScreen(window)
        self.screen.hide()
        self.screen.pin_entered.connect(self._pin_entered)
        self.screen.password_entered.connect(self._password_entered)
        if hasattr(window, "sign_out_requested"):
            self.screen.sign_out_requested.connect(window.sign_out_requested)  # desk.app does the signing out
        self._tasks: set[asyncio.Task] = set()
        self._disabled_shortcuts: list[QShortcut] = []
        self._muted: list[QObject] = []
        QApplication.instance().installEventFilter(self)
        window.installEventFilter(self)
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.check)
        self.timer.start(check_every_ms)

    @property
    def locked(self) -> bool:
        return self.presenter.locked

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in _USE:
            self.presenter.touched()
        elif watched is self.window and event.type() == QEvent.Type.Resize and self.locked:
            self.screen.setGeometry(self.window.rect())
        return False

    def check(self) -> None:
        if self.presenter.due():
            self.lock()

    def lock(self) -> None:
        if self.locked:
            return
        self.presenter.lock()
        self.window.centralWidget().hide()  # hidden, not covered: nothing of a family is painted
        self._disabled_shortcuts = [sc for sc in self.window.findChildren(QShortcut) if sc.isEnabled()]
        for sc in self._disabled_shortcuts:
            sc.setEnabled(False)
        # A card swiped at a locked desk does nothing (it would check someone in behind the lock).
        self._muted = [o for o in [*self.window.findChildren(QObject), getattr(self.window, "usb_swiper", None)]
                       if o is not None and hasattr(o, "swiped") and not o.signalsBlocked()]
        for o in self._muted:
            o.blockSignals(True)
        staff = self.auth.current.staff if self.auth.current else None
        self.screen.show_for(staff.display_name if staff else "", staff.username if staff else "", self.auth.pin_verifier is not None)
        self.screen.setGeometry(self.window.rect())
        self.screen.show()
        self.screen.raise_()

    def unlock(self) -> None:
        self.presenter.unlock()
        self.screen.hide()
        for sc in self._disabled_shortcuts:
            sc.setEnabled(True)
        self._disabled_shortcuts = []
        for o in self._muted:
            o.blockSignals(False)
        self._muted = []
        self.window.centralWidget().show()

    def _pin_entered(self, pin: str) -> None:
        self._start(self._try_pin(pin))

    def _password_entered(self, username: str, password: str) -> None:
        self._start(self._sign_in(username, password))

    def _start(self, coro) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _try_pin(self, pin: str) -> bool:
        if not self.presenter.pin_allowed:
            return False
        ok = await asyncio.to_thread(self.auth.check_pin, pin)  # Argon2 takes a moment: off the UI thread
        if ok:
            self.unlock()
        else:
            self.screen.say(self.presenter.pin_failed())
            self.screen.set_pin_allowed(self.presenter.pin_allowed)
        return ok

    async def _sign_in(self, username: str, password: str) -> bool:
        before = self.auth.current.staff.id if self.auth.current else None
        try:
            signed = await self.auth.login(username, password)
        except SyncError as exc:
            self.screen.say(describe_error(exc, "signing in").text)
            return False
        if signed.staff.id != before:
            self.on_switched(signed)
        self.unlock()
        return True

    def close(self) -> None:
        self.timer.stop()
        with contextlib.suppress(RuntimeError):
            QApplication.instance().removeEventFilter(self)
