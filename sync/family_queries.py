"""The family screen's data from the cache: guardians, students, alerts and the ledger.

The ledger is worked out by sync.core.ledger from the family's rows, pending ones (usn None) last,
exactly as the server will order them once they arrive. Each line is shown in its location's
time zone, and what staff may still do to it (void or refund) is judged on that location's
business day: a payment taken in Chicago at 7 PM is still "today" there after UTC midnight.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, or_, select

from sync.core.ledger import correction_for
from sync.core.ledger_mutations import family_ledger
from sync.core.card_abandon import status_text
from sync.ledger_words import amount_text, method_text
from sync.money_views import FamilyStudentView, FamilyView, GuardianView, LedgerRow, OpenCharge
from sync.queries import NotFound, local
from sync.core.schema import Alert, ALERT_SEVERITY, CardAbandon, Contact, Family, LedgerEntry, Location, Staff, Student
from sync.search import age_on, sort_alerts
from sync.views import AlertView

UTC_ZONE = ZoneInfo("UTC")


def home_zone(s: Session, location_id: str | None) -> ZoneInfo:
    """The zone of the given location (NotFound if unknown), else of the first location on file."""
    if location_id is not None:
        location = s.get(Location, location_id)
        if location is None:
            raise NotFound(f"no location {location_id}")
        return ZoneInfo(location.timezone)
    first = s.exec(select(Location).order_by(Location.name)).first()
    return ZoneInfo(first.timezone) if first is not None else UTC_ZONE


def family_view(s: Session, family_id: str, location_id: str | None, now: dt.datetime, currency: str) -> FamilyView:
    family = s.get(Family, family_id)
    if family is None:
        raise NotFound(f"no family {family_id}")
    zone = home_zone(s, location_id)
    today = now.astimezone(zone).date()
    students = s.exec(select(Student).where(Student.family_id == family_id)).all()
    students = sorted(students, key=lambda st: (not st.active, st.first_name.casefold(), st.id))
    contacts = s.exec(select(Contact).where(Contact.family_id == family_id)).all()
    contacts = sorted(contacts, key=lambda c: (not c.is_primary, c.last_name.casefold(), c.first_name.casefold()))
    ledger = family_ledger(s, family_id)
    return FamilyView(
        id=family.id,
        name=family.name,
        email=family.email,
        phone=family.phone,
        guardians=tuple(
            GuardianView(f"{c.first_name} {c.last_name}".strip(), c.relation, c.phone, c.email, c.is_primary)
            for c in contacts
        ),
        students=tuple(
            FamilyStudentView(st.id, f"{st.first_name} {st.last_name}".strip(), age_on(st.birth_date, today), st.active)
            for st in students
        ),
        alerts=_alerts(s, family_id, students),
        ledger=_with_attempts(s, family_id, _rows(s, ledger, zone, now), zone),
        open_charges=tuple(
            OpenCharge(st.entry.id, st.entry.description, st.entry.business_date, st.open_cents) for st in ledger.open_charges
        ),
        balance_cents=ledger.balance_cents,
        credit_cents=ledger.credit_cents,
        currency=currency,
    )


def _alerts(s: Session, family_id: str, students: list[Student]) -> tuple[AlertView, ...]:
    names = {st.id: st.first_name for st in students}
    rows = s.exec(
        select(Alert)
        .where(Alert.active)
        .where(or_(Alert.family_id == family_id, col(Alert.student_id).in_(list(names))))
        .order_by(Alert.id)
    ).all()
    views = []
    for a in rows:
        who = names.get(a.student_id) if a.student_id else None
        views.append(AlertView(a.kind, ALERT_SEVERITY.get(a.kind, "blue"), f"{who}: {a.text}" if who else a.text))
    return tuple(sort_alerts(views))


def _rows(s: Session, ledger, zone: ZoneInfo, now: dt.datetime) -> tuple[LedgerRow, ...]:
    by_id = {st.entry.id: st.entry for st in ledger.entries}
    staff_ids = {st.entry.staff_id for st in ledger.entries}
    staff = dict(s.exec(select(Staff.id, Staff.display_name).where(col(Staff.id).in_(staff_ids))).all()) if staff_ids else {}
    zones: dict[str, ZoneInfo] = {}
    for loc in s.exec(select(Location)).all():
        zones[loc.id] = ZoneInfo(loc.timezone)
    rows = []
    for st in ledger.entries:
        e = st.entry
        where = zones.get(e.location_id, zone)
        rows.append(
            LedgerRow(
                id=e.id,
                kind=e.kind,
                when=local(e.made_at, where),
                business_date=e.business_date,
                description=e.description,
                method=e.method,
                method_text=_method_text(e, by_id),
                amount_cents=e.amount_cents,
                running_balance_cents=st.running_balance_cents,
                receipt_no=e.receipt_no,
                open_cents=st.open_cents,
                voided=st.voided,
                refundable_cents=st.refundable_cents,
                correction=correction_for(st, now.astimezone(where).date()),
                pending=e.usn is None,
                reason=e.reason,
                staff_name=staff.get(e.staff_id, ""),
            )
        )
    return tuple(rows)


def _with_attempts(s: Session, family_id: str, rows: tuple[LedgerRow, ...], zone: ZoneInfo) -> tuple[LedgerRow, ...]:
    """The ledger with the card calls the desk gave up on (sync.core.card_abandon), each after the
    lines made before it: "Card payment of 45.00: cancelling…", then cancelled or needs attention.
    They move no money (amount 0); a reversed charge shows as its payment and its void."""
    attempts = s.exec(select(CardAbandon).where(CardAbandon.family_id == family_id).order_by(CardAbandon.made_at)).all()
    if not attempts:
        return rows
    out = list(rows)
    for a in attempts:
        when = local(a.made_at, zone)
        at = next((i for i, r in enumerate(out) if r.when > when), len(out))
        balance = out[at - 1].running_balance_cents if at else 0
        words = status_text(a).replace(":", f" of {amount_text(a.amount_cents)}:", 1)
        out.insert(at, LedgerRow(
            id=a.id, kind="card_attempt", when=when, business_date=when.date(), description=words, method="",
            method_text="", amount_cents=0, running_balance_cents=balance, receipt_no=None, open_cents=0,
            voided=False, refundable_cents=0, correction=None, pending=a.usn is None, reason=a.message,
            staff_name="",
        ))  # fmt: skip
    return tuple(out)


def _method_text(e: LedgerEntry, by_id: dict[str, LedgerEntry]) -> str:
    if not e.method:
        return ""
    # A void or refund shows the card or check of the payment it corrects.
    source = by_id.get(e.corrects_id) if e.corrects_id and not (e.card_last4 or e.check_number) else None
    src = source or e
    return method_text(e.method, check_number=src.check_number, brand=src.card_brand, last4=src.card_last4)
