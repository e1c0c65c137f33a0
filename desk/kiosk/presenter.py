"""The self check-in kiosk's logic, without widgets: find the family, pick children and classes,
check in, and go back to the start.

    start ──4 digits / member card──▶ (families, when several share the digits) ──▶ children
    children ──Check in──▶ done ──a few seconds──▶ start
    any page ──idle──▶ start;  the corner button ──▶ PIN ──right PIN──▶ staff

Everything shown is private by construction (sync.kiosk_queries): family initial, children's
first names, classes; never a last name, phone, balance or alert text. A child with a blocking
alert (KioskOptions.blocking_alerts) is sent to the front desk and nothing is recorded for them.
Check-ins are written through DeskStore (outbox first), so the kiosk works offline.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import enum
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol
from zoneinfo import ZoneInfo

from desk.kiosk.options import KioskOptions
from desk.presenters.formatting import clock, session_title
from desk.presenters.swipes import HELD_SWIPE
from devices.cards import ID_CARD, IdCard, MemberSwipe, PaymentCard, Swipe
from sync.errors import AuthError, SyncError
from sync.core.clock import Clock
from sync.core.ids import new_id
from sync.core.kiosk_referrals import KIOSK_REFERRAL
from sync.core.kiosk_referrals import payload_for as referral_payload
from sync.kiosk_queries import PHONE_DIGITS, KioskChild, KioskClass, KioskFamily
from sync.core.mutations import CHECK_IN, CheckInPayload
from sync.views import CheckInOutcome, LocationView

log = logging.getLogger("frontdesk.kiosk")

START_TITLE = "Check in"
START_PROMPT = "Type the last 4 digits of your phone number, or swipe your member card."
NO_MATCH = "No family has a phone number ending in {digits}. Please try again, or see the front desk."
TOO_MANY = "Several families have a phone number ending in {digits}. Please swipe your member card, or see the front desk."
UNKNOWN_CARD = "This card is not on file yet. Please see the front desk."
PAYMENT_CARD = "That is a payment card. Please swipe your member card, or type your phone digits."
BAD_READ = "The card could not be read. Please swipe it again."
ID_CARD_SWIPED = f"{ID_CARD}. Please swipe your member card, or type your phone digits."
NO_CARD_KEY = "Member cards cannot be read here yet. Please type the last 4 digits of your phone number."
NO_LOCATION = "This kiosk has no classes yet. Please see the front desk."
SEE_FRONT_DESK = "Please see the front desk"
NOBODY_NOW = "No one can be checked in here right now. Please see the front desk."
FAILED = "{name} could not be checked in. Please see the front desk."


class Page(enum.Enum):
    START = "start"
    FAMILIES = "families"  # several families share the digits
    CHILDREN = "children"
    DONE = "done"
    PIN = "pin"  # staff leaving the kiosk
    STAFF = "staff"  # the right PIN was entered


class ClassState(enum.Enum):
    EARLY = "early"  # check-in not open yet
    OPEN = "open"  # open, before the start: present
    LATE = "late"  # open, after the start: late
    CLOSED = "closed"  # the window is over
    DONE = "done"  # already checked in
    CANCELLED = "cancelled"

    @property
    def selectable(self) -> bool:
        return self in (ClassState.OPEN, ClassState.LATE)


@dataclass(frozen=True)
class ClassOption:
    session_id: str
    title: str  # "Level 2 Tumbling"
    time: str  # "4:00 PM"
    state: ClassState
    note: str  # what the state means, in words

    @property
    def selectable(self) -> bool:
        return self.state.selectable


@dataclass(frozen=True)
class ChildLine:
    student_id: str
    first_name: str
    blocked_by: frozenset[str]  # blocking alert kinds: "please see the front desk", nothing recorded
    note: str  # why the child cannot be chosen ("" when each class says it)
    options: tuple[ClassOption, ...]

    @property
    def blocked(self) -> bool:
        return bool(self.blocked_by)

    @property
    def selectable(self) -> bool:
        return not self.blocked and any(o.selectable for o in self.options)


@dataclass(frozen=True)
class DoneLine:
    first_name: str
    text: str  # "Emma · Junior Ninja, 6:30 PM"
    ok: bool  # False: not checked in, see the front desk


class KioskData(Protocol):
    """sync.kiosk_queries.KioskData"""

    def families_by_phone(self, digits: str, limit: int = 20) -> list[KioskFamily]: ...

    def family(self, family_id: str) -> KioskFamily | None: ...

    def family_of_card(self, number: str) -> str | None: ...

    def children_today(self, family_id: str, location_id: str, now: dt.datetime) -> list[KioskChild]: ...


class KioskStore(Protocol):
    """The writes the kiosk makes (sync.store.DeskStore)."""

    async def check_in(self, student_id: str, location_id: str, session_id: str | None) -> CheckInOutcome: ...

    async def record(self, type: str, payload: dict) -> object: ...

    @property
    def clock(self) -> Clock: ...


def family_label(family: KioskFamily) -> str:
    """"L. — Emma, Noah": enough for a family to know itself, nothing for the next in line."""
    names = ", ".join(family.first_names)
    return f"{family.initial}. — {names}" if family.initial else names


def and_list(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


class KioskPresenter:
    def __init__(
        self,
        data: KioskData,
        store: KioskStore,
        location: LocationView,
        options: KioskOptions | None = None,
        *,
        now: Callable[[], dt.datetime] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.data = data
        self.store = store
        self.location = location
        self.options = options or KioskOptions()
        self.now = now or store.clock.now  # the desk's clock unless a test drives this one
        self.clock = clock
        self.page = Page.START
        self.digits = ""
        self.message = ""  # said on the start page (a miss, a bad swipe)
        self.families: list[KioskFamily] = []
        self.family: KioskFamily | None = None
        self.children: list[ChildLine] = []
        self.chosen: dict[str, str] = {}  # student id -> session id, for the children tapped
        self.done_lines: list[DoneLine] = []
        self.busy = False  # a check-in is being recorded: a second tap records nothing
        self._last_touch = clock()
        self._referring: set[asyncio.Future] = set()

    # --- idle ------------------------------------------------------------------------------
    def touched(self) -> None:
        self._last_touch = self.clock()

    def idle_due(self) -> bool:
        """Time to go back to the start page: idle long enough on any other page (or with
        something typed or said on the start page)."""
        if self.busy or (self.page is Page.START and not self.digits and not self.message):
            return False
        limit = self.options.done_seconds if self.page is Page.DONE else self.options.idle_seconds
        return self.clock() - self._last_touch >= limit

    def to_start(self) -> None:
        self.page = Page.START
        self.digits, self.message = "", ""
        self.families, self.family, self.children, self.chosen, self.done_lines = [], None, [], {}, []
        self.touched()

    # --- the start page: phone digits --------------------------------------------------------
    def type_digit(self, digit: str) -> bool:
        """A digit from the pad or the keyboard; the fourth one looks the family up."""
        if self.page is not Page.START or len(digit) != 1 or digit not in "0123456789":
            return False
        self.touched()
        self.message = ""
        if len(self.digits) >= PHONE_DIGITS:
            return False
        self.digits += digit
        if len(self.digits) == PHONE_DIGITS:
            self.look_up()
        return True

    def delete_digit(self) -> None:
        if self.page is Page.START:
            self.touched()
            self.digits = self.digits[:-1]
            self.message = ""

    def clear_digits(self) -> None:
        if self.page is Page.START:
            self.touched()
            self.digits, self.message = "", ""

    def look_up(self) -> None:
        digits, self.digits = self.digits, ""
        if not self.location.id:
            self.message = NO_LOCATION
            return
        found = self.data.families_by_phone(digits, limit=self.options.max_families + 1)
        if not found:
            self.message = NO_MATCH.format(digits=digits)
        elif len(found) > self.options.max_families:
            self.message = TOO_MANY.format(digits=digits)
        elif len(found) == 1:
            self.open_family(found[0])
        else:
            self.families = found
            self.page = Page.FAMILIES

    def family_labels(self) -> list[str]:
        return [family_label(f) for f in self.families]

    def pick_family(self, index: int) -> None:
        if self.page is Page.FAMILIES and 0 <= index < len(self.families):
            self.touched()
            self.open_family(self.families[index])

    # --- member cards ------------------------------------------------------------------------
    def swiped(self, swipe: Swipe) -> bool:
        """A swipe anywhere: a member card opens its family (from any parent-facing page);
        anything else is said on the start page. False when the kiosk ignored it (staff pages)."""
        if self.page in (Page.PIN, Page.STAFF) or self.busy:
            return False
        self.touched()
        if isinstance(swipe, MemberSwipe):
            return self.member_card(swipe.number)
        self.to_start()
        self.message = _words(swipe)
        return True

    def swiped_behind(self, swipe: Swipe) -> bool:
        """A swipe while a window is in front of the kiosk (desk.swipe_hold): nothing acts behind
        it. A member card is named and held (True: the window uses it once that window closes);
        anything else is only named. The page in view stays as it is."""
        if self.page in (Page.PIN, Page.STAFF) or self.busy:
            return False
        self.touched()
        held = isinstance(swipe, MemberSwipe)
        self.message = HELD_SWIPE if held else _words(swipe)
        return held

    def member_card(self, number: str) -> bool:
        self.to_start()
        if not self.location.id:
            self.message = NO_LOCATION
            return True
        try:
            family_id = self.data.family_of_card(number)
        except AuthError:
            self.message = NO_CARD_KEY
            return True
        family = self.data.family(family_id) if family_id else None
        if family is None:
            self.message = UNKNOWN_CARD
            return True
        self.open_family(family)
        return True

    # --- the children page -------------------------------------------------------------------
    def open_family(self, family: KioskFamily) -> None:
        self.family = family
        self.families = []
        self.page = Page.CHILDREN
        self.chosen = {}
        self.reload_children()
        for child in self.children:
            if child.blocked:
                # No check-in for the child; the front desks are told who and why (sync.core.kiosk_referrals).
                log.info("kiosk: student %s (%s) sent to the front desk: %s",
                         child.student_id, child.first_name, ", ".join(sorted(child.blocked_by)))
                self._refer(child)
        selectable = [c for c in self.children if c.selectable]
        if len(selectable) == 1:
            # One child who can check in: one tap. With several, the family taps who is here, so
            # no child is marked present who stayed home.
            self.chosen[selectable[0].student_id] = self.preselected(selectable[0])

    def _refer(self, child: ChildLine) -> None:
        day = self.now().astimezone(ZoneInfo(self.location.timezone)).date()
        payload = referral_payload(child.student_id, self.location.id, day, child.blocked_by)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no event loop (a plain test of this class): the log line above stands
            return
        task = loop.create_task(self.store.record(KIOSK_REFERRAL, payload))
        self._referring.add(task)  # held until done; a failure is only logged: the family is already told
        task.add_done_callback(self._referred)

    def _referred(self, task: asyncio.Future) -> None:
        self._referring.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("kiosk: the referral could not be recorded: %s", task.exception())

    def reload_children(self) -> None:
        """Read the family's children again (opened, new data from sync, the clock moved on),
        keeping what was tapped while it is still possible."""
        if self.family is None:
            return
        now = self.now()
        kids = self.data.children_today(self.family.family_id, self.location.id, now)
        self.children = [self._child_line(kid, now) for kid in kids]
        keep = {}
        for child in self.children:
            session_id = self.chosen.get(child.student_id)
            if session_id is not None and child.selectable and any(o.session_id == session_id and o.selectable for o in child.options):
                keep[child.student_id] = session_id
        self.chosen = keep

    def _child_line(self, kid: KioskChild, now: dt.datetime) -> ChildLine:
        options = tuple(self._option(k, now) for k in kid.classes)
        blocking = frozenset(kid.alert_kinds & self.options.blocking_alerts)
        if blocking:
            return ChildLine(kid.student_id, kid.first_name, blocking, SEE_FRONT_DESK, options)
        note = "" if options else f"No class today at {self.location.name}"
        return ChildLine(kid.student_id, kid.first_name, frozenset(), note, options)

    def _option(self, k: KioskClass, now: dt.datetime) -> ClassOption:
        state = self.class_state(k, now)
        opens = k.starts_at - dt.timedelta(minutes=self.options.opens_before_minutes)
        closes = k.starts_at + dt.timedelta(minutes=self.options.closes_after_minutes)
        note = {
            ClassState.EARLY: f"Check-in opens at {clock(opens)}",
            ClassState.OPEN: "Check-in is open",
            ClassState.LATE: f"Started at {clock(k.starts_at)}: you will be marked late",
            ClassState.CLOSED: f"Check-in closed at {clock(closes)}. Please see the front desk.",
            ClassState.DONE: "Checked in ✓",
            ClassState.CANCELLED: "Cancelled today",
        }[state]
        return ClassOption(k.session_id, session_title(k.name, k.level), clock(k.starts_at), state, note)

    def class_state(self, k: KioskClass, now: dt.datetime) -> ClassState:
        if k.cancelled:
            return ClassState.CANCELLED
        if k.checked_in or k.status in ("present", "late"):
            return ClassState.DONE
        opens = k.starts_at - dt.timedelta(minutes=self.options.opens_before_minutes)
        closes = k.starts_at + dt.timedelta(minutes=self.options.closes_after_minutes)
        if now < opens:
            return ClassState.EARLY
        if now <= k.starts_at:
            return ClassState.OPEN
        if now <= closes:
            return ClassState.LATE
        return ClassState.CLOSED

    def preselected(self, child: ChildLine) -> str:
        """The class to choose for a tapped child: the open one starting closest to now."""
        open_ = [o for o in child.options if o.selectable]
        # OPEN (about to start) before LATE; options come by start time, so the first of each kind.
        return next((o for o in open_ if o.state is ClassState.OPEN), open_[0]).session_id

    def toggle_child(self, student_id: str) -> bool:
        """Tap a child: chosen (with their preselected class) or not any more."""
        if self.page is not Page.CHILDREN:
            return False
        self.touched()
        child = self._child(student_id)
        if child is None or not child.selectable:
            return False
        if student_id in self.chosen:
            del self.chosen[student_id]
        else:
            self.chosen[student_id] = self.preselected(child)
        return True

    def choose_class(self, student_id: str, session_id: str) -> bool:
        """Tap a class: the child is chosen for that class."""
        if self.page is not Page.CHILDREN:
            return False
        self.touched()
        child = self._child(student_id)
        if child is None or not child.selectable:
            return False
        if not any(o.session_id == session_id and o.selectable for o in child.options):
            return False
        self.chosen[student_id] = session_id
        return True

    def children_note(self) -> str:
        """Said above the children when none of them can check in now."""
        return "" if any(c.selectable for c in self.children) else NOBODY_NOW

    def check_in_label(self) -> str:
        names = [c.first_name for c in self.children if c.student_id in self.chosen]
        return f"Check in {and_list(names)}" if names else "Check in"

    def ready(self) -> bool:
        return self.page is Page.CHILDREN and bool(self.chosen) and not self.busy

    def _child(self, student_id: str) -> ChildLine | None:
        return next((c for c in self.children if c.student_id == student_id), None)

    # --- checking in -------------------------------------------------------------------------
    async def check_in(self) -> list[DoneLine]:
        """Record the chosen children's check-ins (offline too) and show the done page."""
        if not self.ready():
            return []
        self.busy = True
        try:
            chosen = dict(self.chosen)
            self.reload_children()  # the clock moved on since the page opened: judge the window now
            lines = []
            for child in self.children:
                session_id = chosen.get(child.student_id)
                if session_id is None:
                    continue
                option = next((o for o in child.options if o.session_id == session_id), None)
                lines.append(await self._check_in_one(child, option))
            self.done_lines = lines
            self.page = Page.DONE
        finally:
            self.busy = False
            self.touched()
        return lines

    async def _check_in_one(self, child: ChildLine, option: ClassOption | None) -> DoneLine:
        what = f"{option.title}, {option.time}" if option is not None else ""
        if child.blocked:  # an alert arrived by sync since the page opened
            return DoneLine(child.first_name, f"{child.first_name}: {SEE_FRONT_DESK.lower()}", ok=False)
        if option is None or not option.selectable:
            # The window closed between the tap and the check-in (or the child was checked in elsewhere).
            text = f"{child.first_name} is already checked in · {what}" if option and option.state is ClassState.DONE \
                else FAILED.format(name=child.first_name)
            return DoneLine(child.first_name, text, ok=option is not None and option.state is ClassState.DONE)
        try:
            if option.state is ClassState.LATE:
                payload = CheckInPayload(
                    check_in_id=new_id(), student_id=child.student_id, location_id=self.location.id,
                    session_id=option.session_id, mark_id=new_id(), status="late", checked_in_at=self.now().astimezone(dt.UTC).replace(tzinfo=None),
                )
                await self.store.record(CHECK_IN, payload.model_dump(mode="json"))
                return DoneLine(child.first_name, f"{child.first_name} · {what} (late)", ok=True)
            outcome = await self.store.check_in(child.student_id, self.location.id, option.session_id)
        except SyncError as exc:
            log.warning("kiosk: check-in of student %s failed: %s", child.student_id, exc)
            return DoneLine(child.first_name, FAILED.format(name=child.first_name), ok=False)
        if outcome.already:
            return DoneLine(child.first_name, f"{child.first_name} is already checked in · {what}", ok=True)
        return DoneLine(child.first_name, f"{child.first_name} · {what}", ok=True)

    def done_title(self) -> str:
        ok = [line for line in self.done_lines if line.ok]
        return "You're checked in!" if ok and len(ok) == len(self.done_lines) else "Almost there"

    # --- staff leaving the kiosk --------------------------------------------------------------
    def open_pin(self) -> None:
        if not self.busy:
            self.to_start()
            self.page = Page.PIN

    def pin_accepted(self) -> None:
        self.page = Page.STAFF
        self.touched()

    def close_staff(self) -> None:
        self.to_start()

    def set_location(self, location: LocationView) -> None:
        self.location = location
        self.to_start()


def _words(swipe: Swipe) -> str:
    """What the start page says of a swipe that is not a member card."""
    return PAYMENT_CARD if isinstance(swipe, PaymentCard) else ID_CARD_SWIPED if isinstance(swipe, IdCard) else BAD_READ
