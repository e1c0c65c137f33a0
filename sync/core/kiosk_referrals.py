"""The kiosk sending a family to the front desk, and the desks hearing of it.

When an alert (balance due, missing waiver…) keeps the kiosk from checking a child in, the kiosk
records a referral: who, where, why. It is a change like a check-in (the kiosk's staff member
needs only the check-in permission), one per student and day: opening the family again the same
day records nothing new. Desks pull it and say it (a toast, and a chip on the student's card).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session, col, select

from sync.core.schema import ALERT_KINDS, KioskReferral, Location, Student, SyncedRecord
from sync.core.rejections import Rejected

NextUsn = Callable[[], int | None]
KIOSK_REFERRAL = "kiosk.referral"
_NS = uuid.UUID("1d4f8f0e-55b1-4a8e-9d0c-6a3b0f2c7e41")
REASON_WORDS = {"balance": "balance due", "waiver": "waiver missing", "medical": "medical note",
                "allergy": "allergy", "note": "a note"}  # fmt: skip


def kiosk_referral_id(student_id: str, day: dt.date) -> str:
    return str(uuid.uuid5(_NS, f"{student_id}/{day.isoformat()}"))


class KioskReferralPayload(BaseModel):
    model_config = ConfigDict(extra="forbid")
    referral_id: str = Field(min_length=1, max_length=36)
    student_id: str = Field(min_length=1, max_length=36)
    location_id: str = Field(min_length=1, max_length=36)
    day: dt.date
    reasons: list[str] = Field(min_length=1, max_length=len(ALERT_KINDS))


PAYLOADS: dict[str, type[BaseModel]] = {KIOSK_REFERRAL: KioskReferralPayload}


def apply_kiosk_referral(db: Session, staff_id: str, desk_id: str, made_at: dt.datetime, p: KioskReferralPayload,
                         next_usn: NextUsn) -> list[SyncedRecord]:  # fmt: skip
    if db.get(KioskReferral, p.referral_id) is not None:
        return []
    if db.get(Student, p.student_id) is None or db.get(Location, p.location_id) is None:
        raise Rejected("not_found", "This student or location is no longer on file.")
    unknown = set(p.reasons) - set(ALERT_KINDS)
    if unknown:
        raise Rejected("invalid", f"Unknown alert kinds: {', '.join(sorted(unknown))}.")
    row = KioskReferral(id=p.referral_id, usn=next_usn(), student_id=p.student_id, location_id=p.location_id,
                        day=p.day, reasons=",".join(sorted(set(p.reasons))), staff_id=staff_id, desk_id=desk_id,
                        made_at=made_at)  # fmt: skip
    db.add(row)
    return [row]


def payload_for(student_id: str, location_id: str, day: dt.date, reasons: Iterable[str]) -> dict:
    return KioskReferralPayload(referral_id=kiosk_referral_id(student_id, day), student_id=student_id,
                                location_id=location_id, day=day, reasons=sorted(set(reasons))).model_dump(mode="json")


@dataclass(frozen=True)
class ReferralView:
    id: str
    student_id: str
    student_name: str
    when: dt.datetime  # aware, location time
    reasons: tuple[str, ...]

    @property
    def why(self) -> str:
        return ", ".join(REASON_WORDS.get(r, r) for r in self.reasons)

    def text(self) -> str:
        return f"The kiosk sent {self.student_name} to the front desk: {self.why}"


def referrals_on(s: Session, location_id: str, day: dt.date, student_id: str | None = None) -> list[ReferralView]:
    location = s.get(Location, location_id)
    zone = ZoneInfo(location.timezone) if location is not None else dt.UTC
    q = select(KioskReferral, Student).join(Student, col(Student.id) == KioskReferral.student_id).where(
        KioskReferral.day == day, KioskReferral.location_id == location_id)
    if student_id is not None:
        q = q.where(KioskReferral.student_id == student_id)
    out = []
    for ref, student in s.exec(q.order_by(col(KioskReferral.made_at))).all():
        out.append(ReferralView(ref.id, ref.student_id, f"{student.first_name} {student.last_name}",
                                ref.made_at.replace(tzinfo=dt.UTC).astimezone(zone),
                                tuple(r for r in ref.reasons.split(",") if r)))  # fmt: skip
    return out
