"""One row of the file, read through the mapping (and the person's fixes), as clean values and problems.

A problem is an error (the row cannot be imported as it is: fix it or skip it) or a warning
(the row is imported, the part named is left out). A value that cannot be read (an email, a date,
an amount) is a warning unless the person asked to stop on bad values: one bad cell does not hold
up a whole file. Row numbers are the ones a spreadsheet shows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

from server.importing import values as v
from server.importing.reading import Table

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    row: int
    field: str | None
    code: str
    message: str
    severity: Severity = "error"
    value: str = ""


@dataclass
class Guardian:
    first: str
    last: str
    email: str = ""
    phone: str = ""


@dataclass
class RowData:
    number: int
    family_ref: str = ""  # the family's id in the file (previous software's, or ours from an export)
    family_name: str = ""
    guardians: list[Guardian] = field(default_factory=list)
    email: str = ""  # an email or phone with no guardian name: the family's own
    phone: str = ""
    home_phone: str = ""
    address: str = ""
    student_ref: str = ""
    student_first: str = ""
    student_last: str = ""
    birth_date: dt.date | None = None
    gender: str = ""
    medical: list[str] = field(default_factory=list)  # one medical note each (a cell is one note, kept whole)
    allergies: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    classes: list[str] = field(default_factory=list)
    balance_cents: int | None = None  # None: the file says nothing of this family's balance
    problems: list[Problem] = field(default_factory=list)
    signature: tuple = ()  # what the row says, to tell a repeated row (server.importing.plan)
    person_key: str = ""  # a people list: whose row this is, so a balance per person counts once

    @property
    def has_student(self) -> bool:
        return bool(self.student_first or self.student_last)

    @property
    def ok(self) -> bool:
        return not self.problems or not any(p.severity == "error" for p in self.problems)


def read_rows(
    table: Table,
    mapping: dict[str, str],
    *,
    date_order: v.DateOrder,
    fixes: dict[int, dict[str, str]] | None = None,
    skips: set[int] | frozenset[int] = frozenset(),
    today: dt.date | None = None,
    reading: Reading | None = None,
) -> Iterator[RowData]:
    """Every row not skipped, cleaned; a fix replaces what the file holds for that field of that row."""
    fixes = fixes or {}
    today = today or dt.date.today()
    reading = reading or Reading()
    for number, raw in raw_rows(table, mapping, fixes=fixes, skips=skips):
        row = read_row(number, raw, date_order=date_order, today=today, reading=reading)
        if number in table.too_long and number not in fixes:
            row.problems.insert(0, Problem(number, None, "too_many_cells",
                f"This row has {table.too_long[number]} cells but the file has {len(table.headers)} columns: "
                "a value may hold the separator without quotes around it."))  # fmt: skip
        yield row


def raw_rows(table: Table, mapping: dict[str, str], *, fixes: dict[int, dict[str, str]],
             skips: set[int] | frozenset[int]) -> Iterator[tuple[int, dict[str, str]]]:  # fmt: skip
    """(row number, {field: cell}) of every row not skipped, the person's fixes applied."""
    columns = {f: table.headers.index(h) for f, h in mapping.items() if h in table.headers}
    for number, cells in zip(table.row_numbers, table.rows, strict=True):
        if number in skips:
            continue
        raw = {f: cells[i] for f, i in columns.items()}
        raw.update(fixes.get(number, {}))
        yield number, raw


@dataclass(frozen=True)
class Reading:
    """How cells are read, as the person chose in the preview (server.importing.preview decides "auto")."""

    leave_out_bad: bool = True  # a value that cannot be read is left out with a warning (else: an error)
    credit: bool = False  # the money column holds what the business owes ("Account Credit"): sign turned


def read_row(number: int, raw: dict[str, str], *, date_order: v.DateOrder, today: dt.date,
             reading: Reading = Reading()) -> RowData:  # noqa: B008 - frozen  # fmt: skip
    row = RowData(number)
    problems = row.problems

    def clean(field_name: str, fn, default=""):  # noqa: ANN001, ANN202
        value = raw.get(field_name, "")
        if not value:
            return default  # most cells of most files: nothing to clean
        try:
            return fn(value)
        except v.Bad as bad:
            severity: Severity = "warning" if reading.leave_out_bad or bad.code == "bad_phone" else "error"
            problems.append(Problem(number, field_name, bad.code, bad.message + (" It is left out." if severity == "warning" else ""),
                                    severity, value))  # fmt: skip
            return default


    row.family_ref = clean("family_id", lambda s: v.text(s, 64))
    row.family_name = clean("family_name", v.name)
    row.home_phone = clean("home_phone", v.phone)
    row.address = _address([clean(f, v.text) for f in ("address", "city", "state", "postal_code")])
    for prefix in ("guardian", "guardian2"):
        first, last = clean(f"{prefix}_first_name", v.name), clean(f"{prefix}_last_name", v.name)
        if not (first or last) and raw.get(f"{prefix}_name", "").strip():
            first, last = clean(f"{prefix}_name", v.split_full_name, ("", ""))
        mail, tel = clean(f"{prefix}_email", v.email), clean(f"{prefix}_phone", v.phone)
        if first:
            row.guardians.append(Guardian(first, last, mail, tel))
        elif last or mail or tel:
            if last and not row.family_name:
                row.family_name = last
            row.email, row.phone = row.email or mail, row.phone or tel  # no name to make a guardian of
    row.student_ref = clean("student_id", lambda s: v.text(s, 64))
    row.student_first, row.student_last = clean("student_first_name", v.name), clean("student_last_name", v.name)
    if not (row.student_first or row.student_last) and raw.get("student_name", "").strip():
        row.student_first, row.student_last = clean("student_name", v.split_full_name, ("", ""))
    row.birth_date = clean("birth_date", lambda s: v.date(s, date_order, today=today), None)
    row.gender = clean("gender", v.gender)
    for field_name, attr in _NOTES:
        if raw.get(field_name):  # most cells are empty: no call for them
            text = clean(field_name, v.note)
            if text:
                setattr(row, attr, [text])
    row.classes = clean("class_name", v.many, [])
    if raw.get("balance", "").strip():
        row.balance_cents = clean("balance", v.balance, None)
        if reading.credit and row.balance_cents:
            row.balance_cents = -row.balance_cents

    row.family_name = row.family_name or next((g.last for g in row.guardians if g.last), "") or row.student_last
    for g in row.guardians:
        g.last = g.last or row.family_name
    if row.has_student:
        row.student_last = row.student_last or row.family_name
    _check_names(row)
    return row


_NOTES = (("medical_notes", "medical"), ("allergies", "allergies"), ("notes", "notes"))


def _check_names(row: RowData) -> None:
    where = row.number
    if not row.family_name:
        row.problems.append(Problem(where, "family_name", "missing_name",
                                    "This row has no family name, and no guardian or student last name to take it from."))
    if row.has_student and not row.student_first:
        row.problems.append(Problem(where, "student_first_name", "missing_name", "The student has no first name."))
    if not row.has_student and not row.guardians and not row.family_ref and not (row.email or row.phone or row.address):
        if row.family_name and row.balance_cents is None:
            row.problems.append(Problem(where, None, "missing_name", "This row names a family but no guardian or student."))
    if row.has_student is False and (row.birth_date or row.medical or row.allergies or row.classes):
        row.problems.append(Problem(where, "student_first_name", "missing_name",
                                    "This row has a birth date, note or class but no student name."))


def _address(parts: list[str]) -> str:
    street, city, state, postal = parts
    tail = " ".join(p for p in (state, postal) if p)
    return ", ".join(p for p in (street, city, tail) if p)
