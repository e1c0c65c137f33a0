"""What the self check-in kiosk reads from the cache, and nothing more.

A kiosk stands in a public lobby, so what it can read is private by construction: a family is
its initial and its children's first names; a child carries the kinds of its alerts (to decide
"please see the front desk"), never their text; no phone number, balance or last name leaves
this module.

    kiosk = KioskData(store)
    families = kiosk.families_by_phone("0101")          # guardians' (or the family's) phone ends so
    children = kiosk.children_today(families[0].family_id, location_id, now)

Reads answer from the cache (offline too); writes stay with sync.store.DeskStore.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlmodel import Session, col, select

from sync import db
from sync.queries import enrolled_on, sessions_on, zone_of
from sync.core.schema import Attendance, CheckIn, Contact, Enrollment, Family, Student
from sync.search import alerts_for
from sync.store import DeskStore

PHONE_DIGITS = 4
_EXTENSION = re.compile(r"\s*(?:x|ext\.?|extension)\s*\d*\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class KioskFamily:
    """A family as a lobby may see it: "L. — Emma, Noah"."""

    family_id: str
    initial: str  # the family name's first letter, upper case ("" when the name is empty)
    first_names: tuple[str, ...]  # its active children, by first name


@dataclass(frozen=True)
class KioskClass:
    """One of a child's classes today at the kiosk's location."""

    session_id: str
    name: str
    level: str
    starts_at: dt.datetime  # aware, location time
    ends_at: dt.datetime
    cancelled: bool
    checked_in: bool  # a check-in to this class exists for the child
    status: str | None  # the child's mark in it: present, late, absent or None


@dataclass(frozen=True)
class KioskChild:
    student_id: str
    first_name: str
    alert_kinds: frozenset[str]  # kinds of the child's and the family's active alerts (never their text)
    classes: tuple[KioskClass, ...]  # enrolled today here (or already checked in), by start time


def phone_digits(phone: str) -> str:
    """The digits of a phone number as typed on file, without an extension ("x12")."""
    return "".join(ch for ch in _EXTENSION.sub("", phone) if ch in "0123456789")


def families_by_phone(s: Session, digits: str, limit: int = 20) -> list[KioskFamily]:
    """Families with a guardian (or the family itself) whose phone ends in `digits`; only
    families with an active child. At most `limit` (ask for one more to know there are more)."""
    if not digits.isdigit() or not digits.isascii():
        return []
    # LIKE narrows the scan to phones holding those digits in order; the ending is checked here,
    # because phones are kept as typed ("(312) 555-0101", "555 01 01").
    pattern = "%" + "%".join(digits) + "%"
    rows = [
        *s.exec(select(Contact.family_id, Contact.phone).where(col(Contact.phone).like(pattern))).all(),
        *s.exec(select(Family.id, Family.phone).where(col(Family.phone).like(pattern))).all(),
    ]
    ids = sorted({family_id for family_id, phone in rows if phone_digits(phone).endswith(digits)})
    found = [f for f in (kiosk_family(s, family_id) for family_id in ids) if f is not None and f.first_names]
    found.sort(key=lambda f: (f.initial, [n.casefold() for n in f.first_names], f.family_id))
    return found[:limit]


def kiosk_family(s: Session, family_id: str) -> KioskFamily | None:
    family = s.get(Family, family_id)
    if family is None:
        return None
    names = tuple(st.first_name for st in _children(s, family_id))
    return KioskFamily(family_id=family.id, initial=family.name.strip()[:1].upper(), first_names=names)


def family_of_student(s: Session, student_id: str) -> str | None:
    student = s.get(Student, student_id)
    return student.family_id if student is not None else None


def children_today(s: Session, family_id: str, location_id: str, now: dt.datetime) -> list[KioskChild]:
    """The family's active children with their classes today at the location (its date at `now`).

    A class counts when the child is enrolled in it that day, or was already checked in to it
    (a drop-in the front desk recorded), so the kiosk can say "checked in".
    Raises queries.NotFound for an unknown location.
    """
    zone = zone_of(s, location_id)
    today = (now if now.tzinfo else now.replace(tzinfo=dt.UTC)).astimezone(zone).date()
    children = _children(s, family_id)
    if not children:
        return []
    ids = [c.id for c in children]
    sessions = sessions_on(s, location_id, today)
    session_ids = [v.id for v in sessions]
    enrolled: dict[str, set[str]] = {i: set() for i in ids}
    for student_id, schedule_id in s.exec(
        select(Enrollment.student_id, Enrollment.schedule_id).where(col(Enrollment.student_id).in_(ids), enrolled_on(today))
    ).all():
        enrolled[student_id].add(schedule_id)
    checked = set(
        s.exec(
            select(CheckIn.student_id, CheckIn.session_id).where(
                col(CheckIn.student_id).in_(ids), col(CheckIn.session_id).in_(session_ids)
            )
        ).all()
    )
    marks = {
        (student_id, session_id): status
        for student_id, session_id, status in s.exec(
            select(Attendance.student_id, Attendance.session_id, Attendance.status).where(
                col(Attendance.student_id).in_(ids), col(Attendance.session_id).in_(session_ids)
            )
        ).all()
    }
    alerts = alerts_for(s.connection(), [(c.id, c.family_id) for c in children])
    out = []
    for child in children:
        classes = tuple(
            KioskClass(
                session_id=v.id, name=v.name, level=v.level, starts_at=v.starts_at, ends_at=v.ends_at,
                cancelled=v.cancelled, checked_in=(child.id, v.id) in checked, status=marks.get((child.id, v.id)),
            )
            for v in sessions
            if v.schedule_id in enrolled[child.id] or (child.id, v.id) in checked
        )
        kinds = frozenset(a.kind for a in alerts.get(child.id, ()))
        out.append(KioskChild(student_id=child.id, first_name=child.first_name, alert_kinds=kinds, classes=classes))
    return out


def _children(s: Session, family_id: str) -> list[Student]:
    rows = s.exec(select(Student).where(Student.family_id == family_id, col(Student.active))).all()
    return sorted(rows, key=lambda st: (st.first_name.casefold(), st.id))


class KioskData:
    """The kiosk's reads on a desk's cache (see module doc); each opens its own read session."""

    def __init__(self, store: DeskStore):
        self.store = store

    def families_by_phone(self, digits: str, limit: int = 20) -> list[KioskFamily]:
        with db.read_session(self.store.cache.engine) as s:
            return families_by_phone(s, digits, limit)

    def family(self, family_id: str) -> KioskFamily | None:
        with db.read_session(self.store.cache.engine) as s:
            return kiosk_family(s, family_id)

    def family_of_card(self, number: str) -> str | None:
        """The family of the student a member card was given to, or None for an unknown card.
        Raises sync.errors.AuthError when this desk has no member-card key yet."""
        student_id = self.store.student_by_card(number)
        if student_id is None:
            return None
        with db.read_session(self.store.cache.engine) as s:
            return family_of_student(s, student_id)

    def children_today(self, family_id: str, location_id: str, now: dt.datetime) -> list[KioskChild]:
        with db.read_session(self.store.cache.engine) as s:
            return children_today(s, family_id, location_id, now)
