"""A member-card swipe that comes while a modal window (About, a confirmation) is open: held, named,
and used once that window closes, so nobody is checked in behind a dialog without staff seeing it.

    hold = SwipeHold(takes_swipes=lambda w: isinstance(w, PaymentDialog), parent=window)
    hold.swiped.connect(window.handle_swipe)
    hold.hold(swipe, modal)  # watches `modal`; once it is gone and no modal is in front (or the one in
                             # front now takes swipes): swiped(swipe)

Only the newest swipe is held: the child at the counter now is the one to check in. The swipe is a
MemberSwipe (a number to look up), never a payment card's track data. The main window
(desk.swipe_handling), the kiosk (desk.kiosk.window) and the first-run swiper test
(desk.widgets.first_run) each hold theirs. Its release is a `swiped`
signal like the swipers', so a locked desk (desk.idle_lock mutes every `swiped`) lets it go unused.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication, QWidget
from shiboken6 import Shiboken

from devices.cards import Swipe


def modal_in_front(window: QWidget) -> QWidget | None:
    """The modal window in front of `window` (About, a confirmation, an error), or None: what the
    main window, the kiosk and the first-run swiper test ask before a swipe may act."""
    modal = QApplication.activeModalWidget()
    if modal is None or modal is window or not modal.isVisible():
        return None
    return modal


class SwipeHold(QObject):
    swiped = Signal(object)  # the held swipe, once nothing that takes no swipes is in front any more

    def __init__(self, takes_swipes: Callable[[QWidget], bool] = lambda w: False, parent: QObject | None = None):
        super().__init__(parent)
        self._takes_swipes = takes_swipes
        self._swipe: Swipe | None = None
        self._watched: QWidget | None = None

    @property
    def held(self) -> Swipe | None:
        return self._swipe

    def hold(self, swipe: Swipe, modal: QWidget) -> None:
        self._swipe = swipe
        self._watch(modal)

    def drop(self) -> None:
        self._swipe = None
        self._watch(None)

    def _watch(self, modal: QWidget | None) -> None:
        if modal is self._watched:
            return
        if self._watched is not None and Shiboken.isValid(self._watched):
            self._watched.removeEventFilter(self)
            self._watched.destroyed.disconnect(self._gone)
        self._watched = modal
        if modal is not None:
            modal.installEventFilter(self)
            modal.destroyed.connect(self._gone)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if obj is self._watched and event.type() == QEvent.Type.Hide:
            QTimer.singleShot(0, self._release)  # after Qt has taken the window off its modal stack
        return False

    def _gone(self) -> None:
        self._watched = None
        QTimer.singleShot(0, self._release)

    def _release(self) -> None:
        if self._swipe is None:
            return
        modal = QApplication.activeModalWidget()
        if modal is not None and modal.isVisible() and not self._takes_swipes(modal):
            self._watch(modal)  # another window that takes no swipes is still in front: wait for it too
            return
        swipe = self._swipe
        self.drop()
        self.swiped.emit(swipe)
