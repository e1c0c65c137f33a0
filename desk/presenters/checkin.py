"""The check-in screen's logic, without widgets: search, pick, choose a class, check in.

The screen is open all day; the flow it serves is "type a few letters, Enter, Enter":
the first Enter picks the highlighted student (their card opens with the class starting next
preselected), the second checks them in to that class. Digits 1..9 choose another class.
"""

from __future__ import annotations

from dataclasses import dataclass

from desk.presenters.formatting import clock, session_title
from sync.store import DeskStore
from sync.views import CardCheckIn, CheckInOutcome, LocationView, SessionChoice, StudentCard, StudentHit

SEARCH_LIMIT = 12


@dataclass(frozen=True)
class ClassLine:
    """One of today's classes on the student card, ready to show."""

    key: str  # "1".."9", or "" past nine
    session_id: str
    title: str
    time: str
    coach: str
    chosen: bool
    enrolled: bool
    done: bool  # already checked in to it
    cancelled: bool


class CheckInPresenter:
    def __init__(self, store: DeskStore, location: LocationView):
        self.store = store
        self.location = location
        self.query = ""
        self.hits: list[StudentHit] = []
        self.highlighted = -1
        self.card: StudentCard | None = None
        self.chosen_session_id: str | None = None
        # After a check-in the card stays up to show the result, but a second Enter does nothing:
        # a bouncing key must not record the child twice.
        self.done = False
        # A swiped member card no one has yet, waiting to be given to the student staff pick next
        # (held in memory only; the store keeps just its keyed hash once assigned).
        self.pending_card: str | None = None

    # --- searching -------------------------------------------------------------------------
    def search(self, text: str) -> list[StudentHit]:
        """New text in the field: fresh results, best first, the first one highlighted."""
        self.query = text
        self.card = None
        self.chosen_session_id = None
        self.done = False
        words = text.strip()
        self.hits = self.store.search_students(words, limit=SEARCH_LIMIT) if words else []
        self.highlighted = 0 if self.hits else -1
        return self.hits

    def move(self, delta: int) -> int:
        """Arrows: back to choosing among the results (an open card closes), and move there."""
        if self.card is not None and self.hits:
            self.card, self.chosen_session_id, self.done = None, None, False
        if self.hits:
            self.highlighted = max(0, min(len(self.hits) - 1, self.highlighted + delta))
        return self.highlighted

    def set_location(self, location: LocationView) -> None:
        self.location = location
        if self.card is not None:
            self.open_card(self.card.student.id)

    # --- the card --------------------------------------------------------------------------
    def pick(self, index: int | None = None) -> StudentCard | None:
        """Open the card of the highlighted result (or of `index`)."""
        if index is not None and 0 <= index < len(self.hits):
            self.highlighted = index
        if not 0 <= self.highlighted < len(self.hits):
            return None
        return self.open_card(self.hits[self.highlighted].id)

    def open_card(self, student_id: str) -> StudentCard:
        if not self.location.id:
            # Before the first sync brought the locations there are no classes to show, nor to check in to.
            hit = next(h for h in self.hits if h.id == student_id)
            self.card = StudentCard(hit, None, (), hit.alerts, (), None)
            self.chosen_session_id, self.done = None, True
            return self.card
        self.card = self.store.student_card(student_id, self.location.id)
        self.done = False
        ids = [c.session.id for c in self._choosable()]
        suggested = self.card.suggested_session_id
        self.chosen_session_id = suggested if suggested in ids else (ids[0] if len(ids) == 1 else None)
        return self.card

    def reload_card(self) -> None:
        """New data arrived: the open card shows it, keeping the chosen class and the done state."""
        if self.card is None or not self.location.id:
            return
        chosen, done = self.chosen_session_id, self.done
        self.open_card(self.card.student.id)
        if chosen in [c.session.id for c in self._choosable()]:
            self.chosen_session_id = chosen
        self.done = done

    def choose(self, number: int) -> bool:
        """Digit `number` (1-based) chooses the class listed under that key."""
        sessions = self.card.sessions_today if self.card else ()
        if not 1 <= number <= min(9, len(sessions)):
            return False
        choice = sessions[number - 1]
        if choice.session.cancelled:
            return False
        self.chosen_session_id = choice.session.id
        self.done = False  # choosing another class means "check in to this one too"
        return True

    def class_lines(self) -> list[ClassLine]:
        if self.card is None:
            return []
        return [
            ClassLine(
                key=str(n) if n <= 9 else "",
                session_id=c.session.id,
                title=session_title(c.session.name, c.session.level),
                time=clock(c.session.starts_at),
                coach=c.session.coach,
                chosen=c.session.id == self.chosen_session_id,
                enrolled=c.enrolled,
                done=c.checked_in,
                cancelled=c.session.cancelled,
            )
            for n, c in enumerate(self.card.sessions_today, start=1)
        ]

    def empty_classes_text(self) -> str:
        return f"No classes today at {self.location.name}. Enter checks in without a class."

    def ready(self) -> bool:
        """Whether Enter now checks the open card's student in."""
        return self.card is not None and not self.done

    # --- checking in -----------------------------------------------------------------------
    def begin_check_in(self) -> str:
        """The student about to be checked in; until the answer, a second Enter records nothing."""
        if self.card is None:
            raise RuntimeError("check-in without an open card")  # the screen only asks when ready()
        self.done = True
        return self.card.student.id

    def check_in_failed(self) -> None:
        self.done = False  # nothing was recorded: Enter may try again

    async def check_in(self) -> CheckInOutcome:
        if self.card is None:
            raise RuntimeError("check-in without an open card")
        return await self.store.check_in(self.card.student.id, self.location.id, self.chosen_session_id)

    def after_check_in(self) -> None:
        """Ready for the next child; the card is refreshed so it shows the new mark."""
        student_id = self.card.student.id if self.card else None
        self.query, self.hits, self.highlighted = "", [], -1
        if student_id is not None:
            chosen = self.chosen_session_id
            self.open_card(student_id)
            self.chosen_session_id = chosen
            self.done = True

    def clear(self) -> None:
        self.query, self.hits, self.highlighted = "", [], -1
        self.card, self.chosen_session_id, self.done = None, None, False

    # --- member cards ----------------------------------------------------------------------
    async def check_in_by_card(self, number: str) -> CardCheckIn:
        return await self.store.check_in_by_card(number, self.location.id)

    def show_swiped(self, result: CardCheckIn) -> None:
        """A member card checked its student in: their card is up and done, ready for the next child."""
        self.query, self.hits, self.highlighted = "", [], -1
        self.card = result.card
        self.chosen_session_id = result.card.suggested_session_id if result.card else None
        self.done = True

    def begin_assign(self, number: str) -> None:
        self.pending_card = number

    def cancel_assign(self) -> None:
        self.pending_card = None

    def assigning(self) -> bool:
        """Whether Enter on an open card gives it the swiped card (instead of checking in)."""
        return self.pending_card is not None and self.card is not None

    async def assign_card(self) -> str:
        """Give the waiting card to the open card's student; returns their name."""
        if self.pending_card is None or self.card is None:
            raise RuntimeError("no card waiting or no student open")
        number, student = self.pending_card, self.card.student
        await self.store.assign_card(number, student.id)
        self.pending_card = None
        return student.full_name

    def _choosable(self) -> list[SessionChoice]:
        return [c for c in (self.card.sessions_today if self.card else ()) if not c.session.cancelled]

    def toast_text(self, outcome: CheckInOutcome) -> str:
        where = ""
        if outcome.session_name:
            when = f" {clock(outcome.starts_at)}" if outcome.starts_at else ""
            where = f" · {outcome.session_name}{when}"
        else:
            where = f" · {self.location.name}"
        if outcome.already:
            return f"{outcome.student_name} is already checked in{where}"
        return f"{outcome.student_name} checked in{where}"
