"""DeskStore: everything the desk's screens may ask of the local data, and nothing more.

Reads answer from the cache at once, on the caller's thread (they are indexed and take
milliseconds). Writes run on the one writer thread (`sync.writer`): the outbox first (the durable
point), then the cache through the same appliers the server uses, so the screen shows the result
immediately, online or not. The UI never talks SQL or HTTP.

    store = DeskStore(data_dir)          # opens (or creates) cache.sqlite3 and outbox.sqlite3
    store.staff_id = token.staff.id      # who is signed in: every write is recorded in their name
    hits = store.search_students("emm")
    outcome = await store.check_in(hits[0].id, location_id, session_id)
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlmodel import select

from sync import attention, db, queries, search
from sync.cache import Cache
from sync.core.card_abandon import PAYMENT_ABANDON
from sync.core.card_attention import ATTENTION_HANDLED, HandledPayload
from sync.core.clock import SYSTEM, Clock, utc_naive
from sync.errors import AuthError, RejectedError
from sync.core.ids import new_id
from sync.ledger_words import money_summary
from sync.core.member_cards import card_hash
from sync.core.mutations import (
    ATTENDANCE_MARK,
    CARD_ASSIGN,
    CHECK_IN,
    OUTBOX_DISCARD,
    AttendancePayload,
    CardAssignPayload,
    CheckInPayload,
    Rejected,
)
from sync.outbox import Outbox
from sync.core.receipt_mutations import RECEIPT_EMAIL
from sync.core.schema import (
    ATTENDANCE_STATUSES,
    CheckIn,
    ClassSchedule,
    ClassSession,
    Location,
    MemberCard,
    Student,
)
from sync.views import (
    CardCheckIn,
    CheckInOutcome,
    LocationView,
    RejectedView,
    RosterRow,
    SessionView,
    StudentCard,
    StudentHit,
)
from sync.core.wire import Mutation
from sync.writer import Writer

log = logging.getLogger(__name__)

CACHE_FILE = "cache.sqlite3"
OUTBOX_FILE = "outbox.sqlite3"


class DeskStore:
    """The desk's data in `data_dir` (see sync.paths.desk_data_dir for where that is).

    `staff_id` is the signed-in staff member; writes raise AuthError while it is None.
    """

    def __init__(self, data_dir: Path, *, staff_id: str | None = None, clock: Clock = SYSTEM):
        self.data_dir = Path(data_dir)
        self.clock = clock  # what "now" and "today" are for every screen and record of this desk
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.staff_id: str | None = staff_id
        self.card_key: str | None = None  # the account's member-card key, from the sign-in (never in a file here)
        self.old_card_keys: list[str] = []  # the key before a rotation: cards seen under it are stored anew
        self.writer = Writer()
        self.outbox = Outbox(self.data_dir / OUTBOX_FILE)
        self.cache = Cache(self.data_dir / CACHE_FILE, pending=self.outbox.pending)
        self._write_listeners: list[Callable[[], None]] = []
        # A crash between the outbox append and the cache commit (or a rebuilt cache) left pending
        # work out of the cache; the appliers are idempotent, so applying all of it again is safe.
        self.writer.run_sync(self.cache.reapply, self.outbox.pending())
        # Card calls this desk was stopped in the middle of: given up on now (sync.core.card_abandon).
        for key in self.outbox.card_calls_under_way():
            self.writer.run_sync(self._abandon_card_call, key, "desk_stopped")

    @property
    def desk_id(self) -> str:
        return self.outbox.desk_id

    def add_write_listener(self, callback: Callable[[], None]) -> None:
        """Called (on the event loop's thread) after each local write, e.g. SyncEngine.kick."""
        self._write_listeners.append(callback)

    def close(self) -> None:
        self.writer.close()
        self.cache.close()
        self.outbox.close()

    # -- reads -----------------------------------------------------------------------------

    def locations(self) -> list[LocationView]:
        with db.read_session(self.cache.engine) as s:
            return queries.locations(s)

    def search_students(self, text: str, limit: int = 20) -> list[StudentHit]:
        """Students whose first, last or family name starts with each typed word, best first."""
        with self.cache.engine.connect() as conn:
            return search.search_students(conn, text, limit, today=self.clock.now().astimezone().date())

    def student_card(self, student_id: str, location_id: str, now: dt.datetime | None = None) -> StudentCard:
        """Raises queries.NotFound (a LookupError) for an unknown student or location."""
        with db.read_session(self.cache.engine) as s:
            return queries.student_card(s, student_id, location_id, now or self.clock.now())

    def sessions_on(self, location_id: str, day: dt.date) -> list[SessionView]:
        with db.read_session(self.cache.engine) as s:
            return queries.sessions_on(s, location_id, day)

    def roster(self, session_id: str) -> list[RosterRow]:
        with db.read_session(self.cache.engine) as s:
            return queries.roster(s, session_id)

    def rejected(self) -> list[RejectedView]:
        found = self.outbox.rejected()
        with db.read_session(self.cache.engine) as s:
            return attention.money_items(s) + attention.enrollment_items(s) + [
                RejectedView(
                    mutation_id=m.id,
                    seq=m.seq,
                    type=m.type,
                    made_at=m.made_at,
                    code=code,
                    message=message,
                    summary=_summary(s, m),
                )
                for m, code, message in found
            ]

    def pending_count(self) -> int:
        return self.outbox.pending_count()

    def attention_count(self) -> int:
        """What "needs attention" lists besides refused changes (sync.attention)."""
        with db.read_session(self.cache.engine) as s:
            return attention.count(s)

    # -- writes ----------------------------------------------------------------------------

    async def check_in(self, student_id: str, location_id: str, session_id: str | None) -> CheckInOutcome:
        """Check a student in (and mark them present when a class is given).

        A second check-in of the same student to the same class records nothing and says
        `already=True`. Raises RejectedError when the cache says it cannot be right (unknown
        student, class at another location), AuthError when nobody is signed in.
        """
        staff_id = self._signed_in()
        outcome = await self.writer.run(self._check_in, staff_id, student_id, location_id, session_id)
        if not outcome.already:
            self._wrote()
        return outcome

    async def mark_attendance(self, session_id: str, student_id: str, status: str) -> None:
        if status not in ATTENDANCE_STATUSES:
            raise ValueError(f"attendance status must be one of {ATTENDANCE_STATUSES}, not {status!r}")
        staff_id = self._signed_in()
        payload = AttendancePayload(mark_id=new_id(), session_id=session_id, student_id=student_id, status=status)  # type: ignore[arg-type]
        await self.writer.run(self._record, staff_id, ATTENDANCE_MARK, payload.model_dump(mode="json"))
        self._wrote()

    async def retry_rejected(self, mutation_id: str) -> None:
        """Send a change from "needs attention" again (e.g. after the student was put back on file).

        It goes to the end of the queue as a new change and shows here at once; if the server
        refuses it again, it comes back to "needs attention". LookupError if it is no longer there.
        """
        staff_id = self._signed_in()
        with db.read_session(self.cache.engine) as s:
            again = attention.send_again_payload(s, mutation_id)  # a failed receipt email: asked again
        if again is not None:
            await self.record(RECEIPT_EMAIL, again)
            return
        await self.writer.run(self._retry, mutation_id, staff_id)
        self._wrote()

    async def mark_handled(self, item_id: str, note: str) -> None:
        """A card item of "needs attention" (sync.attention.CARD_NEEDS_HAND) was dealt with by hand:
        recorded as a change (sync.core.card_attention), so it leaves this desk's list at once, and every
        desk's once the server has it; the server's audit log keeps who, when and the note."""
        await self.record(ATTENTION_HANDLED, HandledPayload(key=item_id, note=note).model_dump(mode="json"))

    async def discard_rejected(self, mutation_id: str, reason: str = "") -> None:
        """Let a refused change go. The server's audit log records who did it and why."""
        staff_id = self._signed_in()
        await self.writer.run(self.outbox.discard, mutation_id, staff_id, OUTBOX_DISCARD, reason)
        self._wrote()

    def _retry(self, mutation_id: str, staff_id: str) -> None:
        again = self.outbox.retry(mutation_id, staff_id)
        self.cache.reapply([again])

    def _check_in(self, staff_id: str, student_id: str, location_id: str, session_id: str | None) -> CheckInOutcome:
        with db.read_session(self.cache.engine) as s:
            student = s.get(Student, student_id)
            location = s.get(Location, location_id)
            if student is None or location is None:
                raise RejectedError("This student or location is not on file at this desk; nothing was recorded.")
            name = f"{student.first_name} {student.last_name}"
            session = s.get(ClassSession, session_id) if session_id else None
            schedule = s.get(ClassSchedule, session.schedule_id) if session else None
            starts_at = queries.local(session.starts_at, queries.zone_of(s, location_id)) if session else None
            already = session_id is not None and s.exec(
                select(CheckIn.id).where(CheckIn.student_id == student_id, CheckIn.session_id == session_id)
            ).first() is not None
        session_name = schedule.name if schedule else None
        if already:
            return CheckInOutcome(name, session_name, starts_at, already=True, check_in_id=None)
        payload = CheckInPayload(
            check_in_id=new_id(),
            student_id=student_id,
            location_id=location_id,
            session_id=session_id,
            mark_id=new_id() if session_id else None,
            checked_in_at=utc_naive(self.clock),
        )
        self._record(staff_id, CHECK_IN, payload.model_dump(mode="json"))
        return CheckInOutcome(name, session_name, starts_at, already=False, check_in_id=payload.check_in_id)

    def _record(
        self, staff_id: str, type: str, payload: dict[str, Any], receipt_counter: int | None = None
    ) -> Mutation:
        """Writer thread: apply a draft to the cache, append it to the outbox, then commit the cache."""
        draft = Mutation(
            id=new_id(), desk_id=self.desk_id, seq=1, staff_id=staff_id, made_at=utc_naive(self.clock), type=type, payload=payload
        )
        try:
            return self.cache.apply_local(
                draft,
                lambda: self.outbox.append(
                    staff_id, type, payload, mutation_id=draft.id, made_at=draft.made_at, receipt_counter=receipt_counter
                ),
            )
        except Rejected as exc:
            raise RejectedError(exc.message, code=exc.code) from None

    # -- any change, and changes that carry a receipt number (sync.money_desk) -----------------

    async def record(self, type: str, payload: dict[str, Any]) -> Mutation:
        """Record one change of any type (outbox first, then the cache); RejectedError when the
        cache says it cannot be right, with nothing written anywhere."""
        staff_id = self._signed_in()
        mutation = await self.writer.run(self._record, staff_id, type, payload)
        self._wrote()
        return mutation

    async def record_numbered(self, type: str, build: Callable[[int], dict[str, Any]]) -> Mutation:
        """Record a change that prints this desk's next receipt number.

        `build(counter)` makes the payload on the writer thread; the counter is taken in the same
        outbox transaction as the append, so a refused change uses no number and a crash reuses none.
        """
        staff_id = self._signed_in()

        def numbered() -> Mutation:
            counter = self.outbox.receipt_counter() + 1
            return self._record(staff_id, type, build(counter), receipt_counter=counter)

        mutation = await self.writer.run(numbered)
        self._wrote()
        return mutation

    async def take_receipt_counter(self) -> int:
        """The next receipt counter, taken now on its own (card payments, before their first attempt)."""
        self._signed_in()
        return await self.writer.run(self.outbox.take_receipt_counter)

    @property
    def desk_code(self) -> str | None:
        """This desk's code in receipt numbers (kept in the outbox file), None before a first online sign-in."""
        return self.outbox.desk_code()

    async def keep_desk_code(self, code: str) -> None:
        """Keep the desk code the server handed out at sign-in (sync.auth.DeskAuth calls this)."""
        if code and code != self.outbox.desk_code():
            await self.writer.run(self.outbox.set_desk_code, code)

    async def apply_server_changes(self, changes: Any) -> None:
        """Show rows the server wrote outside the outbox (a card payment's) at once."""
        if changes:
            await self.writer.run(self.cache.apply_server_changes, changes)

    # -- card calls (sync.money_desk): given up on by key, through the outbox ------------------

    async def begin_card_call(self, key: str, abandon: dict[str, Any]) -> None:
        staff_id = self._signed_in()
        await self.writer.run(self.outbox.begin_card_call, key, staff_id, abandon)

    async def end_card_call(self, key: str) -> None:
        await self.writer.run(self.outbox.end_card_call, key)

    async def abandon_card_call(self, key: str, why: str) -> bool:
        """Give up on a card call: the abandon goes in the outbox and the cache (the family's
        ledger says "cancelling…") and is sent at once. False when it was answered after all."""
        done = await self.writer.run(self._abandon_card_call, key, why)
        if done:
            self._wrote()  # the sync engine hears of it and pushes now
        return done

    def _abandon_card_call(self, key: str, why: str) -> bool:
        under_way = self.outbox.card_call(key)
        if under_way is None:
            return False
        staff_id, payload = under_way
        draft = Mutation(id=new_id(), desk_id=self.desk_id, seq=1, staff_id=staff_id, made_at=utc_naive(self.clock),
                         type=PAYMENT_ABANDON, payload={**payload, "why": why})  # fmt: skip
        self.cache.apply_local(draft, lambda: self.outbox.abandon_card_call(
            key, why, PAYMENT_ABANDON, mutation_id=draft.id, made_at=draft.made_at))  # fmt: skip
        return True

    # -- member cards ------------------------------------------------------------------------

    def student_by_card(self, number: str) -> str | None:
        """The id of the student a member card was given to, or None (the number is only hashed)."""
        return self._card_holder(number)[0]

    def _card_holder(self, number: str) -> tuple[str | None, bool]:
        """(student id, found only under an old key): the current key is tried first, then the
        one before a rotation (sync.core.member_cards)."""
        keys = [self._card_key(), *self.old_card_keys]
        with db.read_session(self.cache.engine) as s:
            for i, key in enumerate(keys):
                card = s.exec(select(MemberCard).where(MemberCard.card_hash == card_hash(key, number))).first()
                if card is not None and s.get(Student, card.student_id) is not None:
                    return card.student_id, i > 0
        return None, False

    async def check_in_by_card(self, number: str, location_id: str, now: dt.datetime | None = None) -> CardCheckIn:
        """A member-card swipe: check its student in to their next class here and return their card.

        An unknown card checks no one in (`CardCheckIn.known` is False). Raises as check_in does.
        """
        student_id, old_key = self._card_holder(number)
        if student_id is None:
            return CardCheckIn(card=None, outcome=None)
        if old_key:  # seen under the key before a rotation: stored again under the new one, now
            await self.assign_card(number, student_id)
        before = self.student_card(student_id, location_id, now)
        outcome = await self.check_in(student_id, location_id, before.suggested_session_id)
        return CardCheckIn(card=self.student_card(student_id, location_id, now), outcome=outcome)

    async def assign_card(self, number: str, student_id: str) -> None:
        """Give a member card to a student (taking it from anyone who had it). Stores only its hash."""
        staff_id = self._signed_in()
        payload = CardAssignPayload(card_hash=card_hash(self._card_key(), number), student_id=student_id)
        await self.writer.run(self._record, staff_id, CARD_ASSIGN, payload.model_dump(mode="json"))
        self._wrote()

    def _card_key(self) -> str:
        if self.card_key is None:
            raise AuthError("This desk has no member-card settings yet. Sign in while online once, then swipe again.")
        return self.card_key

    def _signed_in(self) -> str:
        if self.staff_id is None:
            raise AuthError("Please sign in before recording check-ins, attendance or payments.")
        return self.staff_id

    def _wrote(self) -> None:
        for callback in list(self._write_listeners):
            try:
                callback()
            except Exception:  # a broken listener must not undo or hide a recorded write
                log.exception("write listener %r failed", callback)

    # -- reports (sync.reports): read-only, from the cache, so they work offline ----------------

    def data_as_of(self) -> Any:
        """How current the cache is: a sync.reports.DataAsOf."""
        from sync.reports import DataAsOf

        last = self.cache.last_sync()
        return DataAsOf(last.replace(tzinfo=dt.UTC) if last and last.tzinfo is None else last, self.pending_count())

    def attendance_report(self, location_id: str, start: dt.date, end: dt.date) -> Any:
        """A sync.reports.AttendanceByClass; raises queries.NotFound for an unknown location."""
        from sync import reports

        with db.read_session(self.cache.engine) as s:
            return reports.attendance_by_class(s, location_id, start, end)

    def student_history(self, student_id: str, start: dt.date, end: dt.date) -> Any:
        """A sync.reports.StudentHistory; raises queries.NotFound for an unknown student."""
        from sync import reports

        with db.read_session(self.cache.engine) as s:
            return reports.student_history(s, student_id, start, end)

    def enrollment_history(self, student_id: str) -> Any:
        """A sync.reports.EnrollmentHistory; raises queries.NotFound for an unknown student."""
        from sync import reports

        with db.read_session(self.cache.engine) as s:
            return reports.enrollment_history(s, student_id)

    def kiosk_referrals(self, location_id: str, day: dt.date) -> list[Any]:
        """The families the kiosk sent to the front desk at a location on a day (sync.core.kiosk_referrals)."""
        from sync.core.kiosk_referrals import referrals_on

        with db.read_session(self.cache.engine) as s:
            return referrals_on(s, location_id, day)

    def money_report(self, name: str, *args: Any) -> Any:
        """A sync.money_reports answer by function name ("family_statement", "end_of_day",
        "drawer_counts"), read from the cache; raises queries.NotFound for unknown ids."""
        from sync import money_reports

        if name not in ("family_statement", "end_of_day", "drawer_counts"):
            raise ValueError(f"no money report {name!r}")
        with db.read_session(self.cache.engine) as s:
            return getattr(money_reports, name)(s, *args)


def _summary(s: Any, m: Mutation) -> str:
    """What a mutation was, in words for the "needs attention" list."""
    student = s.get(Student, m.payload.get("student_id", ""))
    who = f"{student.first_name} {student.last_name}" if student else "a student no longer on file"
    if m.type == CHECK_IN:
        return f"Check-in of {who}"
    if m.type == CARD_ASSIGN:
        return f"Member card for {who}"
    if m.type == ATTENDANCE_MARK:
        return f"Attendance of {who} ({m.payload.get('status', '?')})"
    from sync.family_file import (
        change_summary,  # imported here: a shared file, its import block left as it is
    )

    return money_summary(s, m) or change_summary(s, m.type, m.payload) or f"A change made at this desk ({m.type})"
