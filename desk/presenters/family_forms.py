"""The family file's forms, without widgets: a new family from the phone call, and the edit forms
of a family, a guardian, a student and a note.

Values are checked here as the front desk types them (a date as they write it, a phone with the
location's country, an email by the validator), so the dialog says what to fix next to the field;
the same rules run again in the appliers, at this desk and on the server. An edit sends only the
fields that changed: per-field last writer wins.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from desk.presenters.payment import FormProblem
from sync.core.contact_fields import clean_email, clean_phone, phone_text
from sync.family_desk import FamilyDesk, GuardianDraft, NewFamily, Part, StudentDraft
from sync.family_file import DuplicateHit, GuardianRecord, NoteRecord, StudentRecord

MAX_CHILDREN = 6
NOTE_KINDS = {"note": "Note", "medical": "Medical", "allergy": "Allergy", "waiver": "Waiver missing"}


def typed_date(text: str, region: str, today: dt.date, what: str = "birth date") -> dt.date | None:
    """A date as typed at the desk: 2019-04-02, or 4/2/2019 (month first in the US, day first elsewhere)."""
    text = text.strip()
    if not text:
        return None
    forms = ["%Y-%m-%d", "%m/%d/%Y", "%m/%d/%y"] if region in ("US", "CA", "PH") else ["%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y", "%d.%m.%Y"]
    for form in forms:
        try:
            day = dt.datetime.strptime(text, form).date()
        except ValueError:
            continue
        if day > today or day.year < today.year - 100:
            raise FormProblem(f"The {what} {text} is not a date that has been yet.", "date")
        return day
    example = "4/2/2019" if forms[1].startswith("%m") else "2/4/2019"
    raise FormProblem(f"“{text}” is not a date: type it like {example} or 2019-04-02.", "date")


def date_text(day: dt.date | None, region: str) -> str:
    if day is None:
        return ""
    return f"{day.month}/{day.day}/{day.year}" if region in ("US", "CA", "PH") else f"{day.day}/{day.month}/{day.year}"


def checked_phone(text: str, region: str, field: str) -> str:
    try:
        return clean_phone(text, region)
    except ValueError as exc:
        raise FormProblem(str(exc), field) from None


def checked_email(text: str, field: str) -> str:
    try:
        return clean_email(text)
    except ValueError as exc:
        raise FormProblem(str(exc), field) from None


@dataclass
class GuardianRow:
    """What one guardian block of the new-family form holds, as typed."""

    first_name: str = ""
    last_name: str = ""
    relation: str = ""
    phone: str = ""
    email: str = ""

    def empty(self) -> bool:
        return not any(v.strip() for v in (self.first_name, self.last_name, self.phone, self.email))


@dataclass
class ChildRow:
    first_name: str = ""
    last_name: str = ""
    birth_date: str = ""
    gender: str = ""
    allergy: str = ""
    medical: str = ""

    def empty(self) -> bool:
        return not any(v.strip() for v in vars(self).values())


class NewFamilyPresenter:
    """Build the family from what was typed, show likely duplicates, then save it in one step."""

    def __init__(self, families: FamilyDesk, region: str, today: Callable[[], dt.date]):
        self.families = families
        self.region = region
        self.today = today
        self.draft: NewFamily | None = None
        self.hits: list[DuplicateHit] = []

    def build(self, name: str, address: str, guardians: list[GuardianRow], emergency: GuardianRow,
              children: list[ChildRow], note: str = "") -> NewFamily:  # fmt: skip
        """FormProblem (field "name", "guardian0.phone", "child1.birth_date"...) for what to fix first."""
        people = [g for g in guardians if not g.empty()]
        kids = [c for c in children if not c.empty()]
        family = name.strip() or next((g.last_name.strip() for g in people if g.last_name.strip()), "")
        if not family:
            raise FormProblem("Type the family name.", "name")
        if not people and not kids:
            raise FormProblem("Add a guardian or a child: a family needs someone in it.", "guardian0.first_name")
        drafts = []
        for i, g in enumerate(guardians):
            if g.empty():
                continue
            if not g.first_name.strip():
                raise FormProblem("Type the guardian's first name.", f"guardian{i}.first_name")
            if not g.phone.strip() and not g.email.strip():
                raise FormProblem(f"Type a phone or an email for {g.first_name.strip()}.", f"guardian{i}.phone")
            drafts.append(GuardianDraft(g.first_name.strip(), g.last_name.strip() or family, g.relation.strip() or "guardian",
                                        checked_phone(g.phone, self.region, f"guardian{i}.phone") if g.phone.strip() else "",
                                        checked_email(g.email, f"guardian{i}.email"), is_primary=not drafts))  # fmt: skip
        contact = None
        if not emergency.empty():
            if not emergency.first_name.strip() or not emergency.phone.strip():
                raise FormProblem("An emergency contact needs a name and a phone.", "emergency.first_name")
            contact = GuardianDraft(emergency.first_name.strip(), emergency.last_name.strip() or family,
                                    emergency.relation.strip(), checked_phone(emergency.phone, self.region, "emergency.phone"))
        students = []
        for i, c in enumerate(children):
            if c.empty():
                continue
            if not c.first_name.strip():
                raise FormProblem("Type the child's first name.", f"child{i}.first_name")
            try:
                born = typed_date(c.birth_date, self.region, self.today())
            except FormProblem as problem:
                raise FormProblem(problem.text, f"child{i}.birth_date") from None
            students.append(StudentDraft(c.first_name.strip(), c.last_name.strip() or family, born, c.gender.strip(),
                                         medical=c.medical.strip(), allergy=c.allergy.strip()))  # fmt: skip
        self.draft = NewFamily(family, address.strip(), drafts, students, contact, note.strip())
        return self.draft

    def check(self) -> list[DuplicateHit]:
        """Families on file that look like this one (to show before saving)."""
        assert self.draft is not None, "build() first"
        self.hits = self.families.duplicates(self.draft, self.region)
        return self.hits

    def duplicate_lines(self) -> list[str]:
        return ["\n".join([h.name, *(f"   · {reason}" for reason in h.reasons)]) for h in self.hits]

    async def save(self) -> str:
        assert self.draft is not None, "build() first"
        return await self.families.add_family(self.draft, self.region)

    def saved_text(self, pending: bool) -> str:
        assert self.draft is not None
        kids = len(self.draft.students)
        parts = [f"{self.draft.name} family added", "no children yet" if not kids else "1 child" if kids == 1 else f"{kids} children"]
        if pending:
            parts.append("not sent yet")
        return " · ".join(parts)


@dataclass(frozen=True)
class Field:
    key: str
    label: str
    kind: str = "text"  # text, phone, email, date, bool, choice
    choices: tuple[tuple[str, str], ...] = ()  # choice: (value, words)
    required: bool = False
    placeholder: str = ""


class EditPresenter:
    """One record's form: its fields, their values as shown, and the changed ones to save."""

    def __init__(self, families: FamilyDesk, part: Part, record_id: str | None, title: str, fields: list[Field],
                 values: dict[str, object], region: str, today: Callable[[], dt.date],
                 add: Callable[[dict[str, object]], Awaitable[object]] | None = None):  # fmt: skip
        """`record_id` None with `add`: a new record, saved by `add(every value)`."""
        self.families, self.part, self.record_id, self.title = families, part, record_id, title
        self.fields, self.region, self.today, self.add = fields, region, today, add
        self.stored = dict(values)
        self.values: dict[str, object] = {}
        self.changes: dict[str, object] = {}

    def shown(self, key: str) -> object:
        """The value as the form shows it at first (phones in national format, dates as typed here)."""
        value = self.stored.get(key)
        kind = next(f.kind for f in self.fields if f.key == key)
        if kind == "phone":
            return phone_text(str(value or ""), self.region)
        if kind == "date":
            return date_text(value, self.region)  # type: ignore[arg-type]
        return value

    def begin(self, typed: dict[str, object]) -> dict[str, object]:
        """The changed fields, checked; FormProblem (field = its key) for the first to fix."""
        changes: dict[str, object] = {}
        for f in self.fields:
            value = typed.get(f.key)
            if isinstance(value, str):
                value = value.strip()
                if f.required and not value:
                    raise FormProblem(f"Type the {f.label.lower()}.", f.key)
                if f.kind == "phone":
                    value = checked_phone(value, self.region, f.key)
                elif f.kind == "email":
                    value = checked_email(value, f.key)
                elif f.kind == "date":
                    try:
                        value = typed_date(value, self.region, self.today())
                    except FormProblem as problem:
                        raise FormProblem(problem.text, f.key) from None
            self.values[f.key] = value
            before = self.stored.get(f.key)
            if f.kind == "phone" and before:
                before = _same(str(before), self.region)
            if value != before:
                changes[f.key] = value
        self.changes = changes
        return changes

    async def save(self) -> None:
        if self.add is not None:
            await self.add(self.values)
        elif self.record_id is not None:
            await self.families.update(self.part, self.record_id, self.changes, self.region)

    def saved_text(self) -> str:
        if self.add is not None:
            return f"Added: {self.title[0].lower()}{self.title[1:]}"
        if not self.changes:
            return "Nothing changed."
        names = [next(f.label for f in self.fields if f.key == k).lower() for k in self.changes]
        return f"Saved: {', '.join(names)}"


def _same(stored: str, region: str) -> str:
    try:
        return clean_phone(stored, region)
    except ValueError:
        return stored


FAMILY_FIELDS = [Field("name", "Family name", required=True), Field("address", "Address"),
                 Field("phone", "Family phone", "phone"), Field("email", "Family email", "email")]
GUARDIAN_FIELDS = [Field("first_name", "First name", required=True), Field("last_name", "Last name", required=True),
                   Field("relation", "Relation", placeholder="mother, father, grandparent, emergency contact…"),
                   Field("phone", "Phone", "phone"), Field("email", "Email", "email"),
                   Field("is_primary", "Primary contact", "bool")]  # fmt: skip
STUDENT_FIELDS = [Field("first_name", "First name", required=True), Field("last_name", "Last name", required=True),
                  Field("birth_date", "Birth date", "date", placeholder="4/2/2019"), Field("gender", "Gender"),
                  Field("active", "Active (comes to classes)", "bool")]  # fmt: skip
NOTE_FIELDS = [Field("kind", "Kind", "choice", tuple(NOTE_KINDS.items())), Field("text", "Note", required=True),
               Field("active", "Open (uncheck when resolved)", "bool")]  # fmt: skip


def family_form(families: FamilyDesk, file, region: str, today: Callable[[], dt.date]) -> EditPresenter:
    values = {"name": file.name, "address": file.address, "phone": file.phone, "email": file.email}
    return EditPresenter(families, "family", file.id, f"{file.name} family", FAMILY_FIELDS, values, region, today)


def guardian_form(families: FamilyDesk, g: GuardianRecord, region: str, today: Callable[[], dt.date]) -> EditPresenter:
    values = {k: getattr(g, k) for k in ("first_name", "last_name", "relation", "phone", "email", "is_primary")}
    return EditPresenter(families, "guardian", g.id, g.name, GUARDIAN_FIELDS, values, region, today)


def student_form(families: FamilyDesk, st: StudentRecord, region: str, today: Callable[[], dt.date]) -> EditPresenter:
    values = {k: getattr(st, k) for k in ("first_name", "last_name", "birth_date", "gender", "active")}
    return EditPresenter(families, "student", st.id, st.name, STUDENT_FIELDS, values, region, today)


def note_form(families: FamilyDesk, n: NoteRecord, region: str, today: Callable[[], dt.date]) -> EditPresenter:
    values = {"kind": n.kind, "text": n.text, "active": n.active}
    title = f"Note about {n.about}" if n.about else "Family note"
    return EditPresenter(families, "note", n.id, title, NOTE_FIELDS, values, region, today)


def new_guardian_form(families: FamilyDesk, family_id: str, family_name: str, region: str,
                      today: Callable[[], dt.date]) -> EditPresenter:  # fmt: skip
    async def add(v: dict[str, object]) -> str:
        return await families.add_guardian(family_id, GuardianDraft(
            str(v["first_name"]), str(v["last_name"]), str(v["relation"]) or "guardian", str(v["phone"]),
            str(v["email"]), bool(v["is_primary"])), region)  # fmt: skip

    return EditPresenter(families, "guardian", None, "New guardian", GUARDIAN_FIELDS, {"last_name": family_name,
                         "is_primary": False}, region, today, add)  # fmt: skip


def new_student_form(families: FamilyDesk, family_id: str, family_name: str, region: str,
                     today: Callable[[], dt.date]) -> EditPresenter:  # fmt: skip
    async def add(v: dict[str, object]) -> str:
        born = v["birth_date"] if isinstance(v["birth_date"], dt.date) else None
        return await families.add_student(family_id, StudentDraft(str(v["first_name"]), str(v["last_name"]), born,
                                                                  str(v["gender"])))  # fmt: skip

    fields = [f for f in STUDENT_FIELDS if f.key != "active"]
    return EditPresenter(families, "student", None, "New student", fields, {"last_name": family_name}, region, today, add)


def new_note_form(families: FamilyDesk, family_id: str, students: list[StudentRecord], region: str,
                  today: Callable[[], dt.date]) -> EditPresenter:  # fmt: skip
    async def add(v: dict[str, object]) -> str:
        return await families.add_note(family_id, str(v["kind"]), str(v["text"]), str(v["about"]) or None)

    about = Field("about", "About", "choice", (("", "The whole family"),) + tuple((s.id, s.name) for s in students))
    fields = [about, *(f for f in NOTE_FIELDS if f.key != "active")]
    return EditPresenter(families, "note", None, "New note", fields, {"kind": "note", "about": ""}, region, today, add)
