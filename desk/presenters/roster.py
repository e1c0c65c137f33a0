"""The roster screen's logic, without widgets: today's sessions, the register, keys that mark.

Marks show at once (the row changes before the store call returns, which is a local write of
milliseconds anyway); the screen then reloads the row from the store, which is the truth.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from desk.presenters.formatting import clock, now_at, session_title
from sync.store import DeskStore
from sync.views import LocationView, RosterRow, SessionView

# Space walks through the marks in the order a coach takes them.
CYCLE: dict[str | None, str] = {None: "present", "present": "late", "late": "absent", "absent": "present"}
KEY_MARKS: dict[str, str] = {"P": "present", "A": "absent", "L": "late"}
MARK_WORDS: dict[str | None, str] = {"present": "Present", "late": "Late", "absent": "Absent", None: "Not marked"}


@dataclass(frozen=True)
class SessionLine:
    session_id: str
    time: str
    title: str
    coach: str
    counts: str  # "5/12": present (or late) of enrolled
    cancelled: bool


@dataclass(frozen=True)
class Counts:
    present: int
    late: int
    absent: int
    unmarked: int

    @property
    def here(self) -> int:
        return self.present + self.late

    def text(self) -> str:
        total = self.here + self.absent + self.unmarked
        parts = [f"{self.here} of {total} here"]
        if self.late:
            parts.append(f"{self.late} late")
        if self.absent:
            parts.append(f"{self.absent} absent")
        if self.unmarked:
            parts.append(f"{self.unmarked} not marked")
        return " · ".join(parts)


KEYS_HINT = "P present · A absent · L late · Space cycles · ↑ ↓ move · ← classes"
VIEW_ONLY_TEXT = (
    "You can see attendance but not take it: P, A, L and Space do nothing for you. "
    "A manager can give you \"Take attendance\" on the staff screen."
)


@dataclass(frozen=True)
class Mark:
    session_id: str
    student_id: str
    status: str


class RosterPresenter:
    def __init__(self, store: DeskStore, location: LocationView, today: dt.date | None = None):
        self.store = store
        self.location = location
        self.today = today
        self.sessions: list[SessionView] = []
        self.session_index = -1
        self.rows: list[RosterRow] = []
        self.cursor = -1
        # Attendance "view" (sync.core.permissions): the register shows, marks are not taken here.
        self.can_mark = True

    def day(self) -> dt.date:
        return self.today or now_at(self.location.timezone, self.store.clock).date()

    # --- sessions --------------------------------------------------------------------------
    def load_sessions(self) -> list[SessionLine]:
        """(Re)read today's sessions; the selected one stays selected if it is still there."""
        keep = self.current_session.id if self.current_session else None
        # No location yet (the first sync has not brought them): nothing to list.
        self.sessions = self.store.sessions_on(self.location.id, self.day()) if self.location.id else []
        ids = [s.id for s in self.sessions]
        if keep in ids:
            self.session_index = ids.index(keep)
        else:
            self.session_index = self._next_session_index()
            self.rows, self.cursor = [], -1
        return self.session_lines()

    def session_lines(self) -> list[SessionLine]:
        return [
            SessionLine(
                session_id=s.id,
                time=clock(s.starts_at),
                title=session_title(s.name, s.level),
                coach=s.coach,
                counts=f"{s.present}/{s.enrolled}",
                cancelled=s.cancelled,
            )
            for s in self.sessions
        ]

    def _next_session_index(self) -> int:
        """The class running now or starting next; the last one once the day is over."""
        if not self.sessions:
            return -1
        now = now_at(self.location.timezone, self.store.clock)
        for i, s in enumerate(self.sessions):
            if s.ends_at > now and not s.cancelled:
                return i
        return len(self.sessions) - 1

    @property
    def current_session(self) -> SessionView | None:
        return self.sessions[self.session_index] if 0 <= self.session_index < len(self.sessions) else None

    def select_session(self, index: int) -> list[RosterRow]:
        if not 0 <= index < len(self.sessions):
            return self.rows
        changed = index != self.session_index
        self.session_index = index
        self.load_rows(keep_cursor=not changed)
        return self.rows

    def empty_sessions_text(self) -> str:
        return f"No classes today at {self.location.name}."

    # --- the register ----------------------------------------------------------------------
    def load_rows(self, keep_cursor: bool = True) -> list[RosterRow]:
        session = self.current_session
        keep = self.rows[self.cursor].student_id if keep_cursor and 0 <= self.cursor < len(self.rows) else None
        self.rows = self.store.roster(session.id) if session else []
        ids = [r.student_id for r in self.rows]
        self.cursor = ids.index(keep) if keep in ids else (0 if self.rows else -1)
        return self.rows

    def move(self, delta: int) -> int:
        if self.rows:
            self.cursor = max(0, min(len(self.rows) - 1, self.cursor + delta))
        return self.cursor

    def mark_key(self, key: str) -> Mark | None:
        """P, A or L marks the row and moves down, so a register is taken with one key per child."""
        status = KEY_MARKS.get(key.upper())
        mark = self.mark(status) if status else None
        if mark is not None:
            self.move(1)
        return mark

    def cycle(self) -> Mark | None:
        """Space walks the row's mark round; the cursor stays, to press again."""
        row = self._row()
        return self.mark(CYCLE[row.status]) if row else None

    def mark(self, status: str) -> Mark | None:
        """Show the mark at once and say what to record; the caller records it through the store."""
        row, session = self._row(), self.current_session
        if row is None or session is None or not self.can_mark:
            return None
        self.rows[self.cursor] = replace(row, status=status)
        return Mark(session.id, row.student_id, status)

    async def record(self, mark: Mark) -> None:
        await self.store.mark_attendance(mark.session_id, mark.student_id, mark.status)

    def counts(self) -> Counts:
        statuses = [r.status for r in self.rows]
        return Counts(
            present=statuses.count("present"),
            late=statuses.count("late"),
            absent=statuses.count("absent"),
            unmarked=statuses.count(None),
        )

    def keys_text(self) -> str:
        if self.can_mark:
            return KEYS_HINT
        return VIEW_ONLY_TEXT

    def empty_roster_text(self) -> str:
        if self.current_session is None:
            return "Pick a class on the left to take attendance."
        return "No one is enrolled in this class yet. Students checked in to it will show here."

    def set_location(self, location: LocationView) -> None:
        self.location = location
        self.sessions, self.session_index, self.rows, self.cursor = [], -1, [], -1

    def _row(self) -> RosterRow | None:
        return self.rows[self.cursor] if 0 <= self.cursor < len(self.rows) else None
