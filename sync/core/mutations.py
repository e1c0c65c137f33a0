"""Mutation types and the one function that applies them.

The same appliers run in two places, so a change means the same thing on both sides:
- on the server, inside the account database transaction, with `next_usn` handing out the
  account's change numbers; a `Rejected` there becomes the mutation's rejected result;
- on the desk, against the cache, with `next_usn` returning None (the row is pending until a
  pull brings the server's version), both when the change is made and when pending mutations
  are re-applied on top of a pull.

Appliers are idempotent: applying a mutation whose rows already exist changes nothing that the
server has confirmed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlmodel import Session

from sync.core.schema import (
    Attendance,
    AttendanceMark,
    CheckIn,
    ClassSession,
    Location,
    MemberCard,
    Student,
    SyncedRecord,
    attendance_id,
)
from sync.core import (
    card_abandon,
    card_attention,
    edit_mutations,
    enrollment_mutations,
    family_mutations,
    kiosk_referrals,
    ledger_mutations,
    receipt_mutations,
    settings_audit,
    setup_mutations,
)
from sync.core.member_cards import member_card_id
from sync.core.rejections import Rejected
from sync.core.wire import Mutation, UtcDateTime

NextUsn = Callable[[], int | None]


class _Payload(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CheckInPayload(_Payload):
    """A student arrived; with a session, they are also marked present (or late) in it."""

    check_in_id: str = Field(min_length=1, max_length=36)
    student_id: str = Field(min_length=1, max_length=36)
    location_id: str = Field(min_length=1, max_length=36)
    session_id: str | None = Field(default=None, max_length=36)
    mark_id: str | None = Field(default=None, max_length=36)  # required with session_id
    status: Literal["present", "late"] = "present"
    checked_in_at: UtcDateTime


class AttendancePayload(_Payload):
    """A mark in a session's register."""

    mark_id: str = Field(min_length=1, max_length=36)
    session_id: str = Field(min_length=1, max_length=36)
    student_id: str = Field(min_length=1, max_length=36)
    status: Literal["present", "absent", "late"]


class DiscardPayload(_Payload):
    """Staff let go of a change the server had refused. It writes no record: the server audits it."""

    mutation_id: str = Field(min_length=1, max_length=36)
    seq: int = Field(ge=1)
    type: str = Field(min_length=1, max_length=64)
    code: str | None = None
    reason: str = Field(default="", max_length=500)
    payload: dict[str, Any] = Field(default_factory=dict)


class CardAssignPayload(_Payload):
    """A member card given to a student (taken from whoever had it): the card's keyed hash only."""

    card_hash: str = Field(pattern=r"^[0-9a-f]{64}$")
    student_id: str = Field(min_length=1, max_length=36)


CHECK_IN = "check_in"
ATTENDANCE_MARK = "attendance.mark"
CARD_ASSIGN = "card.assign"
OUTBOX_DISCARD = "outbox.discard"
PAYLOADS: dict[str, type[BaseModel]] = {
    CHECK_IN: CheckInPayload,
    ATTENDANCE_MARK: AttendancePayload,
    CARD_ASSIGN: CardAssignPayload,
    OUTBOX_DISCARD: DiscardPayload,
    **ledger_mutations.PAYLOADS,  # money: sync.core.ledger_mutations
    **edit_mutations.PAYLOADS,  # the family file, last writer wins per field: sync.core.edit_mutations
    **family_mutations.PAYLOADS,  # a new family in one step, a student added or moved: sync.core.family_mutations
    **receipt_mutations.PAYLOADS,  # receipts by email, sent by the server's mail queue
    **kiosk_referrals.PAYLOADS,  # the kiosk sending a family to the front desk
    **settings_audit.PAYLOADS,  # a desk's own settings changed: audited on the server, nothing stored
    **card_abandon.PAYLOADS,  # a card call the desk gave up on, by its key (the server's tombstone)
    **card_attention.PAYLOADS,  # a card item in "needs attention" marked handled, with a note
    **setup_mutations.PAYLOADS,  # locations, rooms, programs, classes, closures, one session's changes
    **enrollment_mutations.PAYLOADS,  # enroll, drop, transfer, the waitlist and its offers
}


def parse_payload(mutation: Mutation) -> BaseModel:
    cls = PAYLOADS.get(mutation.type)
    if cls is None:
        raise Rejected("invalid", f"This desk sent a kind of change the server does not know ({mutation.type!r}).")
    try:
        return cls.model_validate(mutation.payload)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "payload"
        raise Rejected("invalid", f"The change was not complete ({where}: {first['msg']}).") from None


def apply_mutation(db: Session, mutation: Mutation, next_usn: NextUsn) -> list[SyncedRecord]:
    """Apply one mutation in the caller's transaction; returns the rows it wrote.

    Raises Rejected when the mutation cannot be applied; the caller rolls back what it wrote.
    """
    payload = parse_payload(mutation)
    if isinstance(payload, CheckInPayload):
        return _check_in(db, mutation, payload, next_usn)
    if isinstance(payload, AttendancePayload):
        return _mark(db, mutation, payload.mark_id, payload.session_id, payload.student_id, payload.status, next_usn)
    if isinstance(payload, CardAssignPayload):
        return _assign_card(db, mutation, payload, next_usn)
    if isinstance(payload, DiscardPayload):
        return []  # nothing to write; server.push records who let which change go, and why
    if isinstance(payload, settings_audit.DeskSettingsPayload):
        return []  # nothing to store: server.push writes the audit entry with the before and after
    if isinstance(payload, card_abandon.AbandonPayload):
        return card_abandon.apply_abandon(db, mutation, payload, next_usn)
    if isinstance(payload, card_attention.HandledPayload):
        return card_attention.apply_handled(db, mutation, payload, next_usn)
    if mutation.type in ledger_mutations.PAYLOADS:
        return ledger_mutations.apply_ledger(db, mutation, payload, next_usn)
    if mutation.type in edit_mutations.PAYLOADS:
        return edit_mutations.apply_edit(db, mutation.type, payload, next_usn)
    if mutation.type in family_mutations.PAYLOADS:
        return family_mutations.apply_family(db, mutation.type, payload, next_usn)
    if mutation.type in setup_mutations.PAYLOADS:
        written = setup_mutations.apply_setup(db, mutation.type, payload, next_usn)
        if mutation.type == "class.update" and "capacity" in mutation.payload.get("changes", {}) and written:
            # A capacity raised opens places: the waitlist is offered them, as after a drop.
            written += enrollment_mutations.offer_places(db, written[0].id, None, mutation.staff_id, next_usn)
        return written
    if mutation.type in enrollment_mutations.PAYLOADS:
        return enrollment_mutations.apply_enrollment(db, mutation.type, payload, mutation.staff_id, next_usn)
    if isinstance(payload, kiosk_referrals.KioskReferralPayload):
        return kiosk_referrals.apply_kiosk_referral(db, mutation.staff_id, mutation.desk_id, mutation.made_at, payload,
                                                    next_usn)  # fmt: skip
    if isinstance(payload, receipt_mutations.ReceiptEmailPayload):
        return receipt_mutations.apply_receipt_email(db, mutation.staff_id, mutation.made_at, payload, next_usn)
    raise AssertionError(f"no applier for {mutation.type}")  # PAYLOADS and this list disagree


def _student(db: Session, student_id: str) -> Student:
    student = db.get(Student, student_id)
    if student is None:
        raise Rejected("not_found", "This student is no longer on file; the change was not recorded.")
    return student


def _session(db: Session, session_id: str) -> ClassSession:
    session = db.get(ClassSession, session_id)
    if session is None:
        raise Rejected("not_found", "This class is no longer on the schedule; the change was not recorded.")
    return session


def _check_in(db: Session, m: Mutation, p: CheckInPayload, next_usn: NextUsn) -> list[SyncedRecord]:
    student = _student(db, p.student_id)
    if db.get(Location, p.location_id) is None:
        raise Rejected("not_found", "This location is no longer on file; the check-in was not recorded.")
    if p.session_id is not None:
        session = _session(db, p.session_id)
        if session.location_id != p.location_id:
            raise Rejected("invalid", "That class is at another location; the check-in was not recorded.")
        if p.mark_id is None:
            raise Rejected("invalid", "The check-in named a class but no attendance mark.")
    written: list[SyncedRecord] = []
    if db.get(CheckIn, p.check_in_id) is None:
        row = CheckIn(
            id=p.check_in_id,
            usn=next_usn(),
            student_id=student.id,
            location_id=p.location_id,
            session_id=p.session_id,
            staff_id=m.staff_id,
            desk_id=m.desk_id,
            checked_in_at=p.checked_in_at,
        )
        db.add(row)
        written.append(row)
    if p.session_id is not None and p.mark_id is not None:
        written += _mark(db, m, p.mark_id, p.session_id, student.id, p.status, next_usn)
    return written


def _mark(
    db: Session, m: Mutation, mark_id: str, session_id: str, student_id: str, status: str, next_usn: NextUsn
) -> list[SyncedRecord]:
    _student(db, student_id)
    _session(db, session_id)
    existing = db.get(AttendanceMark, mark_id)
    if existing is not None and existing.usn is not None:
        # The server already ordered this mark; its register row is the truth, whatever came later.
        return []
    written: list[SyncedRecord] = []
    if existing is None:
        mark = AttendanceMark(
            id=mark_id,
            usn=next_usn(),
            session_id=session_id,
            student_id=student_id,
            status=status,
            staff_id=m.staff_id,
            desk_id=m.desk_id,
            made_at=m.made_at,
        )
        db.add(mark)
        written.append(mark)
    reg_id = attendance_id(session_id, student_id)
    register = db.get(Attendance, reg_id)
    if register is None:
        register = Attendance(
            id=reg_id,
            session_id=session_id,
            student_id=student_id,
            status=status,
            mark_id=mark_id,
            marked_at=m.made_at,
            staff_id=m.staff_id,
        )
    register.status = status
    register.mark_id = mark_id
    register.marked_at = m.made_at
    register.staff_id = m.staff_id
    register.usn = next_usn()
    db.add(register)
    written.append(register)
    return written


def _assign_card(db: Session, m: Mutation, p: CardAssignPayload, next_usn: NextUsn) -> list[SyncedRecord]:
    student = _student(db, p.student_id)
    card_id = member_card_id(p.card_hash)
    card = db.get(MemberCard, card_id)
    if card is None:
        card = MemberCard(id=card_id, card_hash=p.card_hash, student_id=student.id, staff_id=m.staff_id,
                          assigned_at=m.made_at)
    elif card.student_id == student.id and card.usn is not None:
        return []  # already this student's card, as the server ordered it
    card.student_id = student.id  # a card handed on: the latest assignment in server order wins
    card.staff_id = m.staff_id
    card.assigned_at = m.made_at
    card.usn = next_usn()
    db.add(card)
    return [card]
