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
}

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
_SECOND = {"2", "second", "secondary", "other", "alternate"}
_FAMILY = {"family", "household", "account"}

# kind -> words that say it (a header's words are matched as a set; multi-word keys are joined).
_KINDS: list[tuple[str, set[str]]] = [
    ("email", {"email", "mail", "emailaddress"}),
    ("birth", {"birth", "dob", "birthday", "birthdate", "born"}),
    ("gender", {"gender", "sex"}),
    ("allergies", {"allergy", "allergies"}),
    ("medical", {"medical", "health", "conditions", "condition", "medication", "medications"}),
    ("class", {"class", "classes", "program", "programs", "course", "courses", "enrolled", "enrollment", "enrollments"}),
    ("balance", {"balance", "owed", "due", "outstanding"}),
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


_BY_SUBJECT = {
    "student": {"first": "student_first_name", "last": "student_last_name", "name": "student_name", "id": "student_id",
                "birth": "birth_date", "gender": "gender", "medical": "medical_notes", "allergies": "allergies",
                "class": "class_name"},
    "guardian": {"first": "guardian_first_name", "last": "guardian_last_name", "name": "guardian_name",
                 "email": "guardian_email", "phone": "guardian_phone"},
    "family": {"id": "family_id", "name": "family_name", "last": "family_name", "email": "guardian_email",
               "phone": "home_phone", "balance": "balance", "address": "address"},
}  # fmt: skip
_ANY = {"email": "guardian_email", "phone": "guardian_phone", "home_phone": "home_phone", "address": "address",
        "city": "city", "state": "state", "postal": "postal_code", "birth": "birth_date", "gender": "gender",
        "medical": "medical_notes", "allergies": "allergies", "class": "class_name", "balance": "balance",
        "family_name": "family_name"}  # fmt: skip


def guess_mapping(headers: list[str]) -> dict[str, str]:
    """{field: header} for the headers we recognise; each field and each header used once."""
    parsed = [(h, words_of(h)) for h in headers]
    # A plain "First name" is the student's when the file has no student columns and has a birth date
    # (a class roster), the guardian's otherwise.
    has_student_names = any(_subject(w) == "student" and _kind(w) in ("first", "last", "name") for _, w in parsed)
    has_guardian_names = any(_subject(w) == "guardian" and _kind(w) in ("first", "last", "name") for _, w in parsed)
    has_birth = any(_kind(w) == "birth" for _, w in parsed)
    plain_people = "guardian" if has_student_names or (not has_guardian_names and not has_birth) else "student"

    mapping: dict[str, str] = {}
    for header, words in parsed:
        kind, subject = _kind(words), _subject(words)
        if kind is None and subject is not None:
            kind = "name"  # "Household", "Student", "Parent": the name of that one
        field = None
        if subject is not None:
            field = _BY_SUBJECT[subject].get(kind)
        if field is None and kind in ("first", "last", "name") and subject is None:
            field = _BY_SUBJECT[plain_people][kind]
        if field is None:
            field = _ANY.get(kind)
        if field is None:
            continue
        if field.startswith("guardian_") and (set(words) & _SECOND or field in mapping):
            second = field.replace("guardian_", "guardian2_")
            if set(words) & _SECOND or second not in mapping:
                field = second
        if field not in mapping:
            mapping[field] = header
    return mapping


def headers_key(headers: list[str]) -> str:
    """The same for every file with these columns, in any order: the key of a kept mapping."""
    names = sorted(" ".join(words_of(h)) for h in headers)
    return hashlib.sha256("\x1f".join(names).encode()).hexdigest()[:32]


def clean_mapping(mapping: dict[str, str], headers: list[str]) -> dict[str, str]:
    """Only known fields and headers the file has (a kept mapping may name columns this file lacks)."""
    have = set(headers)
    return {f: h for f, h in mapping.items() if f in FIELDS and h in have}
