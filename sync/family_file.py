"""The family file as the desk edits it, and the likely duplicates of a family, from the cache.

Read-only and offline: every record with its id (the edit dialogs send only the fields that
changed, by id), resolved notes included. Ages are worked out on the day the caller gives (the
location's today from its clock), never on this computer's date.

Likely duplicates: another family with a guardian of the same phone (compared as E.164) or email,
or a child of the same name and birth date. Emergency contacts do not count: one grandmother is often
the emergency contact of several families. Shown before a new family is saved, and whenever a
family is opened, so two desks that added one family offline see both (nothing merges them).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, col, or_, select

from sync.core.contact_fields import phone_text, same_phone
from sync.core.family_mutations import EMERGENCY
from sync.queries import NotFound
from sync.core.schema import Alert, Contact, Family, Student
from sync.search import age_on


@dataclass(frozen=True)
class GuardianRecord:
    id: str
    first_name: str
    last_name: str
    relation: str
    phone: str  # as stored (E.164, or as typed before numbers were checked)
    email: str
    is_primary: bool
    pending: bool  # recorded here, not yet confirmed by the server

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def emergency(self) -> bool:
        return self.relation.casefold().startswith(EMERGENCY)


@dataclass(frozen=True)
class StudentRecord:
    id: str
    first_name: str
    last_name: str
    birth_date: dt.date | None
    gender: str
    active: bool
    age: int | None

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


@dataclass(frozen=True)
class NoteRecord:
    id: str
    kind: str  # sync.core.schema.ALERT_KINDS
    text: str
    active: bool  # False: resolved
    student_id: str | None
    about: str  # the student's first name, "" for the whole family


@dataclass(frozen=True)
class FamilyFile:
    id: str
    name: str
    email: str
    phone: str
    address: str
    guardians: tuple[GuardianRecord, ...]  # primary first
    students: tuple[StudentRecord, ...]  # active first
    notes: tuple[NoteRecord, ...]  # open first, newest first


@dataclass(frozen=True)
class ChildKey:
    first_name: str
    last_name: str
    birth_date: dt.date | None


@dataclass(frozen=True)
class DuplicateHit:
    family_id: str
    name: str  # "Okafor family"
    reasons: tuple[str, ...]  # "same phone (312) 555-0147 (Ngozi Okafor)", "same child Ada Okafor, born Apr 2, 2019"


def family_file(s: Session, family_id: str, today: dt.date) -> FamilyFile:
    family = s.get(Family, family_id)
    if family is None:
        raise NotFound(f"no family {family_id}")
    contacts = s.exec(select(Contact).where(Contact.family_id == family_id)).all()
    students = s.exec(select(Student).where(Student.family_id == family_id)).all()
    names = {st.id: st.first_name for st in students}
    alerts = s.exec(select(Alert).where(or_(Alert.family_id == family_id, col(Alert.student_id).in_(list(names))))).all()
    return FamilyFile(
        id=family.id, name=family.name, email=family.email, phone=family.phone, address=family.address,
        guardians=tuple(
            GuardianRecord(c.id, c.first_name, c.last_name, c.relation, c.phone, c.email, c.is_primary, c.usn is None)
            for c in sorted(contacts, key=lambda c: (not c.is_primary, c.relation.casefold().startswith(EMERGENCY),
                                                     c.first_name.casefold(), c.id))
        ),
        students=tuple(
            StudentRecord(st.id, st.first_name, st.last_name, st.birth_date, st.gender, st.active, age_on(st.birth_date, today))
            for st in sorted(students, key=lambda st: (not st.active, st.first_name.casefold(), st.id))
        ),
        notes=tuple(
            NoteRecord(a.id, a.kind, a.text, a.active, a.student_id, names.get(a.student_id or "", ""))
            for a in sorted(sorted(alerts, key=lambda a: a.id, reverse=True), key=lambda a: not a.active)
        ),
    )  # fmt: skip


def likely_duplicates(
    s: Session, phones: Iterable[str], emails: Iterable[str], children: Iterable[ChildKey], region: str,
    exclude: str | None = None,
) -> list[DuplicateHit]:  # fmt: skip
    """Families other than `exclude` sharing a guardian's phone or email, or a child (name and birth date)."""
    found: dict[str, list[str]] = {}

    def hit(family_id: str, reason: str) -> None:
        if family_id != exclude and reason not in found.setdefault(family_id, []):
            found[family_id].append(reason)

    for phone in {same_phone(p, region) for p in phones if p.strip()}:
        tail = "".join(ch for ch in phone if ch.isdigit())[-4:]
        rows = s.exec(select(Contact).where(col(Contact.phone).like(f"%{tail[:2]}%{tail[2:]}%"))).all()
        for c in rows:
            if same_phone(c.phone, region) == phone and not _emergency(c):
                hit(c.family_id, f"same phone {phone_text(phone, region)} ({c.first_name} {c.last_name})")
    for email in {e.strip().casefold() for e in emails if e.strip()}:
        for c in s.exec(select(Contact).where(func.lower(Contact.email) == email)).all():
            if not _emergency(c):
                hit(c.family_id, f"same email {c.email} ({c.first_name} {c.last_name})")
    for child in children:
        if child.birth_date is None or not child.first_name.strip() or not child.last_name.strip():
            continue
        rows = s.exec(select(Student).where(
            func.lower(Student.first_name) == child.first_name.strip().casefold(),
            func.lower(Student.last_name) == child.last_name.strip().casefold(),
            Student.birth_date == child.birth_date,
        )).all()  # fmt: skip
        for st in rows:
            hit(st.family_id, f"same child {st.first_name} {st.last_name}, born {child.birth_date:%b} "
                              f"{child.birth_date.day}, {child.birth_date.year}")  # fmt: skip
    hits = []
    for family_id, reasons in found.items():
        family = s.get(Family, family_id)
        if family is not None:
            hits.append(DuplicateHit(family_id, f"{family.name} family", tuple(reasons)))
    return sorted(hits, key=lambda h: (-len(h.reasons), h.name.casefold(), h.family_id))


def duplicates_of(s: Session, family_id: str, region: str) -> list[DuplicateHit]:
    """Other families that look like this one (on opening it: two desks may have added it offline)."""
    contacts = [c for c in s.exec(select(Contact).where(Contact.family_id == family_id)).all() if not _emergency(c)]
    students = s.exec(select(Student).where(Student.family_id == family_id)).all()
    return likely_duplicates(
        s, [c.phone for c in contacts], [c.email for c in contacts],
        [ChildKey(st.first_name, st.last_name, st.birth_date) for st in students], region, exclude=family_id,
    )  # fmt: skip


def _emergency(c: Contact) -> bool:
    return c.relation.casefold().startswith(EMERGENCY)


def change_summary(s: Session, type_: str, payload: dict) -> str | None:
    """A family-file change in words for the "needs attention" list (None: not one of these)."""

    def person(cls, record_id: object) -> str:
        row = s.get(cls, str(record_id or ""))
        return f"{row.first_name} {row.last_name}" if row is not None else "someone no longer on file"

    changed = ", ".join(k.replace("_", " ") for k in payload.get("changes", {})) if isinstance(payload.get("changes"), dict) else ""
    if type_ == "family.create":
        return f"New family: {payload.get('name', '')} ({len(payload.get('students', []))} children)"
    if type_ == "family.update":
        family = s.get(Family, str(payload.get("id", "")))
        return f"Change to the {family.name if family else 'removed'} family ({changed})"
    if type_ == "contact.add":
        return f"New guardian {payload.get('first_name', '')} {payload.get('last_name', '')}"
    if type_ == "contact.update":
        return f"Change to guardian {person(Contact, payload.get('id'))} ({changed})"
    if type_ == "student.add":
        return f"New student {payload.get('first_name', '')} {payload.get('last_name', '')}"
    if type_ == "student.update":
        return f"Change to student {person(Student, payload.get('id'))} ({changed})"
    if type_ == "student.move":
        return f"{person(Student, payload.get('student_id'))} moved to another family"
    if type_ in ("alert.add", "alert.update"):
        return "A note added" if type_ == "alert.add" else "A note changed"
    return None
