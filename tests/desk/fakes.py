"""A DeskStore stand-in for presenter tests: the contract's answers, from plain lists."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from zoneinfo import ZoneInfo

from sync.core.clock import PinnedClock
from sync.views import (
    AlertView, CheckInOutcome, LocationView, RejectedView, RosterRow, SessionChoice, SessionView, StudentCard,
    StudentHit,
)

TZ = ZoneInfo("America/Chicago")
DOWNTOWN = LocationView(id="loc-dt", name="Downtown", code="DT", timezone="America/Chicago")
NORTH = LocationView(id="loc-n", name="Northside", code="N", timezone="America/Chicago")
TODAY = dt.date(2025, 3, 3)


def at(hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2025, 3, 3, hour, minute, tzinfo=TZ)


def session(sid: str, name: str, hour: int, *, enrolled: int = 3, present: int = 0, cancelled: bool = False) -> SessionView:
    return SessionView(id=sid, schedule_id=f"sch-{sid}", location_id=DOWNTOWN.id, name=name, level="", coach="Coach Sam",
                       starts_at=at(hour), ends_at=at(hour + 1), enrolled=enrolled, present=present, cancelled=cancelled)


EMMA = StudentHit("s-emma", "Emma", "Lee", "f-lee", "Lee", 7,
                  (AlertView("allergy", "red", "Peanuts"),))
EMMET = StudentHit("s-emmet", "Emmet", "Ray", "f-ray", "Ray", 9)
NOAH = StudentHit("s-noah", "Noah", "Lee", "f-lee", "Lee", 5)


class FakeStore:
    clock = PinnedClock(dt.datetime(2025, 3, 3, 16, 5, tzinfo=TZ), frozen=True)  # TODAY, a class running

    def __init__(self) -> None:
        self.students = [EMMA, EMMET, NOAH]
        self.sessions = [session("ses-tumble", "Level 2 Tumbling", 16), session("ses-cheer", "Cheer Basics", 17),
                         session("ses-off", "Ninja", 18, cancelled=True)]
        self.marks: dict[tuple[str, str], str] = {}
        self.check_ins: set[tuple[str, str | None]] = set()
        self.suggested = "ses-tumble"
        self.fail_with: Exception | None = None
        self.calls: list[tuple] = []

    def locations(self) -> list[LocationView]:
        return [DOWNTOWN, NORTH]

    def search_students(self, text: str, limit: int = 20) -> list[StudentHit]:
        words = text.lower().split()
        return [s for s in self.students
                if all(any(n.lower().startswith(w) for n in (s.first_name, s.last_name)) for w in words)][:limit]

    def student_card(self, student_id: str, location_id: str, now: dt.datetime | None = None) -> StudentCard:
        hit = next(s for s in self.students if s.id == student_id)
        sessions = tuple(
            SessionChoice(s, enrolled=s.id == "ses-tumble", status=self.marks.get((s.id, student_id)),
                          checked_in=(student_id, s.id) in self.check_ins)
            for s in self.sessions if s.location_id == location_id
        )
        return StudentCard(hit, dt.date(2017, 5, 1), (), hit.alerts, sessions,
                           self.suggested if sessions else None)

    def sessions_on(self, location_id: str, day: dt.date) -> list[SessionView]:
        return [replace(s, present=sum(1 for (sid, _), m in self.marks.items() if sid == s.id and m != "absent"))
                for s in self.sessions if s.location_id == location_id]

    def roster(self, session_id: str) -> list[RosterRow]:
        return [RosterRow(s.id, s.first_name, s.last_name, self.marks.get((session_id, s.id)),
                          (s.id, session_id) in self.check_ins, s.alerts) for s in self.students]

    async def check_in(self, student_id: str, location_id: str, session_id: str | None) -> CheckInOutcome:
        self.calls.append(("check_in", student_id, location_id, session_id))
        if self.fail_with:
            raise self.fail_with
        hit = next(s for s in self.students if s.id == student_id)
        ses = next((s for s in self.sessions if s.id == session_id), None)
        already = session_id is not None and (student_id, session_id) in self.check_ins
        self.check_ins.add((student_id, session_id))
        if session_id:
            self.marks[(session_id, student_id)] = "present"
        return CheckInOutcome(hit.full_name, ses.name if ses else None, ses.starts_at if ses else None,
                              already, None if already else "ci-1")

    async def mark_attendance(self, session_id: str, student_id: str, status: str) -> None:
        self.calls.append(("mark", session_id, student_id, status))
        if self.fail_with:
            raise self.fail_with
        self.marks[(session_id, student_id)] = status

    def rejected(self) -> list[RejectedView]:
        return []

    def pending_count(self) -> int:
        return len(self.calls)
