"""The audit log screen's words and its CSV export (plain Python, no widgets)."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path
from zoneinfo import ZoneInfo

from desk.presenters.audit_words import local_time, sentence
from sync.core.contact_fields import phone_text
from sync.core.wire_staff import AuditEntry

COLUMNS = ("Day", "What happened", "Details")
SHOWN = 80  # characters of one value in the details column; the CSV export has them whole

ACTION_WORDS = {
    "login.succeeded": "Signed in",
    "login.failed": "Sign-in failed",
    "login.throttled": "Sign-in blocked (too many tries)",
    "logout": "Signed out",
    "mutation.applied": "Change saved",
    "mutation.rejected": "Change refused",
    "mutation.discarded": "Refused change let go",
    "request.refused": "Not allowed",
    "staff.created": "Staff added",
    "staff.added": "Staff added",
    "staff.updated": "Staff changed",
    "staff.password_reset": "Password reset",
    "staff.pin_set": "PIN set",
    "group.created": "Group made",
    "group.updated": "Group changed",
    "account.created": "Account created",
    "account.seeded": "Demo data added",
}

# Filters the screen offers: words -> the action (or prefix ending in ".") the server filters on.
ACTION_FILTERS = {
    "Everything": "",
    "Sign-ins": "login.",
    "Changes from desks": "mutation.",
    "Staff changes": "staff.",
    "Not allowed": "request.refused",
}


def action_words(action: str) -> str:
    return ACTION_WORDS.get(action, action)


def _value(value: object) -> str:
    """A value as the details column shows it: its repr, cut short (it may be anything a desk sent)."""
    text = repr(value)
    return text if len(text) <= SHOWN else text[: SHOWN - 1] + "…"


# Changes to the family file, said in words: what was changed, then each field before and after.
FAMILY_CHANGES = {
    "family.create": "New family", "family.update": "Family changed", "contact.add": "Guardian added",
    "contact.update": "Guardian changed", "student.add": "Student added", "student.update": "Student changed",
    "student.move": "Student moved to another family", "alert.add": "Note added", "alert.update": "Note changed",
}  # fmt: skip
FIELD_WORDS = {"is_primary": "Primary contact", "active": "Active", "birth_date": "Birth date", "text": "Note"}


def details(entry: AuditEntry) -> str:
    """What changed, before → after, and the few facts worth reading; safe whatever the entry holds."""
    d = entry.detail if isinstance(entry.detail, dict) else {}
    if isinstance(d.get("type"), str) and d["type"] in FAMILY_CHANGES:
        return family_details(d)
    parts = []
    if "before" in d or "after" in d:
        before, after = d.get("before"), d.get("after")
        before, after = before if isinstance(before, dict) else {}, after if isinstance(after, dict) else {}
        changed = [k for k in sorted(set(before) | set(after), key=str) if before.get(k) != after.get(k)]
        parts += [f"{k}: {_value(before.get(k))} → {_value(after.get(k))}" for k in changed]
    changes = d.get("changes")  # an edit made at a desk, or a desk's own settings: each field before and after
    if isinstance(changes, dict):
        parts += [f"{k}: {_value(v.get('before'))} → {_value(v.get('after'))}"
                  for k, v in sorted(changes.items(), key=lambda kv: str(kv[0])) if isinstance(v, dict)]  # fmt: skip
    for key in ("username", "type", "code", "address", "source", "permission", "path"):
        value = d.get(key)
        if value not in (None, "", []):
            parts.append(f"{key}: {value if isinstance(value, str) and len(value) <= SHOWN else _value(value)}")
    return "; ".join(parts)


def family_details(d: dict) -> str:
    """"Guardian changed: Phone: +1 312-555-0147 → +1 312-555-0190"; a refusal says its code."""
    parts = [FAMILY_CHANGES[d["type"]]]
    if d["type"] == "family.create" and isinstance(d.get("written"), list):  # what the one step brought
        kinds = [w[0] for w in d["written"] if isinstance(w, list) and w]
        counts = [(kinds.count(t), words) for t, words in (("contact", "guardian"), ("student", "student"), ("alert", "note"))]
        parts += [f"{n} {words}{'' if n == 1 else 's'}" for n, words in counts if n]
    changes = d.get("changes")
    if isinstance(changes, dict):
        parts += [f"{FIELD_WORDS.get(str(k), str(k).replace('_', ' ').capitalize())}: {_plain(k, v.get('before'))} → "
                  f"{_plain(k, v.get('after'))}" for k, v in sorted(changes.items(), key=lambda kv: str(kv[0]))
                  if isinstance(v, dict)]  # fmt: skip
    if d.get("code"):
        parts.append(f"refused ({d['code']})")
    return "; ".join(parts)


def _plain(name: object, value: object) -> str:
    if value is None or value == "":
        return "(empty)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if name == "phone":
        return phone_text(str(value), "ZZ")  # no home country here: international, readable anywhere
    text = str(value)
    return text if len(text) <= SHOWN else text[: SHOWN - 1] + "…"


def row(entry: AuditEntry, timezone: str) -> tuple[str, ...]:
    """Day, sentence and details of an entry, its time on the clock of `timezone` (the location's)."""
    return (local_time(entry, timezone).strftime("%a %b %d").replace(" 0", " "), sentence(entry, timezone), details(entry))


def export_csv(entries: list[AuditEntry], path: Path) -> int:
    """Write the entries, with every field in full, to a CSV file; returns how many rows."""
    with Path(path).open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["id", "at_utc", "staff_id", "staff_name", "desk_id", "action", "record_type", "record_id", "detail"])
        for e in entries:
            out.writerow([e.id, e.at.isoformat(), e.staff_id or "", e.staff_name or "", e.desk_id or "", e.action,
                          e.record_type or "", e.record_id or "", json.dumps(e.detail, sort_keys=True)])
    return len(entries)


def day_start(day: dt.date, timezone: str = "UTC") -> dt.datetime:
    """The start of a day on the location's clock, as the UTC time the server filters on."""
    return dt.datetime.combine(day, dt.time(0, 0), tzinfo=ZoneInfo(timezone)).astimezone(dt.UTC)
