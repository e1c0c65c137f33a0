"""Email addresses and phone numbers as the family file keeps them.

- An email is checked by `email-validator` (syntax only: a desk offline cannot ask DNS, and a
  server-side DNS lookup would make one desk's change depend on the network) and kept in its
  normalised form (the domain in lower case).
- A phone is kept normalised as E.164 ("+13125550101"), so the same number typed two ways is one
  number (the duplicate check, the kiosk's "last digits"), and shown in the national format of
  the location's country ("(312) 555-0101"). A number typed without its country code is read as
  a number of that country.

A location's country comes from its IANA time zone (the tz database's zone.tab says which country
each zone is in): a location has no country field, and its zone is always set.
"""

from __future__ import annotations

import functools
import zoneinfo
from pathlib import Path

import phonenumbers
from email_validator import EmailNotValidError, validate_email

DEFAULT_REGION = "US"


def clean_email(value: str) -> str:
    """The address normalised, "" for none; ValueError with words for one that is not an address."""
    value = value.strip()
    if not value:
        return ""
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError:
        raise ValueError(f"“{value}” is not an email address.") from None


def clean_phone(value: str, region: str = DEFAULT_REGION) -> str:
    """The number as E.164, "" for none; ValueError with words for one that is not a full number."""
    value = value.strip()
    if not value:
        return ""
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        raise ValueError(f"“{value}” is not a phone number.") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError(f"“{value}” is not a full phone number: type it with its area code.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def same_phone(value: str, region: str = DEFAULT_REGION) -> str:
    """A key to compare numbers by: E.164 when it parses, else its digits (numbers kept as typed)."""
    try:
        return clean_phone(value, region)
    except ValueError:
        return "".join(ch for ch in value if ch.isdigit())


def phone_text(stored: str, region: str = DEFAULT_REGION) -> str:
    """A stored number as the front desk reads it: national format at home, international abroad."""
    if not stored:
        return ""
    try:
        number = phonenumbers.parse(stored, region)
    except phonenumbers.NumberParseException:
        return stored  # kept as typed before numbers were checked: show it as it is
    if not phonenumbers.is_valid_number(number):
        return stored
    home = phonenumbers.region_code_for_number(number) == region
    form = phonenumbers.PhoneNumberFormat.NATIONAL if home else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    return phonenumbers.format_number(number, form)


def region_of_zone(timezone: str) -> str:
    """The country (ISO 3166 code) of an IANA zone, DEFAULT_REGION when the tz database does not say."""
    return _zone_countries().get(timezone, DEFAULT_REGION)


@functools.cache
def _zone_countries() -> dict[str, str]:
    out: dict[str, str] = {}
    for text in _zone_tabs():
        for line in text.splitlines():
            if line.startswith("#") or not line.strip():
                continue
            parts = line.split("\t")
            if len(parts) >= 3:
                # zone1970.tab lists several countries for a shared zone; the first is the zone's own.
                out.setdefault(parts[2], parts[0].split(",")[0])
    return out


def _zone_tabs() -> list[str]:
    """zone.tab from the system's tz database, or from the `tzdata` package where Python reads zones there."""
    found = []
    for root in zoneinfo.TZPATH:
        path = Path(root) / "zone.tab"
        if path.is_file():
            found.append(path.read_text(encoding="utf-8"))
            break
    try:
        from importlib.resources import files

        found.append((files("tzdata") / "zoneinfo" / "zone.tab").read_text(encoding="utf-8"))
    except (ImportError, FileNotFoundError, OSError):
        pass
    return found
