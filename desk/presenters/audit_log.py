"""The audit log screen's words and its CSV export (plain Python, no widgets)."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

from sync.contact_fields import phone_text
from sync.wire_staff import AuditEntry

COLUMNS = ("When (UTC)", "Staff", "Desk", "Action", "Record", "Details")

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


# Changes to the family file, said in words: what was changed, then each field before and after.
FAMILY_CHANGES = {
    "family.create": "New family", "family.update": "Family changed", "contact.add": "Guardian added",
    "contact.update": "Guardian changed", "student.add": "Student added", "student.update": "Student changed",
    "student.move": "Student moved to another family", "alert.add": "Note added", "alert.update": "Note changed",
}  # fmt: skip
FIELD_WORDS = {"is_primary": "Primary contact", "active": "Active", "birth_date": "Birth date", "text": "Note"}


def action_words(action: str) -> str:
    return ACTION_WORDS.get(action, action)


def details(entry: AuditEntry) -> str:
    d = entry.detail
    if d.get("type") in FAMILY_CHANGES:
        return family_details(d)
    parts = []
    if "before" in d or "after" in d:
        before, after = d.get("before") or {}, d.get("after") or {}
        changed = [k for k in sorted(set(before) | set(after)) if before.get(k) != after.get(k)]
        parts += [f"{k}: {before.get(k)!r} → {after.get(k)!r}" for k in changed]
    changes = d.get("changes")  # an edit made at a desk, or a desk's own settings: each field before and after
    if isinstance(changes, dict):
        parts += [f"{k}: {v.get('before')!r} → {v.get('after')!r}" for k, v in sorted(changes.items()) if isinstance(v, dict)]
    for key in ("username", "type", "code", "address", "source", "made_at", "permission", "path"):
        if d.get(key) not in (None, "", []):
            parts.append(f"{key}: {d[key]}")
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
        parts += [f"{FIELD_WORDS.get(k, k.replace('_', ' ').capitalize())}: {_plain(k, v.get('before'))} → "
                  f"{_plain(k, v.get('after'))}" for k, v in sorted(changes.items()) if isinstance(v, dict)]  # fmt: skip
    if d.get("code"):
        parts.append(f"refused ({d['code']})")
    return "; ".join(parts)


def _plain(name: str, value: object) -> str:
    if value is None or value == "":
        return "(empty)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if name == "phone":
        return phone_text(str(value), "ZZ")  # no home country here: international, readable anywhere
    return str(value)


def row(entry: AuditEntry) -> tuple[str, ...]:
    record = f"{entry.record_type} {entry.record_id[:8]}" if entry.record_type and entry.record_id else ""
    return (
        entry.at.strftime("%Y-%m-%d %H:%M:%S"),
        entry.staff_name or (entry.staff_id[:8] if entry.staff_id else ""),
        (entry.desk_id or "")[:8],
        action_words(entry.action),
        record,
        details(entry),
    )


def export_csv(entries: list[AuditEntry], path: Path) -> int:
    """Write the entries, with every field in full, to a CSV file; returns how many rows."""
    with Path(path).open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["id", "at_utc", "staff_id", "staff_name", "desk_id", "action", "record_type", "record_id", "detail"])
        for e in entries:
            out.writerow([e.id, e.at.isoformat(), e.staff_id or "", e.staff_name or "", e.desk_id or "", e.action,
                          e.record_type or "", e.record_id or "", json.dumps(e.detail, sort_keys=True)])
    return len(entries)


def day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0, 0))
