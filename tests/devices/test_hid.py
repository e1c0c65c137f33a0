"""The USB HID reader through real pyusb on a fake backend: find, detach, read, unplug, replug."""

from __future__ import annotations

import queue
import time

import pytest

from devices.cards import BadRead, IdCard, MemberSwipe, PaymentCard
from devices.hid import SUPPORTED, HidState, HidSwiper, SwiperModel
from devices.hid_reports import KeyboardDecoder, MagTekDecoder, magtek_text
from tests.fixtures import cards as tc
from tests.helpers.fake_usb import FakeUsb, keyboard_reports, magtek_report

MAGTEK = (0x0801, 0x0002)
IDTECH = (0x0ACD, 0x3810)


def test_magtek_reports_as_the_vendor_lays_them_out():
    report = magtek_report(tc.track1(tc.VISA), tc.track2(tc.VISA))
    assert len(report) == 337 and report[:7] == bytes([0, 0, 0, len(tc.track1(tc.VISA)), len(tc.track2(tc.VISA)), 0, 0])
    assert magtek_text(report) == tc.track1(tc.VISA) + tc.track2(tc.VISA) + "\r"
    assert magtek_text(magtek_report(None, ";00012345?")) == "%E?;00012345?\r"
    decoder = MagTekDecoder()
    assert decoder.feed(report[:64]) is None and decoder.feed(report[64:]) is not None


def test_keyboard_reports_with_shift_and_held_keys():
    decoder = KeyboardDecoder()
    data = keyboard_reports(tc.magtek(tc.MASTERCARD))
    assert decoder.feed(data) is None  # Enter after a track: held in case another track follows
    assert decoder.flush() == tc.magtek(tc.MASTERCARD) and decoder.flush() is None
    held = bytes([0, 0, 0x1E, 0, 0, 0, 0, 0]) * 3 + bytes(8) + keyboard_reports("\r")  # "1" held: typed once
    assert KeyboardDecoder().feed(held) == "1\r"


class Reader:
    """A HidSwiper on the fake backend; swipes and states land in queues (they come from its thread)."""

    def __init__(self, usb: FakeUsb, models=SUPPORTED):
        self.swipes: queue.Queue = queue.Queue()
        self.states: queue.Queue = queue.Queue()
        self.reader = HidSwiper(self.swipes.put, self.states.put, models=models, backend=usb, poll_s=0.05,
                                read_timeout_ms=50)

    def state(self, kind: str, timeout: float = 10.0) -> HidState:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                state = self.states.get(timeout=0.1)
            except queue.Empty:
                continue
            if state.kind == kind:
                return state
        raise AssertionError(f"no {kind!r} state; last: {self.reader.state}")

    def swipe(self, timeout: float = 10.0):
        return self.swipes.get(timeout=timeout)


@pytest.fixture
def reader():
    made: list[Reader] = []

    def make(usb: FakeUsb, **kw) -> Reader:
        r = Reader(usb, **kw)
        made.append(r)
        r.reader.start()
        return r

    try:
        yield make
    finally:
        for r in made:
            r.reader.stop()


def test_a_magtek_reader_survives_unplug_and_replug(reader):
    usb = FakeUsb()
    r = reader(usb)
    assert r.state("not_found").message.startswith("No USB card swiper")
    swiper = usb.plug(*MAGTEK)
    assert r.state("connected").device == "MagTek USB Swipe Reader"
    assert swiper.detached and swiper.claimed  # the kernel's HID driver was let go of
    swiper.play(magtek_report(tc.track1(tc.VISA), tc.track2(tc.VISA)))
    card = r.swipe()
    assert isinstance(card, PaymentCard) and card.last4 == tc.VISA[-4:]
    swiper.play(magtek_report(None, None))
    assert isinstance(r.swipe(), BadRead)

    swiper.unplug()
    assert "unplugged" in r.state("not_found").message
    again = usb.plug(*MAGTEK)
    r.state("connected")
    again.play(magtek_report(None, ";00012345?"))
    assert r.swipe() == MemberSwipe("00012345", "number on track 2")


def test_a_keyboard_mode_reader_over_hid(reader):
    usb = FakeUsb()
    swiper = usb.plug(*IDTECH, kernel_driver=False)
    r = reader(usb)
    r.state("connected")
    swiper.play(keyboard_reports(tc.magtek(tc.AMEX)))
    card = r.swipe()
    assert isinstance(card, PaymentCard) and card.brand == "American Express"


def test_permission_denied_says_which_udev_rule_to_add(reader):
    usb = FakeUsb()
    usb.plug(*MAGTEK, access_denied=True)
    state = reader(usb).state("permission")
    assert "does not let Frontdesk read it" in state.message
    assert state.udev_rule == 'SUBSYSTEM=="usb", ATTRS{idVendor}=="0801", ATTRS{idProduct}=="0002", MODE="0660", TAG+="uaccess"'


def test_unknown_devices_are_left_alone_and_the_table_extends(reader):
    usb = FakeUsb()
    other = usb.plug(0x1234, 0x5678)
    r = reader(usb)
    r.state("not_found")
    time.sleep(0.2)
    assert not other.detached and r.reader.state.kind == "not_found"
    r2 = reader(usb, models=(*SUPPORTED, SwiperModel(0x1234, None, "Gym key-tag reader", "keyboard")))
    assert r2.state("connected").device == "Gym key-tag reader"


def test_a_keyboard_mode_reader_sending_enter_after_each_track_gives_one_swipe(reader):
    usb = FakeUsb()
    swiper = usb.plug(*IDTECH, kernel_driver=False)
    r = reader(usb)
    r.state("connected")
    swiper.play(keyboard_reports(tc.track1(tc.VISA) + "\r" + tc.track2(tc.VISA) + "\r" + ";E?\r"))
    card = r.swipe()
    assert isinstance(card, PaymentCard) and (card.last4, card.name) == ("1111", "John Q Doe")
    swiper.play(keyboard_reports(";00012345?\r"))  # the next swipe is its own
    assert r.swipe() == MemberSwipe("00012345", "number on track 2")
    with pytest.raises(queue.Empty):
        r.swipes.get(timeout=0.3)  # and nothing more: no swipe was split in two


def test_a_three_track_magtek_report_with_track_3_unread(reader):
    usb = FakeUsb()
    swiper = usb.plug(*MAGTEK)
    r = reader(usb)
    r.state("connected")
    swiper.play(magtek_report(tc.track1(tc.MASTERCARD), tc.track2(tc.MASTERCARD), None))
    card = r.swipe()
    assert isinstance(card, PaymentCard) and card.brand == "Mastercard"
    swiper.play(magtek_report(tc.LICENCE_TRACK1, tc.LICENCE_TRACK2, tc.LICENCE_TRACK3))
    assert r.swipe() == IdCard()
