"""A people list: one row per person, children linked to a parent or a household, read as families.

Mindbody, Pike13 and Odoo export their contacts this way: adults and children are rows of their
own, and a column links a child to a parent (the parent's ID or name: "Related Client ID",
"Parent ID") or to a household ("Related Company" in Odoo, where the household is a row itself
marked as a company). This module turns such a table into the rows the rest of the import reads
(server.importing.rows), one family per parent-and-children or per household:

- a row others link to is a guardian; a row linked to a parent is a child (a student), unless
  its birth date makes it an adult (a partner linked to the account holder);
- a row linked to a household, or linked to nobody, is a student when a type column says so or
  its birth date is under 18 years before `today`, a guardian otherwise: an adult without
  children is a guardian with a family of their own, never a student;
- a household row (Odoo's company) gives the family its name, address and balance.

Each person's balance is their own ("Account Balance" per client): the plan adds them up per
family (server.importing.plan, balance_per "person").
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator

from server.importing import values as v
from server.importing.existing import key
from server.importing.fields import words_of
from server.importing.reading import Table
from server.importing.rows import Reading, RowData, raw_rows, read_row

ADULT_AGE = 18
_CHILD_WORDS = {"child", "children", "dependent", "dependant", "minor", "student", "kid", "son", "daughter", "junior", "youth"}
_ADULT_WORDS = {"adult", "parent", "guardian", "mother", "father", "self", "primary", "holder", "payer", "spouse", "partner"}
_HOUSEHOLD_WORDS = {"company", "household", "family", "organisation", "organization"}
_YES = {"yes", "y", "true", "1", "x"}
_NO = {"no", "n", "false", "0"}
_FAMILY_FIELDS = ("address", "city", "state", "postal_code", "home_phone", "balance", "notes")
_STUDENT_FIELDS = ("birth_date", "gender", "medical_notes", "allergies", "class_name")
# The field a person's value is read as, guardian or student, and back (a problem names the column of the file).
_AS_GUARDIAN = {"person_first_name": "guardian_first_name", "person_last_name": "guardian_last_name",
                "person_name": "guardian_name", "person_email": "guardian_email", "person_phone": "guardian_phone"}  # fmt: skip
_AS_STUDENT = {"person_first_name": "student_first_name", "person_last_name": "student_last_name", "person_name": "student_name"}
_BACK = {**{g: p for p, g in _AS_GUARDIAN.items()}, **{s: p for p, s in _AS_STUDENT.items()}}


def is_people_list(mapping: dict[str, str]) -> bool:
    return any(f.startswith(("person_", "parent_link")) for f in mapping)


@dataclasses.dataclass
class _Person:
    number: int
    raw: dict[str, str]
    first: str
    last: str
    kind: str  # "child", "adult", "household" or "" (the file does not say)
    birth: dt.date | None
    parent: int | None = None  # the row number of the parent this row links to
    household: str = ""  # the household this row links to, when it is not a row of the file

    def is_child(self, today: dt.date) -> bool | None:
        if self.kind in ("child", "adult"):
            return self.kind == "child"
        if self.birth is None:
            return None
        return _years(self.birth, today) < ADULT_AGE


def read_people(table: Table, mapping: dict[str, str], *, date_order: v.DateOrder, today: dt.date,
                fixes: dict[int, dict[str, str]] | None = None, skips: set[int] | frozenset[int] = frozenset(),
                reading: Reading | None = None) -> Iterator[RowData]:  # fmt: skip
    """The people of the file as rows of families (see the module's words)."""
    reading = reading or Reading()
    kind_words = set(words_of(mapping.get("person_kind", "")))
    people = [_person(n, raw, kind_words, date_order, today) for n, raw in raw_rows(table, mapping, fixes=fixes or {}, skips=skips)]
    by_id: dict[str, int] = {}
    by_name: dict[str, list[int]] = {}
    for p in people:
        pid = key(p.raw.get("person_id", "").strip())
        if pid:
            by_id.setdefault(pid, p.number)
        for name in _names(p):
            by_name.setdefault(name, []).append(p.number)
    rows = {p.number: p for p in people}
    for p in people:
        link = key(" ".join(_link_text(p).split()))
        if not link:
            continue
        target = by_id.get(link)
        if target is None and len(by_name.get(link, ())) == 1:
            target = by_name[link][0]
        if target is not None and target != p.number:
            p.parent = target
        else:
            p.household = link
    parents = {p.parent for p in people if p.parent is not None}
    for p in people:  # "Garcia Household" that others name, with no type column to say so: a household row
        if not p.kind and p.number in parents and p.birth is None and _household_name(p) != _name_text(p):
            p.kind = "household"
    for p in people:
        root = _root(p, rows)
        household_row = root if root.kind == "household" else None
        if household_row is not None:
            ref, family = f"row {root.number}", _household_name(root)
        elif root.household:
            ref, family = f"household {root.household}"[:64], _household_name_of(root)
        else:
            ref, family = f"row {root.number}", root.last or p.last
        if p.kind == "household":
            yield _row(p, {}, ref, family, date_order, today, reading)
            continue
        child = p.is_child(today)
        if p.number in parents or child is False or (child is None and (p.parent is None or p.kind == "adult")):
            as_field = _AS_GUARDIAN  # a parent, an adult, or a person the file says nothing more of
        else:
            as_field = _AS_STUDENT
        yield _row(p, as_field, ref, family, date_order, today, reading)


def _person(number: int, raw: dict[str, str], kind_words: set[str], order: v.DateOrder, today: dt.date) -> _Person:
    first, last = raw.get("person_first_name", "").strip(), raw.get("person_last_name", "").strip()
    if not (first or last) and raw.get("person_name", "").strip():
        try:
            first, last = v.split_full_name(raw["person_name"])
        except v.Bad:
            pass
    try:
        birth = v.date(raw.get("birth_date", ""), order, today=today)
    except v.Bad:
        birth = None  # read_row lists it
    return _Person(number, raw, first, last, _kind(raw.get("person_kind", ""), kind_words), birth)


def _kind(value: str, header_words: set[str]) -> str:
    """What a type column says: "Child", "Dependent", "Adult"; a yes/no column says it by its header
    ("Is a Company": a household row; "Dependent": a child)."""
    words = set(words_of(value))
    if words & _YES and words <= _YES | {"a"}:
        if header_words & _HOUSEHOLD_WORDS:
            return "household"
        return "child" if header_words & _CHILD_WORDS else ""
    if words and words <= _NO:
        return "adult" if header_words & _CHILD_WORDS else ""
    if words & _HOUSEHOLD_WORDS and not words & (_CHILD_WORDS | _ADULT_WORDS):
        return "household"
    if words & _CHILD_WORDS:
        return "child"
    return "adult" if words & _ADULT_WORDS else ""


def _names(p: _Person) -> list[str]:
    if not (p.first or p.last):
        name = key(" ".join(p.raw.get("person_name", "").split()))
        return [name] if name else []
    return [key(f"{p.first} {p.last}".strip()), key(f"{p.last}, {p.first}")]


def _root(p: _Person, rows: dict[int, _Person]) -> _Person:
    """The person (or household row) at the top of p's links; rows linked in a loop share the loop's first row."""
    path = [p.number]
    while p.parent is not None:
        if p.parent in path:
            loop = path[path.index(p.parent):]
            return rows[min(loop)]
        path.append(p.parent)
        p = rows[p.parent]
    return p


def _name_text(row: _Person) -> str:
    return " ".join((row.raw.get("person_name", "") or f"{row.first} {row.last}").split())


def _household_name(row: _Person) -> str:
    return _household_name_of_text(_name_text(row))


def _household_name_of(root: _Person) -> str:
    """A link to a household that is not a row: its words when it is a name ("Garcia Family"), else
    (a number such as "H-1042") the person's last name."""
    if root.raw.get("family_name", "").strip():
        return _household_name_of_text(" ".join(root.raw["family_name"].split()))  # the household's name, in a column of its own
    link = " ".join(_link_text(root).split())
    if root.last and (any(c.isdigit() for c in link) or " " not in link):
        return root.last
    return _household_name_of_text(link) or root.last


def _link_text(p: _Person) -> str:
    """Whom a row names: its parent or household, or the household number column ("Household ID")."""
    return p.raw.get("parent_link", "").strip() or p.raw.get("family_id", "").strip()


def _household_name_of_text(text: str) -> str:
    """"The Garcia Family" and "Garcia Household" are the Garcia family."""
    words = text.split()
    if words and words[0].casefold() == "the":
        words = words[1:]
    if len(words) > 1 and words[-1].casefold() in ("family", "household"):
        words = words[:-1]
    return " ".join(words)


def _row(p: _Person, as_field: dict[str, str], ref: str, family: str, order: v.DateOrder, today: dt.date,
         reading: Reading) -> RowData:  # fmt: skip
    raw = {f: p.raw[f] for f in _FAMILY_FIELDS if f in p.raw}
    if as_field is _AS_STUDENT:
        raw.update({f: p.raw[f] for f in _STUDENT_FIELDS if f in p.raw})
    for person_field, field in as_field.items():
        if person_field in p.raw:
            raw[field] = p.raw[person_field]
    if not as_field:  # a household row: its name is the family's, its email and phone the family's
        raw["guardian_email"], raw["guardian_phone"] = p.raw.get("person_email", ""), p.raw.get("person_phone", "")
    raw["family_id"], raw["family_name"] = ref, family
    row = read_row(p.number, raw, date_order=order, today=today, reading=reading)
    row.person_key = f"row {p.number}"
    row.problems[:] = [dataclasses.replace(pr, field=_BACK.get(pr.field, pr.field)) if pr.field else pr for pr in row.problems]
    return row


def _years(born: dt.date, today: dt.date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))
