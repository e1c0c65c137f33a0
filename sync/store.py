"""DeskStore: everything the desk's screens may ask of the local data, and nothing more.

Reads answer from the cache at once (they are indexed and take milliseconds). Writes go to the
outbox first (the durable point), then to the cache through the same appliers the server uses,
so the screen shows the result immediately, online or not. The UI never talks SQL or HTTP.

SKELETON: signatures are the contract between desk/ and sync/; the implementation is filled in.
"""

from __future__ import annotations

import datetime as dt

from sync.views import (
    CheckInOutcome,
    LocationView,
    RejectedView,
    RosterRow,
    SessionView,
    StudentCard,
    StudentHit,
)


class DeskStore:
    def locations(self) -> list[LocationView]:
        raise NotImplementedError

    def search_students(self, text: str, limit: int = 20) -> list[StudentHit]:
        """Students whose first, last or family name starts with each typed word, best first."""
        raise NotImplementedError

    def student_card(self, student_id: str, location_id: str, now: dt.datetime | None = None) -> StudentCard:
        raise NotImplementedError

    def sessions_on(self, location_id: str, day: dt.date) -> list[SessionView]:
        raise NotImplementedError

    def roster(self, session_id: str) -> list[RosterRow]:
        raise NotImplementedError

    async def check_in(self, student_id: str, location_id: str, session_id: str | None) -> CheckInOutcome:
        raise NotImplementedError

    async def mark_attendance(self, session_id: str, student_id: str, status: str) -> None:
        raise NotImplementedError

    def rejected(self) -> list[RejectedView]:
        raise NotImplementedError

    def pending_count(self) -> int:
        raise NotImplementedError
