"""An audit entry in one plain sentence: "Alex checked Emma Lee in to Level 2 Gymnastics at 4:02 PM".

From the entry's own fields and the names the server sent with it (AuditEntry.about), the time on
the location's clock. Whatever an entry holds (an action this desk does not know, names missing
because a record was deleted, a detail of the wrong shape) it still reads as a sentence.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from desk.presenters.formatting import clock
from sync.core.wire_staff import AuditEntry

# A pushed change: what its staff member did (after their name), and what it is called (a refusal).
# {student}, {class}, {location}, {status}, {family} are the entry's names, or words that stand in.
CHANGES: dict[str, tuple[str, str]] = {
    "check_in": ("checked {student} in to {class}", "check-in of {student}"),
    "attendance.mark": ("marked {student} {status} in {class}", "attendance mark for {student}"),
    "card.assign": ("gave {student} a member card", "member card for {student}"),
    "charge.post": ("posted a charge to the {family} family", "charge to the {family} family"),
    "payment.record": ("recorded a payment from the {family} family", "payment from the {family} family"),
    "ledger.credit": ("credited the {family} family's account", "credit to the {family} family"),
    "void.entry": ("voided an entry of the {family} family", "void for the {family} family"),
    "refund.record": ("refunded the {family} family", "refund to the {family} family"),
    "ledger.adjust": ("adjusted the {family} family's balance", "adjustment for the {family} family"),
    "drawer.count": ("counted the cash drawer", "drawer count"),
    "contact.add": ("added a guardian to the {family} family", "new guardian for the {family} family"),
    "contact.update": ("edited a guardian of the {family} family", "edit of a guardian"),
    "family.update": ("edited the {family} family's file", "edit of the {family} family's file"),
    "student.update": ("edited {student}'s details", "edit of {student}'s details"),
    "alert.add": ("added an alert", "new alert"),
    "alert.update": ("changed an alert", "change to an alert"),
    "receipt.email": ("emailed a receipt to the {family} family", "receipt email"),
    "desk.settings": ("changed a desk's settings", "settings change"),
    "kiosk.referral": ("sent {student} to the front desk", "kiosk referral"),
    "outbox.discard": ("let go of a refused change", "letting go of a refused change"),
}
STAND_INS = {"student": "a student", "class": "a class", "location": "a location", "status": "", "family": "a"}

# Everything else the server records: the sentence after the staff member's name ({who} when the
# sentence starts otherwise), {staff} being the staff member a change was made to.
ACTIONS: dict[str, str] = {
    "login.succeeded": "{who} signed in",
    "login.failed": "Someone failed to sign in as “{username}”",
    "login.throttled": "Sign-ins as “{username}” were paused after too many wrong tries",
    "logout": "{who} signed out",
    "request.refused": "{who} tried something they are not allowed to do",
    "staff.added": "{who} added {username} to the staff",
    "staff.created": "{who} added {username} to the staff",
    "staff.updated": "{who} changed {staff}'s staff details",
    "staff.password_reset": "{who} set a new password for {staff}",
    "staff.pin_set": "{who} set a PIN for {staff}",
    "group.created": "{who} made a staff group",
    "group.updated": "{who} changed a staff group",
    "account.created": "The account was created",
    "account.seeded": "Demo data was added",
    "account.restored": "The account's data was restored from a backup",
    "account.moved": "The account's data was moved to another server",
    "export.downloaded": "{who} downloaded an export of the account's data",
    "export.written": "An export of the account's data was written",
    "import.committed": "{who} imported a file",
    "sessions.added": "Classes were added to the schedule",
    "payment.card": "{who} took a card payment from the {family} family",
    "payment.card_declined": "A card payment from the {family} family was declined",
}


def local_time(entry: AuditEntry, timezone: str) -> dt.datetime:
    at = entry.at if entry.at.tzinfo is not None else entry.at.replace(tzinfo=dt.UTC)
    return at.astimezone(ZoneInfo(timezone))


def who(entry: AuditEntry) -> str:
    if entry.staff_name:
        return entry.staff_name
    if isinstance(entry.detail, dict) and entry.detail.get("source") == "admin":
        return "An administrator"
    return "Someone"


def _fill(template: str, entry: AuditEntry) -> str:
    names: dict[str, Any] = {**STAND_INS, **{k: v for k, v in entry.about.items() if v}}
    detail = entry.detail if isinstance(entry.detail, dict) else {}
    values = {**names, "who": who(entry), "username": str(detail.get("username") or "someone"),
              "staff": names.get("staff", "a staff member")}  # fmt: skip
    text = template
    for key, value in values.items():
        text = text.replace("{" + key + "}", str(value))
    text = text.replace("the a family", "a family").replace("a family family", "a family")
    return " ".join(text.split())  # a stand-in left empty (a status) leaves no double space


def sentence(entry: AuditEntry, timezone: str) -> str:
    """The entry as one sentence, ending with its time on the location's clock."""
    at = clock(local_time(entry, timezone))
    detail = entry.detail if isinstance(entry.detail, dict) else {}
    kind = detail.get("type") if isinstance(detail.get("type"), str) else ""
    if entry.action == "mutation.applied":
        done, _ = CHANGES.get(kind, (f"made a change ({kind or 'of an unknown kind'})", ""))
        return f"{who(entry)} {_fill(done, entry)} at {at}"
    if entry.action == "mutation.rejected":
        _, noun = CHANGES.get(kind, ("", f"change ({kind or 'of an unknown kind'})"))
        why = f" ({detail['code']})" if isinstance(detail.get("code"), str) else ""
        return f"The server refused {who(entry)}'s {_fill(noun, entry)}{why} at {at}"
    if entry.action == "mutation.discarded":
        _, noun = CHANGES.get(str(detail.get("type") or ""), ("", "change"))
        return f"{who(entry)} let go of a refused {_fill(noun, entry)} at {at}"
    template = ACTIONS.get(entry.action)
    if template is None:
        return f"{who(entry)}: {entry.action} at {at}"
    text = _fill(template, entry)
    return f"{text[:1].upper()}{text[1:]} at {at}"
