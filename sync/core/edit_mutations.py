"""Edits of the family file: families, guardians (contacts), students and alerts/notes.

Editable records follow DESIGN.md's rule: last writer wins PER FIELD, in server order. A desk
sends only the fields that were changed, so two desks that edit different fields of the same
guardian offline both keep their change; when both edit the same field, the one the server
applies last is current, and the server's audit log keeps the value it overwrote
(`server.push` records before/after of every edited field). Desk clocks play no part.

The same appliers run on the desk's cache (when the edit is made, and re-applied on top of each
pull until the server has it) and on the server.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError
from sqlmodel import Session, select

from sync.core.contact_fields import DEFAULT_REGION, clean_email, clean_phone, region_of_zone
from sync.core.schema import ALERT_KINDS, Alert, Contact, Family, Location, Student, SyncedRecord
from sync.core.rejections import Rejected

NextUsn = Callable[[], int | None]
Id = Annotated[str, Field(min_length=1, max_length=36)]
Name = Annotated[str, Field(min_length=1, max_length=80)]
Phone = Annotated[str, Field(max_length=32, pattern=r"^[0-9+()\-. x]*$")]
Email = Annotated[str, Field(max_length=254)]

# What may be edited, field by field, with the type each value must have.
EDITABLE: dict[type[SyncedRecord], dict[str, Any]] = {
    Family: {"name": Name, "email": Email, "phone": Phone, "address": Annotated[str, Field(max_length=300)]},
    Contact: {"first_name": Name, "last_name": Name, "relation": Annotated[str, Field(max_length=40)],
              "email": Email, "phone": Phone, "is_primary": bool},
    Student: {"first_name": Name, "last_name": Name, "birth_date": dt.date | None,
              "gender": Annotated[str, Field(max_length=20)], "active": bool},
    Alert: {"kind": Literal["medical", "allergy", "waiver", "balance", "note"],
            "text": Annotated[str, Field(max_length=500)], "active": bool},
}  # fmt: skip
_ADAPTERS = {cls: {name: TypeAdapter(tp) for name, tp in fields.items()} for cls, fields in EDITABLE.items()}


class _Payload(BaseModel):
    model_config = ConfigDict(extra="forbid")


class UpdatePayload(_Payload):
    id: Id
    changes: dict[str, Any] = Field(min_length=1, max_length=12)


class ContactAddPayload(_Payload):
    contact_id: Id
    family_id: Id
    first_name: Name
    last_name: Name
    relation: str = Field(default="guardian", max_length=40)
    email: Email = ""
    phone: Phone = ""
    is_primary: bool = False


class AlertAddPayload(_Payload):
    alert_id: Id
    family_id: Id | None = None
    student_id: Id | None = None
    kind: Literal["medical", "allergy", "waiver", "balance", "note"]
    text: str = Field(min_length=1, max_length=500)


UPDATES: dict[str, type[SyncedRecord]] = {
    "family.update": Family,
    "contact.update": Contact,
    "student.update": Student,
    "alert.update": Alert,
}
CONTACT_ADD = "contact.add"
ALERT_ADD = "alert.add"
PAYLOADS: dict[str, type[BaseModel]] = {
    **{name: UpdatePayload for name in UPDATES},
    CONTACT_ADD: ContactAddPayload,
    ALERT_ADD: AlertAddPayload,
}
_WORDS = {Family: "family", Contact: "guardian", Student: "student", Alert: "note"}


def account_region(db: Session) -> str:
    """The country a phone typed without its code belongs to: the first location's (by name), the
    same on the server and on every desk; desks send numbers already as E.164 from their own location."""
    zone = db.exec(select(Location.timezone).order_by(Location.name, Location.id)).first()
    return region_of_zone(zone) if zone else DEFAULT_REGION


def clean_changes(cls: type[SyncedRecord], changes: dict[str, Any], region: str = DEFAULT_REGION) -> dict[str, Any]:
    """The changes as the record's own types; Rejected for a field that may not be edited or a bad value.

    Emails are checked by a real validator and phones kept as E.164 (sync.core.contact_fields)."""
    allowed = _ADAPTERS[cls]
    out: dict[str, Any] = {}
    for name, value in changes.items():
        if name not in allowed:
            raise Rejected("invalid", f"The {_WORDS[cls]}'s {name.replace('_', ' ')} cannot be changed here.")
        try:
            value = allowed[name].validate_python(value)
        except ValidationError:
            raise Rejected("invalid", f"The {_WORDS[cls]}'s {name.replace('_', ' ')} is not valid; nothing was changed.") from None
        if isinstance(value, str):
            value = value.strip()
            if not value and name in ("name", "first_name", "last_name"):
                raise Rejected("invalid", f"The {_WORDS[cls]}'s {name.replace('_', ' ')} cannot be empty; nothing was changed.")
            try:
                if name == "email":
                    value = clean_email(value)
                elif name == "phone":
                    value = clean_phone(value, region)
            except ValueError as exc:
                raise Rejected("invalid", f"{exc} Nothing was changed.") from None
        out[name] = value
    return out


def apply_edit(db: Session, mutation_type: str, payload: BaseModel, next_usn: NextUsn) -> list[SyncedRecord]:
    if isinstance(payload, UpdatePayload):
        cls = UPDATES[mutation_type]
        row = db.get(cls, payload.id)
        if row is None:
            raise Rejected("not_found", f"This {_WORDS[cls]} is no longer on file; the change was not recorded.")
        changes = clean_changes(cls, payload.changes, account_region(db))
        for name, value in changes.items():  # only the fields sent: the others keep what others wrote
            setattr(row, name, value)
        row.usn = next_usn()
        db.add(row)
        return [row]
    if isinstance(payload, ContactAddPayload):
        if db.get(Contact, payload.contact_id) is not None:
            return []
        if db.get(Family, payload.family_id) is None:
            raise Rejected("not_found", "This family is no longer on file; the guardian was not added.")
        fields = clean_changes(Contact, payload.model_dump(exclude={"contact_id", "family_id"}), account_region(db))
        row = Contact(id=payload.contact_id, usn=next_usn(), family_id=payload.family_id, **fields)
        db.add(row)
        return [row]
    if isinstance(payload, AlertAddPayload):
        if db.get(Alert, payload.alert_id) is not None:
            return []
        if (payload.family_id is None) == (payload.student_id is None):
            raise Rejected("invalid", "A note belongs to a family or to a student.")
        if payload.family_id is not None and db.get(Family, payload.family_id) is None or \
                payload.student_id is not None and db.get(Student, payload.student_id) is None:
            raise Rejected("not_found", "This family or student is no longer on file; the note was not added.")
        row = Alert(id=payload.alert_id, usn=next_usn(), family_id=payload.family_id, student_id=payload.student_id,
                    kind=payload.kind, text=payload.text.strip())  # fmt: skip
        db.add(row)
        return [row]
    raise AssertionError(mutation_type)


def edited_fields(db: Session, mutation_type: str, payload: dict[str, Any]) -> dict[str, Any] | None:
    """For the server's audit: the current values of the fields an update will change (None: not an update)."""
    if mutation_type == "student.move":  # sync.core.family_mutations: which family, by name, before and after
        student = db.get(Student, str(payload.get("student_id", "")))
        family = db.get(Family, student.family_id) if student is not None else None
        return {"family": f"{family.name} family" if family is not None else ""} if student is not None else None
    cls = UPDATES.get(mutation_type)
    if cls is None or not isinstance(payload.get("changes"), dict):
        return None
    row = db.get(cls, str(payload.get("id", "")))
    if row is None:
        return None
    return {name: _plain(getattr(row, name)) for name in payload["changes"] if name in EDITABLE[cls]}


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


assert set(ALERT_KINDS) == {"medical", "allergy", "waiver", "balance", "note"}  # the Literal above follows it
