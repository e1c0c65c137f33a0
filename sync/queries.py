"""Reads behind the student card, the day's sessions and the roster.

Times in the cache are naive UTC; each answer is given in the location's time zone, and "today"
is the location's date (a desk in Chicago at 7 PM is still on the same day as its classes, even
though UTC has moved on).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import Session, col, or_, select

from sync.core.contact_fields import phone_text, region_of_zone
from sync.core.kiosk_referrals import referrals_on
from sync.core.schema import (
    Attendance,
    CheckIn,
    ClassSchedule,
    ClassSession,
    Contact,
    Enrollment,
    Family,
    Location,
    Staff,
    Student,
)
from sync.search import age_on, alerts_for, sort_alerts
from sync.views import (
    AlertView,
    GuardianView,
    LocationView,
    RosterRow,
    SessionChoice,
    SessionView,
    StudentCard,
    StudentHit,
)

PRESENT_STATUSES = ("present", "late")


class NotFound(LookupError):
    """The cache has no such record (yet): the screen asked for something it should not know."""


def locations(s: Session) -> list[LocationView]:
    rows = s.exec(select(Location).order_by(Location.name)).all()
    # A retired location (set-up) is no longer one a desk works at.
    return [LocationView(id=r.id, name=r.name, code=r.code, timezone=r.timezone) for r in rows if r.active]


def zone_of(s: Session, location_id: str) -> ZoneInfo:
    location = s.get(Location, location_id)
    if location is None:
        raise NotFound(f"no location {location_id}")
    return ZoneInfo(location.timezone)


def local(utc_naive: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    return utc_naive.replace(tzinfo=dt.UTC).astimezone(zone)


def enrolled_on(day: dt.date):
    """An enrollment active on that day (a where-clause)."""
    # Waiting and offered rows name a class too, but take no place in it until a person enrolls them.
    return (Enrollment.status == "enrolled") & (col(Enrollment.start_date) <= day) & or_(col(Enrollment.end_date).is_(None), col(Enrollment.end_date) >= day)


def sessions_on(s: Session, location_id: str, day: dt.date) -> list[SessionView]:
    zone = zone_of(s, location_id)
    rows = s.exec(
        select(ClassSession, ClassSchedule)
        .join(ClassSchedule, col(ClassSchedule.id) == ClassSession.schedule_id)
        .where(ClassSession.location_id == location_id, ClassSession.date == day)
        .order_by(col(ClassSession.starts_at), col(ClassSchedule.name))
    ).all()
    return _session_views(s, rows, zone)


def _session_views(s: Session, rows: Sequence[tuple[ClassSession, ClassSchedule]], zone: ZoneInfo) -> list[SessionView]:
    ids = [sess.id for sess, _ in rows]
    present = dict(
        s.exec(
            select(Attendance.session_id, func.count())
            .where(col(Attendance.session_id).in_(ids), col(Attendance.status).in_(PRESENT_STATUSES))
            .group_by(Attendance.session_id)
        ).all()
    )
    views = []
    subs = {sess.instructor_id for sess, _ in rows if sess.instructor_id}
    sub_names = dict(s.exec(select(Staff.id, Staff.display_name).where(col(Staff.id).in_(subs))).all()) if subs else {}
    for sess, sched in rows:
        enrolled = s.exec(
            select(func.count()).select_from(Enrollment).where(Enrollment.schedule_id == sched.id, enrolled_on(sess.date))
        ).one()
        views.append(
            SessionView(
                id=sess.id,
                schedule_id=sched.id,
                location_id=sess.location_id,
                name=sched.name,
                level=sched.level,
                coach=sub_names.get(sess.instructor_id or "", sched.coach),  # a substitute for this one session
                starts_at=local(sess.starts_at, zone),
                ends_at=local(sess.ends_at, zone),
                enrolled=enrolled,
                present=present.get(sess.id, 0),
                cancelled=sess.cancelled,
            )
        )
    return views


def student_card(s: Session, student_id: str, location_id: str, now: dt.datetime) -> StudentCard:
    student = s.get(Student, student_id)
    if student is None:
        raise NotFound(f"no student {student_id}")
    zone = zone_of(s, location_id)
    now_utc = _as_utc(now)
    today = now_utc.astimezone(zone).date()
    family = s.get(Family, student.family_id)
    alerts = list(alerts_for(s.connection(), [(student.id, student.family_id)]).get(student.id, ()))
    if _birthday(student.birth_date, today):
        alerts.append(AlertView("birthday", "blue", f"Birthday today: turns {age_on(student.birth_date, today)}"))
    for ref in referrals_on(s, location_id, today, student.id):  # the kiosk sent the family over, and why
        at = ref.when.strftime("%I:%M %p").lstrip("0")
        alerts.append(AlertView("kiosk", "amber", f"Sent to the front desk by the kiosk at {at}: {ref.why}"))
    hit = StudentHit(
        id=student.id,
        first_name=student.first_name,
        last_name=student.last_name,
        family_id=student.family_id,
        family_name=family.name if family else "",
        age=age_on(student.birth_date, today),
        alerts=tuple(sort_alerts(alerts)),
    )
    sessions = sessions_on(s, location_id, today)
    choices = _choices(s, student_id, sessions, today)
    return StudentCard(
        student=hit,
        birth_date=student.birth_date,
        guardians=_guardians(s, student.family_id, region_of_zone(getattr(zone, "key", ""))),
        alerts=hit.alerts,
        sessions_today=tuple(choices),
        suggested_session_id=suggest(choices, now_utc),
    )


def _choices(s: Session, student_id: str, sessions: list[SessionView], today: dt.date) -> list[SessionChoice]:
    ids = [v.id for v in sessions]
    enrolled_schedules = set(
        s.exec(select(Enrollment.schedule_id).where(Enrollment.student_id == student_id, enrolled_on(today))).all()
    )
    marks = dict(
        s.exec(
            select(Attendance.session_id, Attendance.status).where(
                Attendance.student_id == student_id, col(Attendance.session_id).in_(ids)
            )
        ).all()
    )
    checked = set(
        s.exec(select(CheckIn.session_id).where(CheckIn.student_id == student_id, col(CheckIn.session_id).in_(ids))).all()
    )
    return [
        SessionChoice(session=v, enrolled=v.schedule_id in enrolled_schedules, status=marks.get(v.id), checked_in=v.id in checked)
        for v in sessions
    ]


def suggest(choices: Sequence[SessionChoice], now_utc: dt.datetime) -> str | None:
    """The enrolled class running now or starting next; without one, the next class to start."""
    live = [c for c in choices if not c.session.cancelled]
    enrolled = [c for c in live if c.enrolled and c.session.ends_at > now_utc]
    if enrolled:
        return min(enrolled, key=lambda c: c.session.starts_at).session.id
    upcoming = [c for c in live if c.session.starts_at > now_utc]
    return min(upcoming, key=lambda c: c.session.starts_at).session.id if upcoming else None


def _guardians(s: Session, family_id: str, region: str) -> tuple[GuardianView, ...]:
    """Phones as the location's country writes them (stored as E.164: sync.core.contact_fields)."""
    rows = s.exec(select(Contact).where(Contact.family_id == family_id)).all()
    rows = sorted(rows, key=lambda c: (not c.is_primary, c.last_name.casefold(), c.first_name.casefold()))
    return tuple(
        GuardianView(name=f"{c.first_name} {c.last_name}", relation=c.relation, phone=phone_text(c.phone, region),
                     email=c.email, is_primary=c.is_primary)
        for c in rows
    )


def roster(s: Session, session_id: str) -> list[RosterRow]:
    sess = s.get(ClassSession, session_id)
    if sess is None:
        raise NotFound(f"no session {session_id}")
    enrolled = set(
        s.exec(select(Enrollment.student_id).where(Enrollment.schedule_id == sess.schedule_id, enrolled_on(sess.date))).all()
    )
    marks = dict(s.exec(select(Attendance.student_id, Attendance.status).where(Attendance.session_id == session_id)).all())
    checked = set(s.exec(select(CheckIn.student_id).where(CheckIn.session_id == session_id)).all())
    ids = enrolled | set(marks) | checked
    students = s.exec(select(Student).where(col(Student.id).in_(ids))).all() if ids else []
    alerts = alerts_for(s.connection(), [(st.id, st.family_id) for st in students])
    rows = [
        RosterRow(
            student_id=st.id,
            first_name=st.first_name,
            last_name=st.last_name,
            status=marks.get(st.id),
            checked_in=st.id in checked,
            alerts=alerts.get(st.id, ()),
            drop_in=st.id not in enrolled,
        )
        for st in students
    ]
    return sorted(rows, key=lambda r: (r.last_name.casefold(), r.first_name.casefold(), r.student_id))


def _birthday(birth_date: dt.date | None, today: dt.date) -> bool:
    if birth_date is None:
        return False
    if (birth_date.month, birth_date.day) == (2, 29) and not _leap(today.year):
        return (today.month, today.day) == (2, 28)  # a leap-day child celebrates on the 28th
    return (birth_date.month, birth_date.day) == (today.month, today.day)


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _as_utc(now: dt.datetime) -> dt.datetime:
    """An aware UTC datetime; a naive one is taken as UTC, the rule for stored times."""
    return now.replace(tzinfo=dt.UTC) if now.tzinfo is None else now.astimezone(dt.UTC)
