"""FamilyDesk: the family file's writes and reads for the desk's screens (no Qt, no SQL outside sync).

    families = FamilyDesk(store)
    hits = families.duplicates(draft, region)          # before saving: show them, open one or save anyway
    family_id = await families.add_family(draft, region)
    await families.update("guardian", contact_id, {"phone": "(312) 555-0190"}, region)
    await families.move_student(student_id, other_family_id)

Every write goes through the store's outbox (offline too) as one mutation, with the same appliers
the server runs, so a bad value is refused here in the server's own words before anything is
recorded. Updates carry only the fields that changed: per-field last writer wins (DESIGN.md).
Phones are normalised here with the desk's location (its country), emails by the validator.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

from sync import db
from sync.core.contact_fields import clean_phone
from sync.core.edit_mutations import ALERT_ADD, CONTACT_ADD
from sync.errors import RejectedError
from sync.family_file import (
    ChildKey,
    DuplicateHit,
    FamilyFile,
    duplicates_of,
    family_file,
    likely_duplicates,
)
from sync.core.family_mutations import EMERGENCY, FAMILY_CREATE, STUDENT_ADD, STUDENT_MOVE
from sync.core.ids import new_id
from sync.core.schema import Contact, Family, Student
from sync.store import DeskStore

Part = Literal["family", "guardian", "student", "note"]
_UPDATE = {"family": "family.update", "guardian": "contact.update", "student": "student.update", "note": "alert.update"}


@dataclass
class GuardianDraft:
    first_name: str
    last_name: str
    relation: str = "guardian"
    phone: str = ""
    email: str = ""
    is_primary: bool = False


@dataclass
class StudentDraft:
    first_name: str
    last_name: str
    birth_date: dt.date | None = None
    gender: str = ""
    medical: str = ""  # becomes a red "medical" note on the student
    allergy: str = ""  # a red "allergy" note


@dataclass
class NewFamily:
    """What the front desk typed during the call."""

    name: str
    address: str = ""
    guardians: list[GuardianDraft] = field(default_factory=list)
    students: list[StudentDraft] = field(default_factory=list)
    emergency: GuardianDraft | None = None
    note: str = ""  # a note on the whole family

    def children(self) -> list[ChildKey]:
        return [ChildKey(s.first_name, s.last_name or self.name, s.birth_date) for s in self.students]


class FamilyDesk:
    def __init__(self, store: DeskStore):
        self.store = store

    # -- reads ---------------------------------------------------------------------------------
    def file(self, family_id: str, today: dt.date) -> FamilyFile:
        """Raises queries.NotFound (a LookupError) for a family this desk does not have."""
        with db.read_session(self.store.cache.engine) as s:
            return family_file(s, family_id, today)

    def duplicates(self, draft: NewFamily, region: str) -> list[DuplicateHit]:
        with db.read_session(self.store.cache.engine) as s:  # guardians only: emergency contacts are often shared
            return likely_duplicates(s, [g.phone for g in draft.guardians], [g.email for g in draft.guardians],
                                     draft.children(), region)  # fmt: skip

    def duplicates_of(self, family_id: str, region: str) -> list[DuplicateHit]:
        with db.read_session(self.store.cache.engine) as s:
            return duplicates_of(s, family_id, region)

    # -- writes (outbox first, offline too) -------------------------------------------------------
    async def add_family(self, draft: NewFamily, region: str) -> str:
        """Save the new family in one step; returns its id. RejectedError in words, nothing recorded."""
        name = draft.name.strip()
        guardians = [g for g in draft.guardians if g.first_name.strip() or g.last_name.strip() or g.phone.strip()]
        if draft.emergency is not None and (draft.emergency.first_name.strip() or draft.emergency.phone.strip()):
            relation = draft.emergency.relation.strip()
            guardians.append(GuardianDraft(draft.emergency.first_name, draft.emergency.last_name or name,
                                           f"{EMERGENCY}, {relation}" if relation and relation.casefold() != EMERGENCY
                                           else EMERGENCY, draft.emergency.phone, draft.emergency.email))  # fmt: skip
        if guardians and not any(g.is_primary for g in guardians):
            guardians[0].is_primary = True  # someone is the one the desk calls first
        students = [st for st in draft.students if st.first_name.strip()]
        family_id = new_id()
        payload: dict[str, Any] = {"family_id": family_id, "name": name, "address": draft.address.strip(),
                                   "guardians": [], "students": [], "notes": []}  # fmt: skip
        for g in guardians:
            payload["guardians"].append({
                "contact_id": new_id(), "first_name": g.first_name.strip(), "last_name": g.last_name.strip() or name,
                "relation": g.relation.strip() or "guardian", "phone": _phone(g.phone, region), "email": g.email.strip(),
                "is_primary": g.is_primary,
            })  # fmt: skip
        primary = next((g for g in payload["guardians"] if g["is_primary"]), None)
        if primary is not None:  # the family's own phone and email are its primary guardian's (receipts go there)
            payload["phone"], payload["email"] = primary["phone"], primary["email"]
        for st in students:
            student_id = new_id()
            payload["students"].append({"student_id": student_id, "first_name": st.first_name.strip(),
                                        "last_name": st.last_name.strip() or name, "gender": st.gender.strip(),
                                        "birth_date": st.birth_date.isoformat() if st.birth_date else None})  # fmt: skip
            for kind, text in (("medical", st.medical), ("allergy", st.allergy)):
                if text.strip():
                    payload["notes"].append({"alert_id": new_id(), "student_id": student_id, "kind": kind, "text": text.strip()})
        if draft.note.strip():
            payload["notes"].append({"alert_id": new_id(), "kind": "note", "text": draft.note.strip()})
        await self.store.record(FAMILY_CREATE, payload)
        return family_id

    async def update(self, part: Part, record_id: str, changes: dict[str, Any], region: str) -> None:
        """Change these fields only (nothing when `changes` is empty)."""
        if not changes:
            return
        changes = dict(changes)
        if "phone" in changes:
            changes["phone"] = _phone(changes["phone"], region)
        if isinstance(changes.get("birth_date"), dt.date):
            changes["birth_date"] = changes["birth_date"].isoformat()
        follow = self._family_follows(record_id, changes) if part == "guardian" else None
        await self.store.record(_UPDATE[part], {"id": record_id, "changes": changes})
        if follow:  # the family's own phone and email (receipts, the kiosk) are its primary guardian's
            await self.store.record("family.update", {"id": follow[0], "changes": follow[1]})

    def _family_follows(self, contact_id: str, changes: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
        """The family's fields that were the primary guardian's and change with them (as one more edit)."""
        with db.read_session(self.store.cache.engine) as s:
            contact = s.get(Contact, contact_id)
            family = s.get(Family, contact.family_id) if contact is not None else None
            if contact is None or family is None or not contact.is_primary:
                return None
            same = {k: v for k, v in changes.items() if k in ("phone", "email") and getattr(family, k) == getattr(contact, k)}
        return (family.id, same) if same else None

    async def add_guardian(self, family_id: str, g: GuardianDraft, region: str) -> str:
        contact_id = new_id()
        await self.store.record(CONTACT_ADD, {
            "contact_id": contact_id, "family_id": family_id, "first_name": g.first_name.strip(),
            "last_name": g.last_name.strip(), "relation": g.relation.strip() or "guardian",
            "phone": _phone(g.phone, region), "email": g.email.strip(), "is_primary": g.is_primary,
        })  # fmt: skip
        return contact_id

    async def add_student(self, family_id: str, st: StudentDraft) -> str:
        student_id = new_id()
        await self.store.record(STUDENT_ADD, {
            "student_id": student_id, "family_id": family_id, "first_name": st.first_name.strip(),
            "last_name": st.last_name.strip(), "gender": st.gender.strip(),
            "birth_date": st.birth_date.isoformat() if st.birth_date else None,
        })  # fmt: skip
        return student_id

    async def add_note(self, family_id: str, kind: str, text: str, student_id: str | None = None) -> str:
        alert_id = new_id()
        owner = {"student_id": student_id} if student_id else {"family_id": family_id}
        await self.store.record(ALERT_ADD, {"alert_id": alert_id, "kind": kind, "text": text.strip(), **owner})
        return alert_id

    async def resolve_note(self, note_id: str, resolved: bool = True) -> None:
        await self.store.record("alert.update", {"id": note_id, "changes": {"active": not resolved}})

    async def set_active(self, student_id: str, active: bool) -> None:
        await self.store.record("student.update", {"id": student_id, "changes": {"active": active}})

    async def move_student(self, student_id: str, family_id: str) -> None:
        with db.read_session(self.store.cache.engine) as s:
            student = s.get(Student, student_id)
            here = student.family_id if student is not None else None
        await self.store.record(STUDENT_MOVE, {"student_id": student_id, "family_id": family_id, "from_family_id": here})


def _phone(value: str, region: str) -> str:
    """E.164 from what was typed, read as a number of the desk's country; words when it is not one."""
    try:
        return clean_phone(value, region)
    except ValueError as exc:
        raise RejectedError(f"{exc} Nothing was saved.", code="invalid") from None
