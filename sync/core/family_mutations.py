"""New families, students added to a family, and a student moved to another family.

A family from the phone call is one mutation, `family.create`, carrying the family, its guardians
(an emergency contact is a guardian whose relation says so), its students and their medical or
allergy notes, every id made at the desk: so it is saved in one step, offline too, and lands once
however often it is pushed. Two desks that add the same family offline make two families; nothing
here merges them (the desk's duplicate check shows them side by side: sync.family_file).

Each part is checked with the same rules as an edit (`edit_mutations.clean_changes`): names
present, a real email address, a phone kept as E.164.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from sync.core.edit_mutations import (
    Id,
    Name,
    NextUsn,
    account_region,
    clean_changes,
)
from sync.core.rejections import Rejected
from sync.core.schema import Alert, Contact, Family, Student, SyncedRecord

FAMILY_CREATE = "family.create"
STUDENT_ADD = "student.add"
STUDENT_MOVE = "student.move"
EMERGENCY = "emergency contact"  # the relation that marks a family's emergency contact
Kind = Literal["medical", "allergy", "waiver", "balance", "note"]


class _Payload(BaseModel):
    model_config = ConfigDict(extra="forbid")


class GuardianIn(_Payload):
    contact_id: Id
    first_name: Name
    last_name: Name
    relation: Annotated[str, Field(max_length=40)] = "guardian"
    email: Annotated[str, Field(max_length=254)] = ""
    phone: Annotated[str, Field(max_length=32)] = ""
    is_primary: bool = False


class StudentIn(_Payload):
    student_id: Id
    first_name: Name
    last_name: Name
    birth_date: dt.date | None = None
    gender: Annotated[str, Field(max_length=20)] = ""


class NoteIn(_Payload):
    alert_id: Id
    student_id: Id | None = None  # None: a note on the whole family
    kind: Kind
    text: Annotated[str, Field(min_length=1, max_length=500)]


class FamilyCreatePayload(_Payload):
    family_id: Id
    name: Name
    email: Annotated[str, Field(max_length=254)] = ""
    phone: Annotated[str, Field(max_length=32)] = ""
    address: Annotated[str, Field(max_length=300)] = ""
    guardians: list[GuardianIn] = Field(default_factory=list, max_length=8)
    students: list[StudentIn] = Field(default_factory=list, max_length=12)
    notes: list[NoteIn] = Field(default_factory=list, max_length=40)


class StudentAddPayload(StudentIn):
    family_id: Id


class StudentMovePayload(_Payload):
    student_id: Id
    family_id: Id  # the family the student moves to
    from_family_id: Id | None = None  # where the desk saw them: a refused move puts them back there


PAYLOADS: dict[str, type[BaseModel]] = {
    FAMILY_CREATE: FamilyCreatePayload,
    STUDENT_ADD: StudentAddPayload,
    STUDENT_MOVE: StudentMovePayload,
}


def apply_family(db: Session, mutation_type: str, payload: BaseModel, next_usn: NextUsn) -> list[SyncedRecord]:
    if isinstance(payload, FamilyCreatePayload):
        return _create(db, payload, next_usn)
    if isinstance(payload, StudentAddPayload):
        if db.get(Student, payload.student_id) is not None:
            return []  # pushed again: already on file
        if db.get(Family, payload.family_id) is None:
            raise Rejected("not_found", "This family is no longer on file; the student was not added.")
        row = _student(db, payload, payload.family_id, next_usn)
        db.add(row)
        return [row]
    if isinstance(payload, StudentMovePayload):
        student = db.get(Student, payload.student_id)
        if student is None:
            raise Rejected("not_found", "This student is no longer on file; nothing was moved.")
        if db.get(Family, payload.family_id) is None:
            raise Rejected("not_found", "That family is no longer on file; the student was not moved.")
        if student.family_id == payload.family_id:
            return []
        student.family_id = payload.family_id  # alerts and enrollments follow the student by its id
        student.usn = next_usn()
        db.add(student)
        return [student]
    raise AssertionError(mutation_type)


def _create(db: Session, p: FamilyCreatePayload, next_usn: NextUsn) -> list[SyncedRecord]:
    if db.get(Family, p.family_id) is not None:
        return []  # pushed again (or re-applied over a pull that brought it): it is on file once
    for cls, ids in ((Contact, [g.contact_id for g in p.guardians]), (Student, [s.student_id for s in p.students]),
                     (Alert, [n.alert_id for n in p.notes])):  # fmt: skip
        if len(set(ids)) != len(ids) or any(db.get(cls, i) is not None for i in ids):
            raise Rejected("invalid", "This new family reused an id already on file; it was not added.")
    region = account_region(db)
    fields = clean_changes(Family, {"name": p.name, "email": p.email, "phone": p.phone, "address": p.address}, region)
    family = Family(id=p.family_id, usn=next_usn(), **fields)
    written: list[SyncedRecord] = [family]
    for g in p.guardians:
        values = clean_changes(Contact, g.model_dump(exclude={"contact_id"}), region)
        written.append(Contact(id=g.contact_id, usn=next_usn(), family_id=family.id, **values))
    students = {s.student_id for s in p.students}
    written += [_student(db, s, family.id, next_usn) for s in p.students]
    for n in p.notes:
        if n.student_id is not None and n.student_id not in students:
            raise Rejected("invalid", "A note of this new family names a student who is not in it.")
        text = n.text.strip()
        if not text:
            continue
        written.append(Alert(id=n.alert_id, usn=next_usn(), family_id=None if n.student_id else family.id,
                             student_id=n.student_id, kind=n.kind, text=text))  # fmt: skip
    for row in written:
        db.add(row)
    return written


def _student(db: Session, s: StudentIn, family_id: str, next_usn: NextUsn) -> Student:
    values = clean_changes(Student, s.model_dump(include={"first_name", "last_name", "birth_date", "gender"}),
                           account_region(db))  # fmt: skip
    return Student(id=s.student_id, usn=next_usn(), family_id=family_id, **values)


def undo_local(db: Session, payload: BaseModel) -> None:
    """The server refused a new family or student: take back the rows it showed here (still unconfirmed)."""
    ids: list[tuple[type[SyncedRecord], str]] = []
    if isinstance(payload, FamilyCreatePayload):
        ids = [(Family, payload.family_id), *((Contact, g.contact_id) for g in payload.guardians),
               *((Student, s.student_id) for s in payload.students), *((Alert, n.alert_id) for n in payload.notes)]
    elif isinstance(payload, StudentAddPayload):
        ids = [(Student, payload.student_id)]
    elif isinstance(payload, StudentMovePayload) and payload.from_family_id is not None:
        student = db.get(Student, payload.student_id)
        if student is not None and student.usn is None and student.family_id == payload.family_id:
            student.family_id = payload.from_family_id  # the server never took the move: back where it was
            db.add(student)
    for cls, record_id in ids:
        row = db.get(cls, record_id)
        if row is not None and row.usn is None:
            db.delete(row)
