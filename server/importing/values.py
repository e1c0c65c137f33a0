"""One cell to a clean value, or a `Bad` that says in words what is wrong with it.

Files from other software are messy: stray spaces and line breaks, names in capitals, phones
that Excel turned into 3.12555E+09, dates written three ways in one column, balances as
"$1,045.50", "(45.00)" or "45,50". What can be read safely is read; what cannot is a problem the
person sees in the preview, never a guess written into the account.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from typing import Literal

import email_validator

from sync.core.ledger import MoneyError, parse_money

DateOrder = Literal["mdy", "dmy"]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # cells a spreadsheet could run (server.exporting escapes them)
MAX_NAME = 80


class Bad(ValueError):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


def unescape(value: str) -> str:
    """A cell our export escaped ('=...) reads back as it was."""
    if len(value) > 1 and value[0] == "'" and value[1] in "=+-@":
        return value[1:]
    return value


def text(value: str, max_length: int = 300) -> str:
    """One line: line breaks and runs of spaces become one space (an Excel address cell holds newlines)."""
    if value.isprintable() and "  " not in value and value[:1] not in (" ", "'") and value[-1:] != " ":
        out = value  # already clean: the usual case, and a quick one
    else:
        out = ", ".join(" ".join(part.split()) for part in unescape(value).splitlines() if part.strip())
    if len(out) > max_length:
        raise Bad("too_long", f"“{out[:40]}…” is longer than {max_length} characters.")
    return out


def name(value: str) -> str:
    return text(value, MAX_NAME)


def split_full_name(value: str) -> tuple[str, str]:
    """'Smith, Jane' and 'Jane Smith' -> ('Jane', 'Smith'); a single word is a first name."""
    value = name(value)
    if "," in value:
        last, _, first = value.partition(",")
        return first.strip(), last.strip()
    first, _, last = value.rpartition(" ")
    return (first, last) if first else (last, "")


def email(value: str) -> str:
    """An address as written, checked by email-validator (syntax only: no DNS lookup at import)."""
    value = text(value, 254).removeprefix("mailto:").strip()
    if not value:
        return ""
    if _PLAIN_EMAIL.match(value) is None or _special_domain(value):
        why = _email_problem(value)  # the unusual ones: the library's full check, remembered
        if why is not None:
            raise Bad("bad_email", f"“{value}” is not an email address: {why}")
    return value


# The usual address (ASCII dot-atoms, a domain of letter-digit-hyphen labels and a letter TLD) is one
# email-validator accepts: a quick check lets 50,000 rows through without a library call each
# (tests/server/importing/test_values.py holds the two to the same answer).
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_PLAIN_EMAIL = re.compile(rf"^(?=.{{1,64}}@){_ATOM}(?:\.{_ATOM})*@(?:{_LABEL}\.)+[A-Za-z]{{2,63}}$")
_SPECIAL = frozenset(email_validator.SPECIAL_USE_DOMAIN_NAMES)  # "test", "local"…: refused by the library
_SPECIAL_WHOLE = any("." in d for d in _SPECIAL)


def _special_domain(value: str) -> bool:
    domain = value.rpartition("@")[2].casefold()
    if domain.rpartition(".")[2] in _SPECIAL:
        return True
    return _SPECIAL_WHOLE and any(domain == d or domain.endswith("." + d) for d in _SPECIAL)


@functools.lru_cache(maxsize=4096)
def _email_problem(value: str) -> str | None:
    try:
        email_validator.validate_email(value, check_deliverability=False)
    except email_validator.EmailNotValidError as e:
        return str(e)
    return None


_PHONE_OK = re.compile(r"^[0-9+()\-. x]*$")
_DIGIT = re.compile(r"\d")
_SCIENTIFIC = re.compile(r"^\d(\.\d+)?[eE]\+\d+$")


def phone(value: str) -> str:
    value = text(value, 64)
    if not value:
        return ""
    if _SCIENTIFIC.match(value):
        raise Bad("bad_phone", f"“{value}” is a phone number a spreadsheet turned into a rounded number; its digits are lost.")
    cleaned = re.sub(r"\s*(ext\.?|extension)\s*", " x", value, flags=re.IGNORECASE).replace("/", "-")
    if not _PHONE_OK.match(cleaned) or _DIGIT.search(cleaned) is None or len(cleaned) > 32:
        raise Bad("bad_phone", f"“{value}” is not a phone number.")
    return cleaned


_MONTHS = {m: i + 1 for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"))}
# ISO 8601 and what databases write: a date, maybe a time (T or a space), maybe a zone ("Z", "+02:00").
# Matched before the value is lower-cased ("T" and "Z" are capitals in the standard), and in any case.
_ISO = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ Tt]\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?"
                  r"(?: ?(?:[Zz]|UTC|GMT|[+-]\d{2}(?::?\d{2})?))?)?$")
_NUMERIC = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{2}|\d{4})(?: \d{1,2}:\d{2}(?::\d{2})?(?: ?[AaPp][Mm])?)?$")
_WORDY = re.compile(r"^(?:[a-z]+,? )?(?:([a-z]+)\.? (\d{1,2})(?:st|nd|rd|th)?,? (\d{4})|(\d{1,2})(?:st|nd|rd|th)? ([a-z]+)\.?,? (\d{4}))$")
EXCEL_EPOCH = dt.date(1899, 12, 30)


def date_parts(value: str) -> tuple[int, int] | None:
    """The first two numbers of a d/m/y-or-m/d/y date, to work out the order of a column; None for other forms."""
    m = _NUMERIC.match(value.strip())
    return (int(m.group(1)), int(m.group(2))) if m else None


def date_order_of(values: list[str]) -> DateOrder | None:
    """'dmy' when a first number is above 12, 'mdy' when a second one is; None when the column never says."""
    first_big = second_big = False
    for value in values:
        parts = date_parts(value)
        if parts is None:
            continue
        first_big |= parts[0] > 12
        second_big |= parts[1] > 12
        if first_big and second_big:
            return None  # both kinds in one column: each row is read with the order chosen, and errors say so
    if first_big:
        return "dmy"
    return "mdy" if second_big else None


def date(value: str, order: DateOrder = "mdy", *, today: dt.date | None = None) -> dt.date | None:
    """A birth date: 2015-03-05, 3/5/2015 (or 5/3/2015 in d/m/y), 05.03.15, Mar 5, 2015, an Excel day number."""
    value = text(value, 40)
    if not value:
        return None
    today = today or dt.date.today()
    try:
        day = _date(value, order, today)
    except ValueError:
        day = None
    if day is None:
        raise Bad("bad_date", f"“{value}” is not a real date.")
    if day > today:
        raise Bad("bad_date", f"“{value}” is in the future.")
    if day.year < 1900:
        raise Bad("bad_date", f"“{value}” is too long ago to be a birth date.")
    return day


def _date(value: str, order: DateOrder, today: dt.date) -> dt.date | None:
    if m := _ISO.match(value):
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    value = value.casefold()  # month names and am/pm, in any case
    if m := _NUMERIC.match(value):
        a, b, year = int(m.group(1)), int(m.group(2)), int(m.group(3))
        if len(m.group(3)) == 2:  # a birth date is never in the future: '15 is 2015 until 2015 has not come
            year += 2000 if year <= today.year % 100 else 1900
        month, day = (a, b) if order == "mdy" else (b, a)
        return dt.date(year, month, day)
    if m := _WORDY.match(value):
        month_word, day, year = (m.group(1), m.group(2), m.group(3)) if m.group(1) else (m.group(5), m.group(4), m.group(6))
        month = _MONTHS.get(month_word[:3])
        return dt.date(int(year), month, int(day)) if month else None
    if value.isdigit() and 10_000 <= int(value) <= 80_000:  # Excel's day number, from a cell formatted as General
        return EXCEL_EPOCH + dt.timedelta(days=int(value))
    return None


_GENDERS = {"f": "F", "female": "F", "girl": "F", "g": "F", "m": "M", "male": "M", "boy": "M", "b": "M"}


def gender(value: str) -> str:
    value = text(value, 20)
    return _GENDERS.get(value.casefold(), value)


_EUROPEAN = re.compile(r"^(\d+),(\d{1,2})$")


def balance(value: str) -> int:
    """Cents from "$1,045.50", "-45", "(45.00)", "45.00 CR", "45,50"; positive is what the family owes."""
    raw = text(value, 40)
    if not raw:
        return 0
    v = raw.replace("USD", "").replace("$", "").replace("€", "").replace("£", "").replace(" ", "")
    negative = False
    if v.startswith("(") and v.endswith(")"):
        v, negative = v[1:-1], True
    if v.upper().endswith("CR"):
        v, negative = v[:-2], True
    if v.endswith("-"):
        v, negative = v[:-1], True
    if v.startswith("-"):
        v, negative = v[1:], not negative
    if v.startswith("+"):
        v = v[1:]
    if m := _EUROPEAN.match(v):
        v = f"{m.group(1)}.{m.group(2)}"
    try:
        cents = parse_money(v, allow_zero=True)
    except MoneyError:
        raise Bad("bad_money", f"“{raw}” is not an amount of money.") from None
    return -cents if negative else cents


def many(value: str, max_length: int = 200) -> list[str]:
    """One or more class names: several are separated by ; or | or line breaks (as the export writes them)."""
    out: list[str] = []
    for part in re.split(r"[;|\n]", unescape(value)):
        part = " ".join(part.split())
        if len(part) > max_length:
            raise Bad("too_long", f"“{part[:40]}…” is longer than {max_length} characters.")
        if part and part.casefold() not in {p.casefold() for p in out}:
            out.append(part)
    return out


# What people type in a medical, allergy or note cell to say there is nothing to note.
PLACEHOLDERS = frozenset({"none", "n/a", "na", "n.a.", "n.a", "-", "--", "---", "no", "nil", "null", "nothing", "nope", "x",
                          "none known", "no known allergies", "no allergies", "none noted", "none reported", "nka", "nkda",
                          "not applicable", "unknown", "."})  # fmt: skip


def note(value: str, max_length: int = 500) -> str:
    """A medical note, allergy or remark, kept whole (a "|" or ";" inside is part of what was written);
    "" for a placeholder such as "None" or "N/A"."""
    out = text(value, max_length)
    return "" if out.casefold().rstrip(".! ") in PLACEHOLDERS or out.casefold() in PLACEHOLDERS else out
