"""Each column of the file as the import will read it, in a front-desk person's words, with three values it holds.

The preview shows these beside the counts, so that "Account Credit" read as money owed, or a
birth date read day first, is seen before anything is written.
"""

from __future__ import annotations

from server.importing.fields import FIELDS
from server.importing.reading import Table
from sync.core.wire_imports import ImportColumn

SAMPLES = 3
_SAMPLE_SCAN = 500  # rows looked at for samples: enough to find three values in a sparse column

_WORDS = {
    "family_id": "The family's number in the previous software: rows with the same number are one family",
    "family_name": "The family's name",
    "student_id": "The student's number in the previous software",
    "birth_date": "The student's birth date",
    "gender": "The student's gender",
    "medical_notes": "A medical alert on the student, kept whole; “None”, “N/A” and the like make no alert",
    "allergies": "An allergy alert on the student, kept whole; “None”, “N/A” and the like make no alert",
    "notes": "A note on the student (or the family), kept whole; “None”, “N/A” and the like make none",
    "class_name": "Classes the student is in, matched to the classes set up here (several separated by ;)",
    "address": "The family's street address",
    "home_phone": "The family's home phone",
    "person_id": "Each person's number, so that others can name them as their parent",
    "parent_link": "Each person's parent or household: children with the same one are one family",
    "person_kind": "Whether the person is an adult (a guardian) or a child (a student)",
    "person_first_name": "Each person's first name (a guardian's or a student's, as the file says)",
    "person_last_name": "Each person's last name",
    "person_name": "Each person's full name",
    "person_email": "Each adult's email",
    "person_phone": "Each adult's phone",
}


def describe_columns(table: Table, mapping: dict[str, str], *, money_reads: str, balance_per: str, date_order: str = "mdy",
                     people_list: bool = False) -> list[ImportColumn]:  # fmt: skip
    field_of = {h: f for f, h in mapping.items()}
    out = []
    for i, header in enumerate(table.headers):
        field = field_of.get(header)
        out.append(ImportColumn(header=header, field=field, reads_as=_words(field, money_reads, balance_per, date_order, people_list),
                                samples=_samples(table, i)))  # fmt: skip
    return out


def _words(field: str | None, money_reads: str, balance_per: str, date_order: str, people_list: bool) -> str:
    if field is None:
        return "Not imported"
    if field == "balance":
        how = ("Money the business owes the family: a credit on their account (a positive amount is a credit)"
               if money_reads == "credit" else "Money the family owes: a charge on their account (a negative amount is a credit)")  # fmt: skip
        per = "each person's own, added up per family" if balance_per == "person" else "one per family"
        return f"{how}; {per}"
    if field == "birth_date":
        order = "day first (3/5/2015 is 3 May 2015)" if date_order == "dmy" else "month first (3/5/2015 is March 5, 2015)"
        return f"The student's birth date, read {order}"
    if field.startswith(("guardian_", "guardian2_")):
        return FIELDS[field].replace("Guardian", "The first guardian's").replace("Second guardian", "The second guardian's")
    if field.startswith("student_"):
        return _WORDS.get(field) or FIELDS[field].replace("Student", "The student's")
    return _WORDS.get(field) or FIELDS.get(field, field)


def _samples(table: Table, index: int) -> list[str]:
    seen: list[str] = []
    for row in table.rows[:_SAMPLE_SCAN]:
        value = " ".join(row[index].split())
        if value and value not in seen:
            seen.append(value[:60])
            if len(seen) == SAMPLES:
                break
    return seen
