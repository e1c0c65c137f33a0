"""This desk's own settings, kept in the platform's configuration folder as one JSON file.

    ~/.config/Frontdesk/settings.json     (Linux; platformdirs elsewhere; FRONTDESK_CONFIG_DIR overrides)

What is here belongs to this computer, not to the account: which printer the receipts go to and
on what paper, what the receipt choice defaults to, how fast the keyboard swiper types, when the
desk locks itself. Account-wide rules live on the server. No secret is ever written here
(tokens are in the OS keyring).

A damaged or hand-edited file never stops the desk: it is moved aside (kept for support) and the
desk starts with defaults, saying so once. Saving writes a new file and renames it over the old
one, so a power cut leaves either the old settings or the new ones, never half of each.
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
from pathlib import Path
from typing import Literal

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from sync.core.ids import utcnow

log = logging.getLogger("frontdesk.desk")
CONFIG_DIR_ENV = "FRONTDESK_CONFIG_DIR"
FILE_NAME = "settings.json"
ReceiptChoice = Literal["print", "email", "none"]


def config_dir() -> Path:
    env = os.environ.get(CONFIG_DIR_ENV)
    return Path(env) if env else platformdirs.user_config_path("Frontdesk", appauthor=False)


class ReceiptDefaults(BaseModel):
    """What the receipt question after a payment starts on, by how the family paid."""

    model_config = ConfigDict(extra="ignore")
    cash: ReceiptChoice = "print"  # the family wants paper for cash
    check: ReceiptChoice = "none"
    card: ReceiptChoice = "print"
    terminal: ReceiptChoice = "none"  # the terminal printed its own slip
    credit: ReceiptChoice = "none"

    def for_method(self, method: str) -> ReceiptChoice:
        key = "card" if method in ("card_present", "card_keyed") else method
        return getattr(self, key, "none")


class MemberRuleSetting(BaseModel):
    """A business's own member cards or key tags: which track, and a pattern (its `number` group, or
    the whole match, is the member number). Tried before the usual rules (devices.tracks)."""

    model_config = ConfigDict(extra="ignore")
    name: str = Field(min_length=1, max_length=60)
    track: int = Field(ge=0, le=3)  # 0: plain text without sentinels (a key-tag reader typing a number)
    pattern: str = Field(min_length=1, max_length=200)

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"the pattern is not a valid regular expression ({exc})") from None
        return value


class UsbSwiperSetting(BaseModel):
    """A USB swiper model this computer should also read directly (beside devices.hid.SUPPORTED)."""

    model_config = ConfigDict(extra="ignore")
    name: str = Field(min_length=1, max_length=60)
    vendor_id: int = Field(ge=0, le=0xFFFF)
    product_id: int | None = Field(default=None, ge=0, le=0xFFFF)  # None: any product of the vendor
    protocol: Literal["magtek", "keyboard"] = "keyboard"


class KioskSettings(BaseModel):
    """The self check-in kiosk of this computer (desk.kiosk.options.KioskOptions)."""

    model_config = ConfigDict(extra="ignore")
    start_in_kiosk: bool = False  # this computer is the lobby's kiosk: start it without --kiosk
    opens_before_minutes: int = Field(default=30, ge=0, le=240)
    closes_after_minutes: int = Field(default=15, ge=0, le=240)
    blocking_alerts: list[Literal["medical", "allergy", "waiver", "balance", "note"]] = Field(
        default_factory=lambda: ["balance", "waiver"])
    idle_seconds: float = Field(default=45.0, gt=0, le=3600)


class DeskSettings(BaseModel):
    model_config = ConfigDict(extra="ignore", validate_assignment=True)

    # Where this desk signs in (the first-run set-up fills these).
    server_url: str = ""
    account: str = ""
    username: str = ""
    desk_name: str = ""
    location_code: str | None = None
    # Printing.
    printer: str | None = None  # None: the computer's default printer, whichever it is that day
    receipt_layout: Literal["thermal", "page"] = "thermal"
    receipts: ReceiptDefaults = Field(default_factory=ReceiptDefaults)
    # The desk.
    idle_lock_minutes: float = Field(default=5.0, ge=0, le=240)
    swipe_max_gap_ms: int = Field(default=30, ge=5, le=200)  # keys further apart are a person typing
    sounds: bool = True
    kiosk: KioskSettings = Field(default_factory=KioskSettings)
    member_card_rules: list[MemberRuleSetting] = Field(default_factory=list, max_length=20)
    usb_swipers: list[UsbSwiperSetting] = Field(default_factory=list, max_length=20)


class LoadedSettings(BaseModel):
    settings: DeskSettings
    notice: str = ""  # said once at start when the file had to be set aside


DAMAGED = ("This desk's settings file could not be read, so the desk started with its usual settings. "
           "The old file was kept as {name}. Check the printer and other settings.")


def settings_path(folder: Path | None = None) -> Path:
    return (folder or config_dir()) / FILE_NAME


def load(folder: Path | None = None) -> LoadedSettings:
    path = settings_path(folder)
    if not path.exists():
        return LoadedSettings(settings=DeskSettings())
    try:
        return LoadedSettings(settings=DeskSettings.model_validate(json.loads(path.read_text(encoding="utf-8"))))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, ValidationError) as exc:
        kept = path.with_name(f"{path.name}.bad-{utcnow():%Y%m%d-%H%M%S}")
        try:
            path.rename(kept)
        except OSError:
            kept = path  # cannot move it: leave it, start with defaults anyway
        log.warning("settings file %s unreadable (%s); kept as %s", path, type(exc).__name__, kept.name)
        return LoadedSettings(settings=DeskSettings(), notice=DAMAGED.format(name=kept.name))


def save(settings: DeskSettings, folder: Path | None = None) -> Path:
    """Write atomically; raises OSError (said by the caller) when the folder cannot be written."""
    path = settings_path(folder)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = settings.model_dump_json(indent=2)
    fd, tmp = tempfile.mkstemp(prefix=".settings-", suffix=".json", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


class SettingsStore:
    """The desk's settings while it runs: read by whoever needs them, changed by the Settings screen."""

    def __init__(self, folder: Path | None = None):
        self.folder = folder
        loaded = load(folder)
        self.current: DeskSettings = loaded.settings
        self.notice = loaded.notice
        self._listeners: list = []

    def subscribe(self, callback):  # noqa: ANN001, ANN201 - Callable[[DeskSettings], None] -> unsubscribe
        self._listeners.append(callback)
        return lambda: callback in self._listeners and self._listeners.remove(callback)

    def save(self, settings: DeskSettings) -> Path:
        path = save(settings, self.folder)
        self.current = settings
        for callback in list(self._listeners):
            callback(settings)
        return path
