"""The USB HID swiper (devices.hid) brought onto Qt's thread: its swipes and states arrive as signals.

HidSwiper calls back on its own reader thread; emitting a Qt signal from there queues the call
to the main thread, where widgets may be touched.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from devices.hid import HidState, HidSwiper


class UsbSwiper(QObject):
    swiped = Signal(object)  # devices.cards.Swipe
    state_changed = Signal(object)  # devices.hid.HidState

    def __init__(self, parent: QObject | None = None, **reader_options):
        super().__init__(parent)
        self.reader = HidSwiper(self.swiped.emit, self.state_changed.emit, **reader_options)

    @property
    def state(self) -> HidState:
        return self.reader.state

    def start(self) -> None:
        self.reader.start()

    def stop(self) -> None:
        self.reader.stop()
