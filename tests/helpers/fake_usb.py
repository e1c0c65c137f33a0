"""A fake pyusb backend (usb.backend.IBackend) with swipers that play recorded HID reports.

pyusb's own `usb.core.find(backend=...)`, Device, Configuration, Interface and Endpoint run on it
unchanged, so devices.hid is tested through the real pyusb code down to the backend calls.

    usb = FakeUsb()
    swiper = usb.plug(0x0801, 0x0002)          # a MagTek reader, held by the kernel's HID driver
    swiper.play(magtek_report(";00012345?"))   # the next reads return it, in 64-byte packets
    swiper.unplug(); usb.plug(...)             # reads fail with ENODEV, then a new device appears
"""

from __future__ import annotations

import array
import errno
import threading
import time
from collections import deque
from types import SimpleNamespace

import usb.backend
import usb.core

from devices.hid_reports import TRACK_FIELD

PACKET = 64


def magtek_report(*tracks: str | None, statuses: tuple[int, int, int] | None = None) -> bytes:
    """A MagTek HID report: status x3, length x3, card type, then three 110-byte track fields.

    A track given as None was not read (status 1, length 0), as MagTek reports a bad track."""
    fields = list(tracks) + [""] * (3 - len(tracks))
    status = statuses or tuple(1 if t is None else 0 for t in fields)
    body = bytearray(status)
    body += bytes(min(len(t or ""), TRACK_FIELD) for t in fields)
    body.append(0)  # card encode type: ISO/ABA
    for t in fields:
        data = (t or "").encode("ascii")[:TRACK_FIELD]
        body += data + bytes(TRACK_FIELD - len(data))
    return bytes(body)


_USAGE = {**{chr(ord("a") + i): (0x04 + i, False) for i in range(26)},
          **{chr(ord("A") + i): (0x04 + i, True) for i in range(26)},
          **{"1234567890"[i]: (0x1E + i, False) for i in range(10)},
          **{s: (0x1E + i, True) for i, s in enumerate("!@#$%^&*()")},
          " ": (0x2C, False), "-": (0x2D, False), "=": (0x2E, False), ";": (0x33, False), ":": (0x33, True),
          "/": (0x38, False), "?": (0x38, True), ".": (0x37, False), "\r": (0x28, False)}


def keyboard_reports(text: str) -> bytes:
    """Boot keyboard reports typing `text`: a key-down report, then all keys up, for each character."""
    out = bytearray()
    for ch in text:
        usage, shift = _USAGE[ch]
        out += bytes([0x02 if shift else 0, 0, usage, 0, 0, 0, 0, 0])
        out += bytes(8)
    return bytes(out)


class FakeSwiper:
    def __init__(self, backend: FakeUsb, vendor_id: int, product_id: int, address: int, *, kernel_driver: bool,
                 access_denied: bool):
        self.backend = backend
        self.kernel_driver = kernel_driver
        self.access_denied = access_denied
        self.plugged = True
        self.detached = False
        self.claimed = False
        self.configured = 0
        self._packets: deque[bytes] = deque()
        self._lock = threading.Lock()
        self.descriptor = SimpleNamespace(
            bLength=18, bDescriptorType=1, bcdUSB=0x0200, bDeviceClass=0, bDeviceSubClass=0, bDeviceProtocol=0,
            bMaxPacketSize0=8, idVendor=vendor_id, idProduct=product_id, bcdDevice=0x0100, iManufacturer=0,
            iProduct=0, iSerialNumber=0, bNumConfigurations=1, address=address, bus=1, port_number=address,
            port_numbers=(address,), speed=2)

    def play(self, data: bytes) -> None:
        with self._lock:
            for i in range(0, len(data), PACKET):
                self._packets.append(data[i:i + PACKET])

    def unplug(self) -> None:
        self.plugged = False

    def next_packet(self) -> bytes | None:
        with self._lock:
            return self._packets.popleft() if self._packets else None


class FakeUsb(usb.backend.IBackend):
    def __init__(self) -> None:
        self.swipers: list[FakeSwiper] = []
        self._address = 1

    def plug(self, vendor_id: int, product_id: int, *, kernel_driver: bool = True, access_denied: bool = False) -> FakeSwiper:
        self._address += 1
        swiper = FakeSwiper(self, vendor_id, product_id, self._address, kernel_driver=kernel_driver,
                            access_denied=access_denied)
        self.swipers.append(swiper)
        return swiper

    # -- IBackend -------------------------------------------------------------------------------
    def enumerate_devices(self):
        return [s for s in self.swipers if s.plugged]

    def get_device_descriptor(self, dev):
        return dev.descriptor

    def get_configuration_descriptor(self, dev, config):
        if config != 0:
            raise IndexError(config)
        return SimpleNamespace(bLength=9, bDescriptorType=2, wTotalLength=34, bNumInterfaces=1, bConfigurationValue=1,
                               iConfiguration=0, bmAttributes=0x80, bMaxPower=50, extra_descriptors=[])

    def get_interface_descriptor(self, dev, intf, alt, config):
        if (intf, alt, config) != (0, 0, 0):
            raise IndexError((intf, alt, config))
        return SimpleNamespace(bLength=9, bDescriptorType=4, bInterfaceNumber=0, bAlternateSetting=0, bNumEndpoints=1,
                               bInterfaceClass=3, bInterfaceSubClass=0, bInterfaceProtocol=0, iInterface=0,
                               extra_descriptors=[])

    def get_endpoint_descriptor(self, dev, ep, intf, alt, config):
        if ep != 0:
            raise IndexError(ep)
        return SimpleNamespace(bLength=7, bDescriptorType=5, bEndpointAddress=0x81, bmAttributes=0x03,
                               wMaxPacketSize=PACKET, bInterval=1, bRefresh=0, bSynchAddress=0, extra_descriptors=[])

    def open_device(self, dev):
        if not dev.plugged:
            raise usb.core.USBError("No such device", errno=errno.ENODEV)
        if dev.access_denied:
            raise usb.core.USBError("Access denied (insufficient permissions)", errno=errno.EACCES)
        return dev

    def close_device(self, dev_handle):
        dev_handle.claimed = False

    def set_configuration(self, dev_handle, config_value):
        if dev_handle.kernel_driver and not dev_handle.detached:
            raise usb.core.USBError("Resource busy", errno=errno.EBUSY)
        dev_handle.configured = config_value

    def get_configuration(self, dev_handle):
        return dev_handle.configured

    def claim_interface(self, dev_handle, intf):
        dev_handle.claimed = True

    def release_interface(self, dev_handle, intf):
        dev_handle.claimed = False

    def is_kernel_driver_active(self, dev_handle, intf):
        return dev_handle.kernel_driver and not dev_handle.detached

    def detach_kernel_driver(self, dev_handle, intf):
        dev_handle.detached = True

    def intr_read(self, dev_handle, ep, intf, buff, timeout):
        deadline = time.monotonic() + timeout / 1000
        while True:
            if not dev_handle.plugged:
                raise usb.core.USBError("No such device (it may have been disconnected)", errno=errno.ENODEV)
            packet = dev_handle.next_packet()
            if packet is not None:
                data = array.array("B", packet)
                buff[: len(data)] = data
                return len(data)
            if time.monotonic() >= deadline:
                raise usb.core.USBTimeoutError("Operation timed out", errno=errno.ETIMEDOUT)
            time.sleep(0.005)
