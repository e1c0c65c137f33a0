"""Money matters that need a person, read from the cache, beside the refused changes in "needs
attention" (sync.store.DeskStore.rejected): a receipt email the server could not send, and a
card charge the server could not cancel after the desk gave up on it (sync.core.card_abandon).

They are facts the server wrote back, not changes of this desk, so they are listed on every desk
that sees money, for as long as they stand: a failed email until it is sent again (a newer
request for the same receipt), a charge that needs a manual void with the words and reference.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import Session, col, select

from sync.core.card_abandon import status_text
from sync.core.class_times import meetings_of, times_words
from sync.core.ids import new_id
from sync.ledger_words import amount_text
from sync.core.receipt_mutations import RECEIPT_EMAIL, ReceiptEmailPayload
from sync.core.schema import (
    CardAbandon,
    ClassSchedule,
    Enrollment,
    Family,
    LedgerEntry,
    ReceiptEmail,
    Student,
)
from sync.views import RejectedView

EMAIL_FAILED = "email_failed"
CARD_NEEDS_HAND = "card_needs_attention"
PLACE_OFFERED = "place_offered"
WAITLISTED = "waitlisted"


def money_items(s: Session) -> list[RejectedView]:
    """Failed receipt emails (the last request of a receipt), then charges to void by hand."""
    items = []
    last: dict[str, ReceiptEmail] = {}
    for email in s.exec(select(ReceiptEmail).order_by(col(ReceiptEmail.requested_at), col(ReceiptEmail.id))).all():
        last[email.entry_id] = email
    for email in last.values():
        if email.status == "failed" and email.usn is not None:
            entry = s.get(LedgerEntry, email.entry_id)
            receipt = f"Receipt {entry.receipt_no}" if entry is not None and entry.receipt_no else "A receipt"
            summary = f"{receipt} by email to {email.to_address}{_of(s, email.family_id)}: not sent"
            items.append(RejectedView(email.id, 0, RECEIPT_EMAIL, email.requested_at, EMAIL_FAILED,
                                      email.message or "The email could not be sent.", summary))  # fmt: skip
    for ab in s.exec(select(CardAbandon).where(CardAbandon.status == "needs_attention")).all():
        summary = status_text(ab).replace(":", f" of {amount_text(ab.amount_cents)}{_of(s, ab.family_id)}:", 1)
        items.append(RejectedView(ab.id, 0, "payment.abandon", ab.made_at, CARD_NEEDS_HAND, ab.message, summary))
    return items


def enrollment_items(s: Session) -> list[RejectedView]:
    """Places the server offered to the first waiting students, and enrollments the server put on
    the waitlist because another desk took the last place first: each needs a call to the family.
    Only rows as the server wrote them (a desk's own unsent guess says nothing yet)."""
    items = []
    rows = s.exec(select(Enrollment).where(col(Enrollment.usn).is_not(None),
                                           col(Enrollment.status).in_(("offered", "waitlist")))).all()  # fmt: skip
    for e in sorted(rows, key=lambda r: (r.queued_usn or 0, r.id)):
        if e.status == "waitlist" and e.asked != "waitlist":
            summary = f"{_who(s, e)} was put on the waitlist of {_class_words(s, e)}: the last place was taken first"
            message = "Another desk enrolled someone into the last place before this change reached the server. Call the family."
            items.append(RejectedView(e.id, 0, "enrollment.add", _day(e), WAITLISTED, message, summary))
        elif e.status == "offered":
            summary = f"A place opened in {_class_words(s, e)} for {_who(s, e)}: call the family"
            message = "Enroll them from the class's waitlist, or pass the place to the next one waiting."
            items.append(RejectedView(e.id, 0, "waitlist.offer", _day(e), PLACE_OFFERED, message, summary))
    return items


def _who(s: Session, e: Enrollment) -> str:
    student = s.get(Student, e.student_id)
    return f"{student.first_name} {student.last_name}" if student is not None else "A student"


def _class_words(s: Session, e: Enrollment) -> str:
    cls = s.get(ClassSchedule, e.schedule_id)
    return f"{cls.name} ({times_words(meetings_of(cls))})" if cls is not None else "a class"


def _day(e: Enrollment) -> dt.datetime:
    return dt.datetime.combine(e.start_date, dt.time())


def count(s: Session) -> int:
    return len(money_items(s)) + len(enrollment_items(s))


def send_again_payload(s: Session, item_id: str) -> dict[str, Any] | None:
    """"Send again" on a failed receipt email: a new request for the same receipt and address
    (RECEIPT_EMAIL); None when `item_id` is not a failed email."""
    email = s.get(ReceiptEmail, item_id)
    if email is None or email.status != "failed":
        return None
    return ReceiptEmailPayload(email_id=new_id(), entry_id=email.entry_id, to=email.to_address).model_dump(mode="json")


def _of(s: Session, family_id: str) -> str:
    family = s.get(Family, family_id)
    return f" for the {family.name} family" if family is not None else ""
