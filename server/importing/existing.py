"""What the account already holds, indexed the ways an imported row is matched against it.

Read as plain columns (no ORM objects), so an account of tens of thousands of students loads in
well under a second. Keys are casefolded: "SMITH" in a file is the Smith family on file.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlmodel import Session

from sync.core.schema import Alert, ClassSchedule, Contact, Enrollment, Family, LedgerEntry, Location, Student

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def class_label(name: str, weekday: int, start: dt.time, location_code: str) -> str:
    """How the export names a class, one label per weekly class: "Level 2 Tumbling · Mon 4:00 PM · DT"."""
    hour = start.hour % 12 or 12
    clock = f"{hour}:{start.minute:02d} {'AM' if start.hour < 12 else 'PM'}"
    return " · ".join(p for p in (name, f"{WEEKDAYS[weekday]} {clock}", location_code) if p)


def key(text: str) -> str:
    folded = text.casefold()
    if "  " in folded or folded[:1].isspace() or folded[-1:].isspace() or "\n" in folded or "\t" in folded:
        return " ".join(folded.split())
    return folded  # already one-spaced: the usual case (cells are cleaned first), and a quick one


def digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())[-10:]


@dataclass
class StudentOnFile:
    id: str
    family_id: str
    first: str
    last: str
    birth_date: dt.date | None


@dataclass
class Existing:
    family_names: dict[str, str] = field(default_factory=dict)  # id -> name
    by_email: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    by_guardian: dict[tuple[str, str], set[tuple[str, str]]] = field(default_factory=lambda: defaultdict(set))  # -> (family, email)
    by_name: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    by_phone: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    by_address: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    contacts_of: dict[str, list[tuple[str, str, str]]] = field(default_factory=lambda: defaultdict(list))  # first, last, email
    students_of: dict[str, list[StudentOnFile]] = field(default_factory=lambda: defaultdict(list))
    students: dict[str, StudentOnFile] = field(default_factory=dict)
    classes_by_label: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    classes_by_name: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    enrolled: set[tuple[str, str]] = field(default_factory=set)  # (student, class) still enrolled
    alerts: set[tuple[str, str, str]] = field(default_factory=set)  # (student or "family:<id>", kind, text) active
    balances: dict[str, int] = field(default_factory=dict)  # family -> balance, for families with ledger entries
    locations: dict[str, str] = field(default_factory=dict)  # id -> time zone


def load_existing(db: Session) -> Existing:
    ex = Existing()
    for fid, name, mail, tel, address in db.execute(select(Family.id, Family.name, Family.email, Family.phone, Family.address)):
        ex.family_names[fid] = name
        ex.by_name[key(name)].add(fid)
        if mail:
            ex.by_email[key(mail)].add(fid)
        if digits(tel):
            ex.by_phone[digits(tel)].add(fid)
        if address:
            ex.by_address[key(address)].add(fid)
    for fid, first, last, mail, tel in db.execute(select(Contact.family_id, Contact.first_name, Contact.last_name, Contact.email, Contact.phone)):
        ex.contacts_of[fid].append((key(first), key(last), key(mail)))
        ex.by_guardian[(key(first), key(last))].add((fid, key(mail)))
        if mail:
            ex.by_email[key(mail)].add(fid)
        if digits(tel):
            ex.by_phone[digits(tel)].add(fid)
    for sid, fid, first, last, birth in db.execute(select(Student.id, Student.family_id, Student.first_name, Student.last_name, Student.birth_date)):
        s = StudentOnFile(sid, fid, first, last, birth)
        ex.students[sid] = s
        ex.students_of[fid].append(s)
    codes = dict(db.execute(select(Location.id, Location.code)).all())
    ex.locations = dict(db.execute(select(Location.id, Location.timezone)).all())
    rows = db.execute(select(ClassSchedule.id, ClassSchedule.name, ClassSchedule.weekday, ClassSchedule.start_time,
                             ClassSchedule.location_id).where(ClassSchedule.active == True))  # noqa: E712  # fmt: skip
    for cid, name, weekday, start, loc in rows:
        ex.classes_by_label[key(class_label(name, weekday, start, codes.get(loc, "")))].append(cid)
        ex.classes_by_name[key(name)].append(cid)
    ex.enrolled = set(db.execute(select(Enrollment.student_id, Enrollment.schedule_id).where(Enrollment.end_date == None)).all())  # noqa: E711
    ex.alerts = {(sid or f"family:{fid}", kind, key(text)) for sid, fid, kind, text in
                 db.execute(select(Alert.student_id, Alert.family_id, Alert.kind, Alert.text).where(Alert.active == True))}  # noqa: E712  # fmt: skip
    ex.balances = dict(db.execute(select(LedgerEntry.family_id, func.sum(LedgerEntry.amount_cents)).group_by(LedgerEntry.family_id)).all())
    return ex
