"""Synthetic key events at realistic rates: what a keyboard-mode swiper or a person types.

Each press and release carries a window-system timestamp (milliseconds), as real X11/Wayland
events do, so the detector sees the key rate that was meant, however loaded the test machine is.
Shifted characters come with a Shift press and release around them, as swipers send them.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QWidget

SHIFTED = set('~!@#$%^&*()_+{}|:"<>?') | set("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_clock_ms = [10_000]


def now_ms() -> int:
    """A test clock for timestamps, always moving forward between calls."""
    _clock_ms[0] += 1000
    return _clock_ms[0]


def _send(target: QWidget, kind: QEvent.Type, key: int, mods: Qt.KeyboardModifier, text: str, at: int,
          autorepeat: bool = False) -> None:
    event = QKeyEvent(kind, key, mods, text, autorepeat)
    event.setTimestamp(at)
    QApplication.sendEvent(target, event)


def _key_of(ch: str) -> int:
    if ch in "\r\n":
        return int(Qt.Key.Key_Return)
    return ord(ch.upper())


def type_text(text: str, gap_ms: float, start_ms: int | None = None, target: QWidget | None = None) -> int:
    """Type `text` into the focused widget (or `target`) with `gap_ms` between key presses.

    Returns the timestamp of the last press. Delivery is synchronous, as key events are.
    """
    at = float(now_ms() if start_ms is None else start_ms)
    for ch in text:
        receiver = target or QApplication.focusWidget()
        assert receiver is not None, "no widget has focus"
        shifted = ch in SHIFTED
        mods = Qt.KeyboardModifier.ShiftModifier if shifted else Qt.KeyboardModifier.NoModifier
        char = "\r" if ch in "\r\n" else ch
        if shifted:
            _send(receiver, QEvent.Type.KeyPress, int(Qt.Key.Key_Shift), mods, "", int(at))
        _send(receiver, QEvent.Type.KeyPress, _key_of(ch), mods, char, int(at))
        _send(receiver, QEvent.Type.KeyRelease, _key_of(ch), mods, char, int(at) + 1)
        if shifted:
            _send(receiver, QEvent.Type.KeyRelease, int(Qt.Key.Key_Shift), Qt.KeyboardModifier.NoModifier, "", int(at) + 1)
        last = int(at)
        at += gap_ms
    _clock_ms[0] = max(_clock_ms[0], int(at))
    return last


def hold_key(ch: str, repeats: int, rate_ms: float = 25, target: QWidget | None = None) -> None:
    """A person holding a key down: one press, then auto-repeat presses at the keyboard's rate."""
    receiver = target or QApplication.focusWidget()
    assert receiver is not None
    at = float(now_ms())
    mods = Qt.KeyboardModifier.ShiftModifier if ch in SHIFTED else Qt.KeyboardModifier.NoModifier
    for i in range(repeats + 1):
        _send(receiver, QEvent.Type.KeyPress, _key_of(ch), mods, ch, int(at), autorepeat=i > 0)
        at += rate_ms
    _send(receiver, QEvent.Type.KeyRelease, _key_of(ch), mods, ch, int(at))
    _clock_ms[0] = max(_clock_ms[0], int(at))
