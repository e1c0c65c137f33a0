"""Everything an account holds, as tables a spreadsheet opens: the business's data is theirs to take.

    roster        one row per student with the family's guardians, notes, classes and balance: the
                  shape the import reads (server.importing.fields.ROSTER_COLUMNS), so it imports back
    families, guardians, students, enrollments, attendance, ledger, receipts
                  every record in full, with our ids, for the records and for other software

The ledger re-imports as each family's balance (an opening balance), and attendance is history:
the other tables are for reading. Files are written by server.export_files (CSV or XLSX, cells
that a spreadsheet would run escaped).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlmodel import Session

from server.importing.existing import class_label
from server.importing.fields import ROSTER_COLUMNS
from sync.core.schema import (
    Alert, Attendance, ClassSchedule, ClassSession, Contact, Enrollment, Family, LedgerEntry, Location, Staff, Student,
)


@dataclass(frozen=True)
class Money:
    """Cents, written as 45.50 (a number in XLSX); never a float."""

    cents: int

    def text(self) -> str:
        sign = "-" if self.cents < 0 else ""
        return f"{sign}{abs(self.cents) // 100}.{abs(self.cents) % 100:02d}"


@dataclass
class ExportTable:
    name: str  # file name without extension, and the sheet's name
    headers: list[str]
    rows: Iterator[list]  # cells: str, int, Money, dt.date, dt.datetime, bool or None


TABLE_NAMES = ("roster", "families", "guardians", "students", "enrollments", "attendance", "ledger", "receipts")


def export_tables(db: Session) -> list[ExportTable]:
    """The account's tables, read as they are written (the session must stay open meanwhile)."""
    ctx = _Context(db)
    return [
        ExportTable("roster", list(ROSTER_COLUMNS.values()), _roster(ctx)),
        ExportTable("families", ["Family ID", "Family name", "Email", "Phone", "Address", "Balance"], _families(ctx)),
        ExportTable("guardians", ["Guardian ID", "Family ID", "Family name", "First name", "Last name", "Relation", "Email",
                                  "Phone", "Primary"], _guardians(ctx)),  # fmt: skip
        ExportTable("students", ["Student ID", "Family ID", "Family name", "First name", "Last name", "Birth date", "Gender",
                                 "Active", "Medical notes", "Allergies", "Classes"], _students(ctx)),  # fmt: skip
        ExportTable("enrollments", ["Enrollment ID", "Student ID", "Student", "Family name", "Class", "Start date", "End date"],
                    _enrollments(ctx)),  # fmt: skip
        ExportTable("attendance", ["Date", "Class", "Location", "Student ID", "Student", "Status", "Marked at (UTC)"],
                    _attendance(ctx)),  # fmt: skip
        ExportTable("ledger", ["Entry ID", "Family ID", "Family name", "Date", "Made at (UTC)", "Kind", "Category", "Description",
                               "Amount", "Method", "Receipt number", "Check number", "Card", "Corrects entry", "Reason",
                               "Location", "Staff"], _ledger(ctx)),  # fmt: skip
        ExportTable("receipts", ["Receipt number", "Date", "Family name", "Kind", "Method", "Amount", "Card", "Check number",
                                 "Entry ID"], _receipts(ctx)),  # fmt: skip
    ]


class _Context:
    """What several tables look up: names of families, students and classes, notes, balances."""

    def __init__(self, db: Session):
        self.db = db
        self.families = {f.id: f for f in db.execute(select(Family).order_by(Family.name, Family.id)).scalars()}
        self.contacts: dict[str, list[Contact]] = defaultdict(list)
        for c in db.execute(select(Contact).order_by(Contact.is_primary.desc(), Contact.last_name, Contact.first_name, Contact.id)).scalars():  # type: ignore[attr-defined]
            self.contacts[c.family_id].append(c)
        self.students: dict[str, list[Student]] = defaultdict(list)
        self.student_names: dict[str, str] = {}
        for s in db.execute(select(Student).order_by(Student.last_name, Student.first_name, Student.id)).scalars():
            self.students[s.family_id].append(s)
            self.student_names[s.id] = f"{s.first_name} {s.last_name}"
        codes = dict(db.execute(select(Location.id, Location.code)).all())
        self.location_codes = codes
        self.classes = {c.id: class_label(c.name, c.weekday, c.start_time, codes.get(c.location_id, ""))
                        for c in db.execute(select(ClassSchedule)).scalars()}  # fmt: skip
        self.notes: dict[tuple[str, str], list[str]] = defaultdict(list)
        for a in db.execute(select(Alert).where(Alert.active == True, Alert.student_id != None).order_by(Alert.id)).scalars():  # noqa: E711,E712
            self.notes[(a.student_id, a.kind)].append(a.text)  # type: ignore[index]
        self.classes_of: dict[str, list[str]] = defaultdict(list)
        for sid, cid in db.execute(select(Enrollment.student_id, Enrollment.schedule_id).where(Enrollment.end_date == None, Enrollment.status == "enrolled")  # noqa: E711
                                   .order_by(Enrollment.start_date, Enrollment.id)):  # fmt: skip
            if cid in self.classes:
                self.classes_of[sid].append(self.classes[cid])
        self.balances = dict(db.execute(select(LedgerEntry.family_id, func.sum(LedgerEntry.amount_cents)).group_by(LedgerEntry.family_id)).all())

    def balance(self, family_id: str) -> Money:
        return Money(int(self.balances.get(family_id) or 0))

    def joined(self, student_id: str, kind: str) -> str:
        return "; ".join(self.notes.get((student_id, kind), []))


def _guardian_cells(c: Contact | None) -> list:
    return [c.first_name, c.last_name, c.email, c.phone] if c is not None else ["", "", "", ""]


def _roster(ctx: _Context) -> Iterator[list]:
    for fid, fam in ctx.families.items():
        guardians, students = ctx.contacts.get(fid, []), ctx.students.get(fid, [])
        g1 = guardians[0] if guardians else None
        g2 = guardians[1] if len(guardians) > 1 else None
        first = _guardian_cells(g1)
        if g1 is None and fam.email:
            first[2] = fam.email  # an email with no guardian: the family's own, and it reads back so
        base = [fid, fam.name, *first, *_guardian_cells(g2), fam.phone, fam.address]
        balance = ctx.balance(fid)
        for s in students or [None]:
            if s is None:
                yield [*base, "", "", "", None, "", "", "", "", balance]
                continue
            yield [*base, s.id, s.first_name, s.last_name, s.birth_date, s.gender, ctx.joined(s.id, "medical"),
                   ctx.joined(s.id, "allergy"), "; ".join(ctx.classes_of.get(s.id, [])), balance]  # fmt: skip
        for extra in guardians[2:]:  # a third guardian and more: a row each, in the same family
            yield [fid, fam.name, *_guardian_cells(extra), *_guardian_cells(None), fam.phone, fam.address,
                   "", "", "", None, "", "", "", "", balance]  # fmt: skip


def _families(ctx: _Context) -> Iterator[list]:
    for fid, f in ctx.families.items():
        yield [fid, f.name, f.email, f.phone, f.address, ctx.balance(fid)]


def _guardians(ctx: _Context) -> Iterator[list]:
    for fid, f in ctx.families.items():
        for c in ctx.contacts.get(fid, []):
            yield [c.id, fid, f.name, c.first_name, c.last_name, c.relation, c.email, c.phone, "Yes" if c.is_primary else "No"]


def _students(ctx: _Context) -> Iterator[list]:
    for fid, f in ctx.families.items():
        for s in ctx.students.get(fid, []):
            yield [s.id, fid, f.name, s.first_name, s.last_name, s.birth_date, s.gender, "Yes" if s.active else "No",
                   ctx.joined(s.id, "medical"), ctx.joined(s.id, "allergy"), "; ".join(ctx.classes_of.get(s.id, []))]  # fmt: skip


def _family_name_of_student(ctx: _Context) -> dict[str, str]:
    return {s.id: ctx.families[fid].name for fid, ss in ctx.students.items() if fid in ctx.families for s in ss}


def _enrollments(ctx: _Context) -> Iterator[list]:
    family_of = _family_name_of_student(ctx)
    for e in ctx.db.execute(select(Enrollment).order_by(Enrollment.start_date, Enrollment.id)).scalars():
        yield [e.id, e.student_id, ctx.student_names.get(e.student_id, ""), family_of.get(e.student_id, ""),
               ctx.classes.get(e.schedule_id, ""), e.start_date, e.end_date]  # fmt: skip


def _attendance(ctx: _Context) -> Iterator[list]:
    q = (select(ClassSession.date, ClassSession.schedule_id, ClassSession.location_id, Attendance.student_id, Attendance.status,
                Attendance.marked_at)
         .join(ClassSession, ClassSession.id == Attendance.session_id)
         .order_by(ClassSession.date, ClassSession.starts_at, Attendance.student_id))  # fmt: skip
    for day, schedule_id, location_id, student_id, status, marked_at in ctx.db.execute(q).yield_per(5000):
        yield [day, ctx.classes.get(schedule_id, ""), ctx.location_codes.get(location_id, ""), student_id,
               ctx.student_names.get(student_id, ""), status, marked_at]  # fmt: skip


def _ledger(ctx: _Context) -> Iterator[list]:
    staff = dict(ctx.db.execute(select(Staff.id, Staff.display_name)).all())
    q = select(LedgerEntry).order_by(LedgerEntry.usn, LedgerEntry.id)
    for e in ctx.db.execute(q.execution_options(yield_per=5000)).scalars():
        fam = ctx.families.get(e.family_id)
        card = f"{e.card_brand} ····{e.card_last4}" if e.card_last4 else ""  # brand and last four only, ever
        yield [e.id, e.family_id, fam.name if fam else "", e.business_date, e.made_at, e.kind, e.category, e.description,
               Money(e.amount_cents), e.method, e.receipt_no or "", e.check_number, card, e.corrects_id or "", e.reason,
               ctx.location_codes.get(e.location_id, ""), staff.get(e.staff_id, "")]  # fmt: skip


def _receipts(ctx: _Context) -> Iterator[list]:
    q = select(LedgerEntry).where(LedgerEntry.receipt_no != None).order_by(LedgerEntry.business_date, LedgerEntry.receipt_no)  # noqa: E711
    for e in ctx.db.execute(q).scalars():
        fam = ctx.families.get(e.family_id)
        card = f"{e.card_brand} ····{e.card_last4}" if e.card_last4 else ""
        # What the family paid (a payment) or got back (a refund), as a positive amount.
        yield [e.receipt_no, e.business_date, fam.name if fam else "", e.kind, e.method, Money(abs(e.amount_cents)), card,
               e.check_number, e.id]  # fmt: skip


def today_stamp() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
