"""A USB HID swiper at the desk (fake pyusb backend at the lowest layer, everything else real):
its member-card swipe checks the student in, and the status bar says which swiper is in use."""

from __future__ import annotations

import pytest

from desk.swipe_handling import install_swiper
from desk.widgets.main_window import MainWindow
from sync.core.member_cards import new_card_key
from sync.store import DeskStore
from tests.desk.desk_helpers import ops_done, until
from tests.helpers.fake_usb import FakeUsb, magtek_report
from tests.sync.data import world

pytestmark = [pytest.mark.gui, pytest.mark.asyncio(loop_factories=["qasync"]),
              pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")]


async def test_a_usb_member_swipe_checks_in(qtbot, tmp_path):
    demo = world()
    store = DeskStore(tmp_path / "desk", staff_id="staff-0001")
    store.card_key = new_card_key()
    changes = demo.changes()
    store.cache.apply_pull(changes, cursor=len(changes))
    usb = FakeUsb()
    window = MainWindow(store, staff_name="Alex", account_name="Test gym", location_code="DT")
    qtbot.addWidget(window)
    try:
        install_swiper(window, usb_options={"backend": usb, "poll_s": 0.05, "read_timeout_ms": 50})
        window.show()
        await until(lambda: window.status.swiper.isVisible() and window.swiper_kind == "keyboard")
        await store.assign_card("00012345", demo.ids["emmett"])
        swiper = usb.plug(0x0801, 0x0002)
        await until(lambda: window.swiper_kind == "usb", what="the USB swiper found")
        assert window.status.swiper.text() == "▭ USB swiper" and "ready" in window.status.swiper.toolTip()
        swiper.play(magtek_report(None, ";00012345?"))
        await until(lambda: window.toast.last_text.startswith("Emmett Lee"), what="the check-in shown")
        await ops_done()
        assert window.checkin.card.name.text() == "Emmett Lee"
        swiper.unplug()
        await until(lambda: window.swiper_kind == "keyboard", what="back to the keyboard-mode swiper")
    finally:
        window.close()
        await ops_done()
        if window.usb_swiper is not None:
            window.usb_swiper.stop()
        store.close()
