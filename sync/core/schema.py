"""Records shared by the desk cache and the server's account database.

These classes are the contract between both sides: the server stores them in each account's
database, the desk keeps a disposable copy of them in its cache, and the wire format
(`sync.core.wire`) carries them as plain dicts made by `record_to_wire`.

Conventions:
- `id` is a UUIDv7 string made where the record is born (desk or server), never an integer.
- `usn` is the account's change sequence number at the row's last write on the server (like
  Anki's USN). On the desk, a row written locally and not yet confirmed by a pull has usn None.
- Datetimes are naive UTC (SQLite and PostgreSQL `timestamp` both drop the offset); they are
  shown in the location's time zone. Dates are plain local dates of the location.
- Money is integer cents, in the account's one currency; never a float (tests/sync/test_no_float_money.py).
- No foreign-key constraints: a pull may bring rows in any order, and the server's mutation
  appliers check references themselves so that a bad reference is a clean rejection.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from typing import Literal

from pydantic import NaiveDatetime
from sqlmodel import Field, SQLModel, UniqueConstraint

# SQLModel >= 0.0.50 maps a plain `datetime` field to UTCDateTime, which refuses naive values and
# reads back aware ones; NaiveDatetime keeps the naive-UTC convention above (a plain DateTime).

AttendanceStatus = Literal["present", "absent", "late"]
ATTENDANCE_STATUSES: tuple[str, ...] = ("present", "absent", "late")
StaffGroup = Literal["owner", "manager", "front-desk", "coach", "kiosk"]
# The built-in groups (their permissions: sync.core.permissions); Staff.group may also name a custom group.
STAFF_GROUPS: tuple[str, ...] = ("owner", "manager", "front-desk", "coach", "kiosk")
AlertKind = Literal["medical", "allergy", "waiver", "balance", "note"]
ALERT_KINDS: tuple[str, ...] = ("medical", "allergy", "waiver", "balance", "note")
# How loud an alert is at the desk (UX.md): red for health, amber for money and paperwork.
ALERT_SEVERITY: dict[str, str] = {
    "medical": "red",
    "allergy": "red",
    "waiver": "amber",
    "balance": "amber",
    "note": "blue",
}


class SyncedRecord(SQLModel):
    """Columns every shared record carries."""

    id: str = Field(primary_key=True, max_length=36)
    usn: int | None = Field(default=None, index=True)


class Location(SyncedRecord, table=True):
    name: str
    code: str = Field(max_length=8)  # short code used in receipt numbers, e.g. "DT"
    timezone: str = "America/Chicago"  # IANA name
    address: str = ""
    phone: str = ""
    hours: str = ""  # opening hours, "0 09:00-20:00;5 08:00-14:00" (sync.core.class_times.format_hours)
    active: bool = True


class Room(SyncedRecord, table=True):
    """A room or area of a location where a class meets ("Main floor", "Pool")."""

    location_id: str = Field(index=True, max_length=36)
    name: str
    capacity: int | None = None
    active: bool = True


class Program(SyncedRecord, table=True):
    """A group of classes: Recreational Gymnastics, Swim Lessons, Ninja."""

    name: str
    description: str = ""
    active: bool = True


class Closure(SyncedRecord, table=True):
    """A location closed from `start_date` to `end_date` (both included): no session is held then."""

    location_id: str = Field(index=True, max_length=36)
    name: str  # "Thanksgiving", "Winter break"
    start_date: dt.date
    end_date: dt.date
    active: bool = True  # False: removed (the sessions it cancelled come back)


class Family(SyncedRecord, table=True):
    name: str = Field(index=True)  # the family (last) name as the desk calls it
    email: str = ""  # primary address for receipts
    phone: str = ""
    address: str = ""


class Contact(SyncedRecord, table=True):
    """A guardian or other contact of a family."""

    family_id: str = Field(index=True)
    first_name: str
    last_name: str
    relation: str = "guardian"
    email: str = ""
    phone: str = ""
    is_primary: bool = False


class Student(SyncedRecord, table=True):
    family_id: str = Field(index=True)
    first_name: str
    last_name: str
    birth_date: dt.date | None = None
    gender: str = ""
    active: bool = True


class ClassSchedule(SyncedRecord, table=True):
    """A weekly class: 'Level 2 Tumbling, Mondays and Wednesdays 4:00 PM at Downtown'.

    `times` holds every meeting of the week ("0 16:00 60;2 16:00 60", sync.core.class_times); weekday,
    start_time and duration_minutes repeat its first meeting for the readers that show one.
    `coach` is the instructors' names as shown, kept by the appliers from `instructor_ids`.
    """

    __tablename__ = "class_schedule"
    location_id: str = Field(index=True)
    name: str
    level: str = ""
    weekday: int  # 0 = Monday, as datetime.date.weekday()
    start_time: dt.time  # local time at the location
    duration_minutes: int = 60
    coach: str = ""
    capacity: int = 12
    active: bool = True
    program_id: str | None = Field(default=None, max_length=36)
    room_id: str | None = Field(default=None, max_length=36)
    times: str = ""  # every weekly meeting; "" on rows older than it: the one meeting above
    age_min: int | None = None  # years, both ends included
    age_max: int | None = None
    term_start: dt.date | None = None  # None: since always
    term_end: dt.date | None = None  # None: ongoing
    instructor_ids: str = ""  # staff ids, comma-separated, lead first
    tuition_cents: int = 0  # monthly tuition (billing uses it later)


class ClassSession(SyncedRecord, table=True):
    """One occurrence of a class on a date."""

    __tablename__ = "class_session"
    schedule_id: str = Field(index=True)
    location_id: str = Field(index=True)
    date: dt.date = Field(index=True)  # local date at the location
    starts_at: NaiveDatetime  # UTC
    ends_at: NaiveDatetime  # UTC
    cancelled: bool = False
    # The weekly meeting this session stands for (None on rows made before server.sessions); a
    # session moved to another day keeps it, so the schedule's planner does not make it again.
    planned_date: dt.date | None = None
    changed: bool = False  # cancelled or moved by hand: the planner leaves it as staff set it
    instructor_id: str | None = Field(default=None, max_length=36)  # a substitute for this one session
    note: str = ""  # why it was cancelled or moved ("Closed: Thanksgiving")


class Enrollment(SyncedRecord, table=True):
    """A student in a class from `start_date` to `end_date`, or waiting for a place in it
    (sync.core.enrollment_mutations). Only "enrolled" rows take places; a waiting row's dates are the
    ones asked for. Rows are never deleted: a drop sets `end_date`, a pass sets "passed"."""

    student_id: str = Field(index=True)
    schedule_id: str = Field(index=True)
    start_date: dt.date
    end_date: dt.date | None = None  # None: still enrolled
    status: str = "enrolled"  # enrolled | waitlist | offered (a place is held for them) | passed
    asked: str = "enrolled"  # what the desk asked for: "enrolled" kept as "waitlist" is an outcome to tell
    queued_usn: int | None = None  # the waitlist's order: the server's change number when the row joined it
    drop_reason: str = ""
    overfill_reason: str = ""  # a place given over capacity, by staff with the permission (audited)
    staff_id: str = Field(default="", max_length=36)  # who enrolled, dropped or offered last


class Attendance(SyncedRecord, table=True):
    """The current mark of one student in one session (the register).

    Its id is derived from (session, student) by `attendance_id`, so two desks marking the same
    child offline write the same row; the latest mark in server order wins, and every mark stays
    in `AttendanceMark`.
    """

    __table_args__ = (UniqueConstraint("session_id", "student_id"),)
    session_id: str = Field(index=True)
    student_id: str = Field(index=True)
    status: str  # one of ATTENDANCE_STATUSES
    mark_id: str  # the AttendanceMark that set this status
    marked_at: NaiveDatetime  # desk clock of that mark, UTC; for display only, never for order
    staff_id: str


class AttendanceMark(SyncedRecord, table=True):
    """Every attendance mark ever made (append-only history)."""

    __tablename__ = "attendance_mark"
    session_id: str = Field(index=True)
    student_id: str = Field(index=True)
    status: str
    staff_id: str
    desk_id: str
    made_at: NaiveDatetime  # desk clock, UTC


class CheckIn(SyncedRecord, table=True):
    """A student arrived (append-only fact)."""

    __tablename__ = "check_in"
    student_id: str = Field(index=True)
    location_id: str = Field(index=True)
    session_id: str | None = Field(default=None, index=True)
    staff_id: str
    desk_id: str
    checked_in_at: NaiveDatetime  # desk clock, UTC


class Alert(SyncedRecord, table=True):
    """A note that must be seen at the desk: medical, allergy, missing waiver, balance due."""

    family_id: str | None = Field(default=None, index=True)
    student_id: str | None = Field(default=None, index=True)
    kind: str  # one of ALERT_KINDS
    text: str
    active: bool = True


class Staff(SyncedRecord, table=True):
    """A staff member as every desk of the account sees them (no secrets here)."""

    username: str = Field(unique=True)
    display_name: str
    group: str = "front-desk"  # one of STAFF_GROUPS or a custom group's name
    active: bool = True


class MemberCard(SyncedRecord, table=True):
    """A member card or key tag given to a student, kept as a keyed hash of its number, never the
    number (sync.core.member_cards). Its id comes from the hash (`member_card_id`)."""

    __tablename__ = "member_card"
    card_hash: str = Field(unique=True, max_length=64)
    student_id: str = Field(index=True)
    staff_id: str  # who assigned it
    assigned_at: NaiveDatetime  # desk clock, UTC


LedgerKind = Literal["charge", "payment", "credit", "void", "refund", "adjustment"]
LEDGER_KINDS: tuple[str, ...] = ("charge", "payment", "credit", "void", "refund", "adjustment")
ChargeCategory = Literal["tuition", "registration", "drop_in", "fee", "other"]
CHARGE_CATEGORIES: tuple[str, ...] = ("tuition", "registration", "drop_in", "fee", "other")
PaymentMethodName = Literal["cash", "check", "card_present", "card_keyed", "terminal", "credit"]
PAYMENT_METHODS: tuple[str, ...] = ("cash", "check", "card_present", "card_keyed", "terminal", "credit")
CARD_METHODS: frozenset[str] = frozenset({"card_present", "card_keyed"})  # need the gateway: online only
# Methods a desk records by itself, offline too (DESIGN.md): the money is in the drawer or elsewhere.
RECORDED_METHODS: frozenset[str] = frozenset({"cash", "check", "terminal", "credit"})


class LedgerEntry(SyncedRecord, table=True):
    """One immutable line of a family's ledger (append-only fact; sync.core.ledger derives the rest).

    `amount_cents` is the entry's signed effect on the family's balance (what the family owes):
    a charge is positive, a payment or credit negative, a refund positive (money went back), a
    void the exact negation of the entry it voids, an adjustment either sign. A payment from
    account credit moves no money: its amount is 0 and its allocations say what it paid.
    A correction (void, refund, adjustment) names the entry it corrects in `corrects_id`.
    """

    __tablename__ = "ledger_entry"
    family_id: str = Field(index=True, max_length=36)
    location_id: str = Field(max_length=36)
    student_id: str | None = Field(default=None, max_length=36)
    kind: str  # one of LEDGER_KINDS
    category: str = ""  # charges: one of CHARGE_CATEGORIES
    description: str = ""
    amount_cents: int
    corrects_id: str | None = Field(default=None, index=True, max_length=36)
    method: str = ""  # payments and refunds: one of PAYMENT_METHODS
    receipt_no: str | None = Field(default=None, unique=True, max_length=32)  # payments and refunds
    check_number: str = ""
    tendered_cents: int | None = None  # cash: what was handed over
    change_cents: int | None = None  # cash: what was given back
    card_brand: str = ""  # cards: brand and last four only, never the number (PCI DSS)
    card_last4: str = ""
    approval_code: str = ""
    gateway_ref: str = ""  # the gateway's id of the charge, for voids and refunds
    reason: str = ""  # corrections: why
    staff_id: str = Field(max_length=36)
    desk_id: str = Field(max_length=36)
    made_at: NaiveDatetime  # desk clock, UTC
    business_date: dt.date  # local date at the location when made: decides void (same day) or refund


class LedgerAllocation(SyncedRecord, table=True):
    """Part of a payment (or credit) applied to one charge. Append-only; sync.core.ledger caps it at
    what the charge still owed, in server order, so two desks paying one charge offline both count
    and the excess becomes credit."""

    __tablename__ = "ledger_allocation"
    family_id: str = Field(index=True, max_length=36)
    payment_id: str = Field(index=True, max_length=36)
    charge_id: str = Field(index=True, max_length=36)
    amount_cents: int  # > 0


class DrawerCount(SyncedRecord, table=True):
    """End of shift: what the desk expected by method against the cash counted (append-only)."""

    __tablename__ = "drawer_count"
    location_id: str = Field(index=True, max_length=36)
    desk_id: str = Field(max_length=36)
    staff_id: str = Field(max_length=36)  # whose shift
    period_start: NaiveDatetime  # UTC
    period_end: NaiveDatetime  # UTC
    opening_float_cents: int = 0
    expected_cash_cents: int  # float + cash payments - cash refunds in the period
    expected_check_cents: int = 0
    expected_card_cents: int = 0
    expected_terminal_cents: int = 0
    counted_cash_cents: int
    difference_cents: int  # counted - expected cash: negative is short
    note: str = ""
    counted_at: NaiveDatetime  # desk clock, UTC


class ReceiptEmail(SyncedRecord, table=True):
    """A receipt to be emailed by the server, and how that went: every desk sees it.

    Asked for at the desk (offline too: it waits in the outbox behind its payment), sent by the
    server's mail queue (server.mail_queue), which writes the outcome back here.
    """

    __tablename__ = "receipt_email"
    entry_id: str = Field(index=True, max_length=36)  # the payment or refund
    family_id: str = Field(index=True, max_length=36)
    to_address: str = Field(max_length=254)
    status: str = "queued"  # queued, sent, failed
    message: str = ""  # words for the desk when it failed (or why it is still waiting)
    attempts: int = 0
    staff_id: str = Field(max_length=36)  # who asked
    requested_at: NaiveDatetime  # desk clock, UTC
    sent_at: NaiveDatetime | None = None  # server clock, UTC


class KioskReferral(SyncedRecord, table=True):
    """The self check-in kiosk asked a child's family to see the front desk (an alert blocked the
    check-in): the desks show who and why. One per student and day (`kiosk_referral_id`)."""

    __tablename__ = "kiosk_referral"
    student_id: str = Field(index=True, max_length=36)
    location_id: str = Field(max_length=36)
    day: dt.date = Field(index=True)  # local date at the location
    reasons: str  # the blocking alert kinds, comma-separated ("balance,waiver")
    staff_id: str = Field(max_length=36)  # the kiosk's staff member
    desk_id: str = Field(max_length=36)
    made_at: NaiveDatetime  # desk clock, UTC


class CardAbandon(SyncedRecord, table=True):
    """A card call the desk gave up on (no answer in time, Cancel, the window closed, the desk
    killed), by its idempotency key (`id`: the payment's entry id, the void's or the refund's).

    Born at the desk as "cancelling" (an outbox mutation, sync.core.card_abandon); the server keeps it as
    the tombstone of that key and writes the outcome back here: "not_charged" (the call never
    reached the card service, or was declined; a late copy of it is refused), "cancelled" (it had
    gone through and was reversed: `reversal_id` is the void or refund on the ledger), "done" (a
    void or refund that went through: it stands), or "needs_attention" (the reversal failed at
    the card service: `message` says what to do, `gateway_ref` is the charge to void by hand).
    """

    __tablename__ = "card_abandon"
    kind: str = Field(max_length=16)  # sale | void | refund
    family_id: str = Field(index=True, max_length=36)
    target_id: str | None = Field(default=None, max_length=36)  # void, refund: the payment's entry id
    amount_cents: int  # what the call would have moved (> 0)
    status: str = "cancelling"  # cancelling | not_charged | cancelled | done | needs_attention
    message: str = ""
    gateway_ref: str = ""
    reversal_id: str | None = Field(default=None, max_length=36)
    card_brand: str = ""
    card_last4: str = ""
    why: str = ""  # timeout | cancel | no_connection | closed | desk_stopped
    staff_id: str = Field(max_length=36)
    desk_id: str = Field(max_length=36)
    made_at: NaiveDatetime  # desk clock, UTC


# Wire names of the shared records, in an order that puts referenced rows first.
RECORD_TYPES: dict[str, type[SyncedRecord]] = {
    "location": Location,
    "room": Room,
    "program": Program,
    "closure": Closure,
    "staff": Staff,
    "family": Family,
    "contact": Contact,
    "student": Student,
    "class_schedule": ClassSchedule,
    "class_session": ClassSession,
    "enrollment": Enrollment,
    "alert": Alert,
    "check_in": CheckIn,
    "attendance_mark": AttendanceMark,
    "attendance": Attendance,
    "member_card": MemberCard,
    "ledger_entry": LedgerEntry,
    "ledger_allocation": LedgerAllocation,
    "drawer_count": DrawerCount,
    "receipt_email": ReceiptEmail,
    "kiosk_referral": KioskReferral,
    "card_abandon": CardAbandon,
}
TYPE_OF_RECORD: dict[type[SyncedRecord], str] = {v: k for k, v in RECORD_TYPES.items()}

SHARED_TABLES = [cls.__table__ for cls in RECORD_TYPES.values()]  # type: ignore[attr-defined]

_ATTENDANCE_NS = uuid.UUID("6f1b7c1e-2d0a-4f7e-9a54-0c8e6b0f5a11")
_ATTENDANCE_NS_BYTES = _ATTENDANCE_NS.bytes


def attendance_id(session_id: str, student_id: str) -> str:
    """The one id of the register row of a student in a session, the same on every desk.

    It is uuid5(_ATTENDANCE_NS, "session/student"), computed without the UUID objects: a push of
    a day's marks makes thousands (tests/sync/test_schema_ids.py holds it equal to uuid.uuid5).
    """
    b = bytearray(hashlib.sha1(_ATTENDANCE_NS_BYTES + f"{session_id}/{student_id}".encode()).digest()[:16])
    b[6] = (b[6] & 0x0F) | 0x50  # version 5
    b[8] = (b[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = b.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def record_to_wire(record: SyncedRecord) -> dict:
    """A record as a JSON-ready dict (dates and times as ISO strings)."""
    return record.model_dump(mode="json")


def record_from_wire(type_name: str, data: dict) -> SyncedRecord:
    """Rebuild a record of a wire type; raises KeyError for an unknown type, ValueError for bad data."""
    cls = RECORD_TYPES[type_name]
    return cls.model_validate(data)
