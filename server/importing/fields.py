"""What a column can hold, and a first guess from its header ("Parent 1 Email", "DOB", "Child's Last Name").

A mapping is {field: header}: each field takes one column of the file (or none). The guesses
cover the headers the usual class-management exports use; the person importing checks and
changes them, and the mapping used is kept for the next file with the same columns
(server.importing.jobs).
"""

from __future__ import annotations

import hashlib
import re

# Every field, in the order the desk lists them, with its words.
FIELDS: dict[str, str] = {
    "family_id": "Family ID (previous software)",
    "family_name": "Family name",
    "guardian_first_name": "Guardian first name",
    "guardian_last_name": "Guardian last name",
    "guardian_name": "Guardian full name",
    "guardian_email": "Guardian email",
    "guardian_phone": "Guardian phone",
    "guardian2_first_name": "Second guardian first name",
    "guardian2_last_name": "Second guardian last name",
    "guardian2_name": "Second guardian full name",
    "guardian2_email": "Second guardian email",
    "guardian2_phone": "Second guardian phone",
    "home_phone": "Home phone",
    "address": "Address",
    "city": "City",
    "state": "State",
    "postal_code": "ZIP code",
    "student_id": "Student ID (previous software)",
    "student_first_name": "Student first name",
    "student_last_name": "Student last name",
    "student_name": "Student full name",
    "birth_date": "Birth date",
    "gender": "Gender",
    "medical_notes": "Medical notes",
    "allergies": "Allergies",
    "class_name": "Classes",
    "balance": "Balance",
    "notes": "Notes",
    # A people list (one row per person, children linked to a parent or a household): server.importing.people
    "person_id": "Person ID (previous software)",
    "parent_link": "This person's parent or household",
    "person_kind": "Adult or child",
    "person_first_name": "First name (each person)",
    "person_last_name": "Last name (each person)",
    "person_name": "Full name (each person)",
    "person_email": "Email (each person)",
    "person_phone": "Phone (each person)",
}
PEOPLE_FIELDS = ("person_id", "parent_link", "person_kind")  # any of these: the file is a people list

# The roster a Frontdesk export writes (server.exporting): every header here guesses its own field,
# so an export imports back without touching the mapping (tests/server/importing/test_fields.py).
ROSTER_COLUMNS: dict[str, str] = {
    "family_id": "Family ID",
    "family_name": "Family name",
    "guardian_first_name": "Guardian first name",
    "guardian_last_name": "Guardian last name",
    "guardian_email": "Guardian email",
    "guardian_phone": "Guardian phone",
    "guardian2_first_name": "Second guardian first name",
    "guardian2_last_name": "Second guardian last name",
    "guardian2_email": "Second guardian email",
    "guardian2_phone": "Second guardian phone",
    "home_phone": "Home phone",
    "address": "Address",
    "student_id": "Student ID",
    "student_first_name": "Student first name",
    "student_last_name": "Student last name",
    "birth_date": "Birth date",
    "gender": "Gender",
    "medical_notes": "Medical notes",
    "allergies": "Allergies",
    "class_name": "Classes",
    "balance": "Balance",
}

_STUDENT = {"student", "students", "child", "childs", "children", "kid", "participant", "athlete", "swimmer", "gymnast",
            "dancer", "camper", "pupil"}  # fmt: skip
_GUARDIAN = {"parent", "guardian", "contact", "mother", "father", "mom", "dad", "adult", "payer", "responsible", "primary"}
_SECOND = {"second", "secondary", "other", "alternate"}
_FAMILY = {"family", "household", "account"}
_PERSON = {"client", "person", "member", "customer", "people", "contact"}  # a people list's own rows

# kind -> words that say it (a header's words are matched as a set; multi-word keys are joined).
_KINDS: list[tuple[str, set[str]]] = [
    ("email", {"email", "mail", "emailaddress"}),
    ("birth", {"birth", "dob", "birthday", "birthdate", "born"}),
    ("gender", {"gender", "sex"}),
    ("allergies", {"allergy", "allergies"}),
    ("medical", {"medical", "health", "conditions", "condition", "medication", "medications"}),
    ("notes", {"note", "notes", "comment", "comments", "remarks", "alert", "alerts"}),
    ("class", {"class", "classes", "program", "programs", "course", "courses", "enrolled", "enrollment", "enrollments"}),
    ("balance", {"balance", "owed", "due", "outstanding", "credit", "credits", "receivable"}),
    ("postal", {"zip", "zipcode", "postal", "postcode"}),
    ("city", {"city", "town"}),
    ("state", {"state", "province", "region"}),
    ("address", {"address", "street", "addr", "address1"}),
    ("phone", {"phone", "mobile", "cell", "tel", "telephone", "cellphone"}),
    ("first", {"first", "given", "fname", "forename", "firstname"}),
    ("last", {"last", "surname", "lname", "lastname"}),
    ("id", {"id", "number", "no", "num"}),
    ("name", {"name", "fullname"}),
]
# Which phone is the guardian's: a cell beats a plain "Phone", which beats a work phone.
_PHONE_RANK = {"mobile": 3, "cell": 3, "cellphone": 3, "work": 1, "business": 1, "office": 1, "fax": 0}


def words_of(header: str) -> list[str]:
    """'Parent1FirstName' -> ['parent', '1', 'first', 'name']; 'E-mail' -> ['email']."""
    text = re.sub(r"([a-z])([A-Z])", r"\1 \2", header)
    text = re.sub(r"([A-Za-z])(\d)|(\d)([A-Za-z])", lambda m: " ".join(filter(None, m.groups())), text)
    text = text.replace("#", " number ").casefold().replace("e-mail", "email").replace("e mail", "email").replace("'s", "")
    return re.findall(r"[a-z]+|\d+", text)


def _kind(words: list[str]) -> str | None:
    found = set(words)
    if "home" in found and found & {"phone", "tel", "telephone"}:
        return "home_phone"
    if "family" in found and "name" in found and not found & {"first", "last"}:
        return "family_name"
    for kind, keys in _KINDS:
        if found & keys:
            return kind
    return None


def _subject(words: list[str]) -> str | None:
    found = set(words)
    if found & _STUDENT:
        return "student"
    if found & _GUARDIAN or (found & _SECOND and found & {"email", "phone", "first", "last", "name", "mobile", "cell"}):
        return "guardian"
    if found & _FAMILY:
        return "family"
    return None


def _number(words: list[str]) -> int | None:
    """The person's number in "Contact 2 Cell Phone" or "Parent1Email" (part of the meaning: the second guardian)."""
    numbers = [int(w) for w in words if w.isdigit()]
    if len(numbers) == 1:
        return numbers[0]
    return 2 if set(words) & _SECOND else None


def is_credit(header: str) -> bool:
    """A money column that says what the business owes the family ("Account Credit", "Credit Balance"):
    its amounts are balances with the sign turned."""
    found = set(words_of(header))
    return bool(found & {"credit", "credits"}) and not found & {"due", "owed", "owing", "outstanding", "debit"}


def _is_link(words: list[str]) -> bool:
    """'Parent ID', 'Related Company' (Odoo's parent), 'Related Client ID', 'parent_id': a people list's link."""
    found = set(words)
    return bool(found & {"parent", "guardian", "related", "responsible"}) and bool(found & {"id", "company", "client", "record"})


def _is_kind(words: list[str]) -> bool:
    found = set(words)
    return bool(found & {"type", "role", "relationship", "dependent", "dependant"}) or found == {"is", "a", "company"}


_BY_SUBJECT = {
    "student": {"first": "student_first_name", "last": "student_last_name", "name": "student_name", "id": "student_id",
                "birth": "birth_date", "gender": "gender", "medical": "medical_notes", "allergies": "allergies",
                "class": "class_name", "notes": "notes"},
    "guardian": {"first": "guardian_first_name", "last": "guardian_last_name", "name": "guardian_name",
                 "email": "guardian_email", "phone": "guardian_phone", "home_phone": "home_phone"},
    "family": {"id": "family_id", "name": "family_name", "last": "family_name", "email": "guardian_email",
               "phone": "home_phone", "balance": "balance", "address": "address", "notes": "notes"},
    "person": {"first": "person_first_name", "last": "person_last_name", "name": "person_name", "email": "person_email",
               "phone": "person_phone", "id": "person_id"},
}  # fmt: skip
_ANY = {"email": "guardian_email", "phone": "guardian_phone", "home_phone": "home_phone", "address": "address",
        "city": "city", "state": "state", "postal": "postal_code", "birth": "birth_date", "gender": "gender",
        "medical": "medical_notes", "allergies": "allergies", "class": "class_name", "balance": "balance",
        "family_name": "family_name", "notes": "notes"}  # fmt: skip


def _candidate(words: list[str], plain_people: str, people: bool) -> tuple[str, int] | None:
    """The field a header would fill and how surely (a header naming whose it is beats a bare one)."""
    found = set(words)
    if people and _is_link(words):
        return "parent_link", 30
    if people and _is_kind(words):
        return "person_kind", 30
    kind, subject = _kind(words), _subject(words)
    if people and subject in (None, "guardian") and not found & _STUDENT and (subject is None or found & _PERSON):
        if kind in ("first", "last", "name", "email", "phone", "id") and not (kind == "id" and found & _FAMILY):
            return _BY_SUBJECT["person"][kind], 10 + _PHONE_RANK.get(next(iter(found & set(_PHONE_RANK)), ""), 2)
    if kind is None and subject is not None:
        kind = "name"  # "Household", "Student", "Parent": the name of that one
    field, sure = None, 10 if subject is not None else 0
    if subject is not None:
        field = _BY_SUBJECT[subject].get(kind)
    if field is None and kind in ("first", "last", "name") and subject is None:
        field = _BY_SUBJECT[plain_people][kind]
    if field is None:
        field = _ANY.get(kind)
    if field is None:
        return None
    if field.endswith("_phone") and field != "home_phone":
        sure += _PHONE_RANK.get(next(iter(found & set(_PHONE_RANK)), ""), 2)
    if field.startswith("guardian_"):
        number = _number(words)
        if number == 2:
            field = field.replace("guardian_", "guardian2_")
        elif number is not None and number > 2:
            return None  # a third contact: no field holds it
    return field, sure


def guess_mapping(headers: list[str]) -> dict[str, str]:
    """{field: header} for the headers we recognise; each field and each header used once.

    Every header proposes one field with how surely; the surest header of each field takes it
    ("Parent Email" before a bare "Email", a cell phone before a work phone), the file's order
    breaking ties. A guardian header that finds its field taken by another person's header
    ("Mother Email", then "Father Email") goes to the second guardian.
    """
    parsed = [(h, words_of(h)) for h in headers]
    # A plain "First name" is the student's when the file has no student columns and has a birth date
    # (a class roster), the guardian's otherwise.
    has_student_names = any(_subject(w) == "student" and _kind(w) in ("first", "last", "name") for _, w in parsed)
    has_guardian_names = any(_subject(w) == "guardian" and _kind(w) in ("first", "last", "name") for _, w in parsed)
    # A people list: a column links people, or says adult or child, or numbers clients ("Client ID",
    # "Member ID") in a file with no student or guardian names: ages then tell children from adults.
    people = any(_is_link(w) or _is_kind(w) for _, w in parsed) or (
        not (has_student_names or has_guardian_names) and any(set(w) & _PERSON and _kind(w) == "id" for _, w in parsed))
    has_birth = any(_kind(w) == "birth" for _, w in parsed)
    plain_people = "guardian" if has_student_names or (not has_guardian_names and not has_birth) else "student"

    proposed = []
    for i, (header, words) in enumerate(parsed):
        found = _candidate(words, plain_people, people)
        if found is not None:
            proposed.append((-found[1], i, found[0], header, words))
    mapping: dict[str, str] = {}
    taken_by: dict[str, list[str]] = {}
    for _sure, _i, field, header, words in sorted(proposed):
        if field in mapping and field.startswith("guardian_") and _number(words) is None:
            second = field.replace("guardian_", "guardian2_")
            mine = set(words) & _GUARDIAN  # a bare "Email" beside "Parent Email" is nobody's second guardian
            if second not in mapping and mine and mine != set(taken_by[field]) & _GUARDIAN:
                field = second
        if field not in mapping:
            mapping[field] = header
            taken_by[field] = words
    return {f: mapping[f] for f in FIELDS if f in mapping}


def headers_key(headers: list[str]) -> str:
    """The same for every file with these columns, in any order: the key of a kept mapping."""
    names = sorted(" ".join(words_of(h)) for h in headers)
    return hashlib.sha256("\x1f".join(names).encode()).hexdigest()[:32]


def clean_mapping(mapping: dict[str, str], headers: list[str]) -> dict[str, str]:
    """Only known fields and headers the file has (a kept mapping may name columns this file lacks)."""
    have = set(headers)
    return {f: h for f, h in mapping.items() if f in FIELDS and h in have}
