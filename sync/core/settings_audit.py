"""A desk's own settings changed: recorded like any other change, so the account's audit log has it.

Desk settings (printer, receipt defaults, idle lock, kiosk hours, card rules) live in a file on the
computer and never reach the server as records. Staff still change them, and "every staff or
settings change" belongs in the audit log: the desk records a `desk.settings` change naming each
setting with its value before and after; it waits in the outbox like the rest (offline too), the
server checks the permission (settings.manage) and writes the audit entry. Nothing else is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

DESK_SETTINGS = "desk.settings"
HIDDEN = "(hidden)"
# Settings whose values are secrets: the audit says they changed, never what to.
_SECRET_WORDS = ("pin", "password", "secret", "token")


class SettingChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    before: Any = None
    after: Any = None


class DeskSettingsPayload(BaseModel):
    model_config = ConfigDict(extra="forbid")
    changes: dict[str, SettingChange] = Field(min_length=1, max_length=100)


PAYLOADS: dict[str, type[BaseModel]] = {DESK_SETTINGS: DeskSettingsPayload}


def setting_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Each setting that differs, by its dotted name ("kiosk.opens_before_minutes"), secrets hidden."""
    old, new = _flat(before), _flat(after)
    changes: dict[str, dict[str, Any]] = {}
    for name in sorted(old.keys() | new.keys()):
        if old.get(name) == new.get(name):
            continue
        if any(word in name.lower() for word in _SECRET_WORDS):
            changes[name] = {"before": HIDDEN, "after": HIDDEN}
        else:
            changes[name] = {"before": old.get(name), "after": new.get(name)}
    return changes


def _flat(values: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in values.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(_flat(value, f"{name}."))
        else:
            out[name] = value  # lists (card rules, swiper models) are compared and shown whole
    return out
