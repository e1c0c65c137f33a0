"""The keyboard-mode swiper catcher: an application-wide Qt event filter over devices.burst.

Installed once on the QApplication (desk.app), it sees every key press before any widget. Keys of
a swipe are swallowed wherever focus is, and `swiped` fires once with the parsed result; keys a
person typed are handed back to the widget they were typed into, in order. It lives in desk/ so
that devices/ stays free of Qt: the burst logic it drives (devices.burst) is plain Python.

Key times come from the window system's event timestamps (milliseconds), so a busy event loop
does not make a swiper look like a person; events without one (synthetic) use the clock.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QWidget
from shiboken6 import Shiboken

from devices.burst import ENTER, BurstDetector, BurstTiming, Step
from devices.tracks import MemberRule

_ENTER_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter)
_MODIFIER_KEYS = (Qt.Key.Key_Shift, Qt.Key.Key_Control, Qt.Key.Key_Alt, Qt.Key.Key_Meta, Qt.Key.Key_AltGr,
                  Qt.Key.Key_CapsLock)


@dataclass
class _Held:
    key: int
    modifiers: Qt.KeyboardModifier
    text: str
    target: QWidget


class KemSwipeFilter(QObject):
    """Emits `swiped(Swipe)` for each swipe typed by a keyboard-mode reader; see module doc."""

    swiped = Signal(object)  # devices.cards.Swipe: PaymentCard, MemberSwipe or BadRead

    def __init__(self, timing: BurstTiming = BurstTiming(), rules: Callable[[], Sequence[MemberRule]] | None = None,
                 parent: QObject | None = None):
        super().__init__(parent)
        self.detector = BurstDetector(timing, rules)
        self._held: list[_Held] = []
        self._replaying = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._timed_out)
        self._installed_on: QApplication | None = None

    def install(self, app: QApplication) -> None:
        app.installEventFilter(self)
        self._installed_on = app

    def uninstall(self) -> None:
        if self._installed_on is not None:
            self._installed_on.removeEventFilter(self)
            self._installed_on = None
        self._timer.stop()

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        kind = event.type()
        if kind not in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease) or self._replaying:
            return False
        if not isinstance(obj, QWidget) or not _first_receiver(obj):
            return False  # the window before its widget, or a parent the key propagated to: seen already
        assert isinstance(event, QKeyEvent)
        if kind == QEvent.Type.KeyRelease:
            return self.detector.active  # a swipe's releases go nowhere either
        key = event.key()
        if key in _MODIFIER_KEYS:
            return self.detector.active  # the Shift a swiper presses for % ^ ? is part of the swipe
        text = ENTER if key in _ENTER_KEYS else event.text()
        stamp = event.timestamp()
        at_ms = float(stamp) if stamp else time.monotonic() * 1000.0
        step = self.detector.key(text, at_ms, autorepeat=event.isAutoRepeat())
        self._apply(step)
        if step.swallow and self.detector.active:
            self._held.append(_Held(key, event.modifiers(), event.text(), obj))
        return step.swallow

    def _timed_out(self) -> None:
        self._apply(self.detector.timeout())

    def _apply(self, step: Step) -> None:
        if step.replay:
            self._give_back(len(step.replay))
        if step.swipe is not None or not self.detector.active:
            self._held.clear()  # those keys were the finished swipe's
        if step.wait_ms is not None:
            self._timer.start(step.wait_ms)
        elif not self.detector.active:
            self._timer.stop()
        if step.swipe is not None:
            self.swiped.emit(step.swipe)

    def _give_back(self, count: int) -> None:
        """A person typed the held keys: deliver them where they were typed, as they were typed."""
        held, self._held = self._held[:count], self._held[count:]
        self._replaying = True
        try:
            for h in held:
                if not Shiboken.isValid(h.target):
                    continue  # the widget is gone; the key has nowhere to go
                for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
                    QApplication.sendEvent(h.target, QKeyEvent(kind, h.key, h.modifiers, h.text))
        finally:
            self._replaying = False


def _first_receiver(obj: QWidget) -> bool:
    focus = QApplication.focusWidget()
    return obj is focus if focus is not None else obj.isWindow()
