"""What the desk's screens read: plain, immutable values made from the cache.

The desk UI never sees SQL rows; `sync.store.DeskStore` answers with these.
Times here are aware datetimes in the location's time zone, ready to show.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass(frozen=True)
class LocationView:
    id: str
    name: str
    code: str
    timezone: str


@dataclass(frozen=True)
class AlertView:
    kind: str  # medical, allergy, waiver, balance, note (sync.core.schema.ALERT_KINDS) or "birthday"
    severity: str  # red, amber, blue
    text: str


@dataclass(frozen=True)
class StudentHit:
    """One line of search results."""

    id: str
    first_name: str
    last_name: str
    family_id: str
    family_name: str
    age: int | None
    alerts: tuple[AlertView, ...] = ()

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


@dataclass(frozen=True)
class SessionView:
    """A class session, as listed on the roster screen and the student card."""

    id: str
    schedule_id: str
    location_id: str
    name: str
    level: str
    coach: str
    starts_at: dt.datetime  # aware, location time
    ends_at: dt.datetime  # aware, location time
    enrolled: int  # students enrolled on that date
    present: int  # marked present or late
    cancelled: bool = False


@dataclass(frozen=True)
class SessionChoice:
    """A session a student could be checked into today."""

    session: SessionView
    enrolled: bool  # the student is enrolled in this class (others are drop-ins)
    status: str | None  # the student's current mark in it: present, absent, late or None
    checked_in: bool  # a check-in to this session exists for the student


@dataclass(frozen=True)
class GuardianView:
    name: str
    relation: str
    phone: str
    email: str
    is_primary: bool


@dataclass(frozen=True)
class StudentCard:
    student: StudentHit
    birth_date: dt.date | None
    guardians: tuple[GuardianView, ...]
    alerts: tuple[AlertView, ...]  # student's and family's, red first
    sessions_today: tuple[SessionChoice, ...]  # at the location, by start time
    suggested_session_id: str | None  # the enrolled class starting next (or running now)


@dataclass(frozen=True)
class RosterRow:
    student_id: str
    first_name: str
    last_name: str
    status: str | None  # present, absent, late or None (not marked)
    checked_in: bool
    alerts: tuple[AlertView, ...] = ()
    drop_in: bool = False  # marked or checked in without an enrollment

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


@dataclass(frozen=True)
class CheckInOutcome:
    student_name: str
    session_name: str | None
    starts_at: dt.datetime | None  # aware, location time
    already: bool  # the student was already checked in to this session: nothing new recorded
    check_in_id: str | None  # None when already


@dataclass(frozen=True)
class CardCheckIn:
    """What a member-card swipe did: checked a student in (`outcome`, with their card), or found
    no student with that card (`card` None: offer to assign it)."""

    card: StudentCard | None
    outcome: CheckInOutcome | None

    @property
    def known(self) -> bool:
        return self.card is not None


@dataclass(frozen=True)
class RejectedView:
    """A change the server refused: shown in "needs attention", never dropped."""

    mutation_id: str
    seq: int
    type: str
    made_at: dt.datetime  # UTC
    code: str
    message: str
    summary: str  # what the change was, in words ("Check-in of Emma Lee")


@dataclass(frozen=True)
class SyncStatus:
    online: bool = False
    pending: int = 0
    rejected: int = 0
    last_sync: dt.datetime | None = None  # UTC of the last successful push+pull
    error: str | None = None  # why the last attempt failed, in words
    syncing: bool = False
    needs_sign_in: bool = False  # the server no longer accepts our tokens
    extra: dict = field(default_factory=dict, compare=False)
