"""Reading swipers directly over USB HID (pyusb), on a background thread: no keystrokes at all.

    reader = HidSwiper(on_swipe=handle, on_state=show)   # both called on the reader's thread
    reader.start() ... reader.stop()

It looks for a supported swiper (SUPPORTED, extendable by settings), detaches the kernel's HID
driver where one holds it, reads reports, decodes them (devices.hid_reports) and hands each swipe
to devices.tracks.parse_swipe. Unplugged, it says so and looks again every `poll_s`; replugged,
it carries on. A swiper the computer will not let us open is reported with the udev rule to add.
"""

from __future__ import annotations

import errno
import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import usb.core
import usb.util

from devices.cards import Swipe
from devices.hid_reports import KeyboardDecoder, MagTekDecoder
from devices.tracks import DEFAULT_RULES, MemberRule, parse_swipe

log = logging.getLogger(__name__)

Protocol = Literal["magtek", "keyboard"]


@dataclass(frozen=True)
class SwiperModel:
    vendor_id: int
    product_id: int | None  # None: any product of the vendor
    name: str
    protocol: Protocol


SUPPORTED: tuple[SwiperModel, ...] = (
    SwiperModel(0x0801, 0x0001, "MagTek Mini Swipe Reader", "magtek"),
    SwiperModel(0x0801, 0x0002, "MagTek USB Swipe Reader", "magtek"),
    SwiperModel(0x0801, 0x0011, "MagTek Dynamag", "magtek"),
    SwiperModel(0x0801, 0x0520, "MagTek eDynamo", "magtek"),
    SwiperModel(0x0ACD, 0x0500, "ID TECH MiniMag (keyboard)", "keyboard"),
    SwiperModel(0x0ACD, 0x2010, "ID TECH SecureMag (keyboard)", "keyboard"),
    SwiperModel(0x0ACD, 0x3810, "ID TECH MiniMag II (keyboard)", "keyboard"),
)

StateKind = Literal["not_found", "permission", "connected", "stopped"]


@dataclass(frozen=True)
class HidState:
    kind: StateKind
    message: str  # in front-desk words
    device: str = ""
    udev_rule: str = ""  # with "permission": the line that lets this computer's users read the swiper


def udev_rule(model: SwiperModel) -> str:
    product = f', ATTRS{{idProduct}}=="{model.product_id:04x}"' if model.product_id is not None else ""
    return f'SUBSYSTEM=="usb", ATTRS{{idVendor}}=="{model.vendor_id:04x}"{product}, MODE="0660", TAG+="uaccess"'


_GONE = {errno.ENODEV, errno.EIO, errno.EPIPE, errno.ESHUTDOWN, errno.ENOENT}


class HidSwiper:
    def __init__(self, on_swipe: Callable[[Swipe], None], on_state: Callable[[HidState], None] = lambda s: None, *,
                 models: Iterable[SwiperModel] = SUPPORTED, backend: Any = None, poll_s: float = 1.0,
                 read_timeout_ms: int = 200, rules: Callable[[], Sequence[MemberRule]] = lambda: DEFAULT_RULES):
        self.on_swipe = on_swipe
        self.on_state = on_state
        self.models = tuple(models)
        self.backend = backend
        self.poll_s = poll_s
        self.read_timeout_ms = read_timeout_ms
        self.rules = rules
        self.state = HidState("not_found", "No USB card swiper is plugged in.")
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="hid-swiper", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self._set(HidState("stopped", "The USB card swiper is not being read."))

    def _set(self, state: HidState) -> None:
        if state != self.state:
            self.state = state
            try:
                self.on_state(state)
            except Exception:
                log.exception("swiper state listener failed")

    def _run(self) -> None:
        while not self._stop.is_set():
            found = self._find()
            if found is None:
                self._set(HidState("not_found", "No USB card swiper is plugged in. Plug it in; the desk finds it by itself."))
                self._stop.wait(self.poll_s)
                continue
            device, model = found
            try:
                endpoint = self._open(device)
            except usb.core.USBError as exc:
                if exc.errno in (errno.EACCES, errno.EPERM):
                    self._set(HidState(
                        "permission",
                        f"The {model.name} is plugged in, but this computer does not let Frontdesk read it. Ask "
                        "whoever looks after this computer to add the rule below to "
                        "/etc/udev/rules.d/70-frontdesk-swiper.rules, then unplug and replug the swiper.",
                        model.name, udev_rule(model)))
                else:
                    log.warning("could not open %s: %s", model.name, exc)
                    self._set(HidState("not_found", f"The {model.name} did not answer. Unplug it and plug it in again.",
                                       model.name))
                _dispose(device)
                self._stop.wait(self.poll_s)
                continue
            self._set(HidState("connected", f"{model.name} ready: swipe a card.", model.name))
            self._read(device, endpoint, model)
            _dispose(device)

    def _find(self) -> tuple[Any, SwiperModel] | None:
        try:
            devices = list(usb.core.find(find_all=True, backend=self.backend) or ())
        except usb.core.NoBackendError:
            return None
        for device in devices:
            for model in self.models:
                if device.idVendor == model.vendor_id and model.product_id in (None, device.idProduct):
                    return device, model
        return None

    def _open(self, device: Any) -> Any:
        interface = 0
        if device.is_kernel_driver_active(interface):
            device.detach_kernel_driver(interface)  # the kernel's HID driver would turn reports into keys
        device.set_configuration()
        config = device.get_active_configuration()
        intf = config[(interface, 0)]
        endpoint = usb.util.find_descriptor(
            intf, custom_match=lambda e: usb.util.endpoint_direction(e.bEndpointAddress) == usb.util.ENDPOINT_IN)
        if endpoint is None:
            raise usb.core.USBError("the swiper has no input endpoint", errno=errno.ENODEV)
        usb.util.claim_interface(device, interface)
        return endpoint

    def _read(self, device: Any, endpoint: Any, model: SwiperModel) -> None:
        decoder = MagTekDecoder() if model.protocol == "magtek" else KeyboardDecoder()
        while not self._stop.is_set():
            try:
                data = device.read(endpoint.bEndpointAddress, endpoint.wMaxPacketSize, timeout=self.read_timeout_ms)
            except usb.core.USBTimeoutError:
                self._deliver(decoder.flush())  # quiet now: a swipe held at an Enter had no more tracks
                continue
            except usb.core.USBError as exc:
                if exc.errno in _GONE or exc.errno is None:
                    self._set(HidState("not_found", f"The {model.name} was unplugged. Plug it in again.", model.name))
                    return
                log.warning("reading %s failed: %s", model.name, exc)
                continue
            self._deliver(decoder.feed(bytes(data)))

    def _deliver(self, text: str | None) -> None:
        if text is None:
            return
        try:
            self.on_swipe(parse_swipe(text, self.rules()))
        except Exception:
            log.exception("swipe listener failed")


def _dispose(device: Any) -> None:
    try:
        usb.util.dispose_resources(device)
    except usb.core.USBError:
        pass  # it is gone already
