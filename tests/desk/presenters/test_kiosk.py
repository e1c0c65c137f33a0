"""The kiosk's flow without widgets, on a real desk cache: find the family, the check-in window,
alerts that send a child to the front desk, member cards, idle time, and the exit PIN."""

from __future__ import annotations

import datetime as dt

import pytest

from desk.kiosk import presenter as kp
from desk.kiosk.exit_pin import NO_PIN, KioskExit
from desk.kiosk.options import KioskOptions
from desk.kiosk.presenter import ClassState, KioskPresenter, Page
from devices.cards import BadRead, MemberSwipe, PaymentCard
from sync.kiosk_queries import KioskData
from tests.fixtures import cards as tc
from tests.sync.test_kiosk_queries import at, filled_store

MEMBER = "00423817"


class Clock:
    def __init__(self, now: dt.datetime):
        self.now = now
        self.seconds = 1000.0

    def wall(self) -> dt.datetime:
        return self.now

    def mono(self) -> float:
        return self.seconds


@pytest.fixture
def kiosk(tmp_path):
    store, w = filled_store(tmp_path / "desk")
    try:
        yield store, w
    finally:
        store.close()


def make(kiosk, when: dt.datetime, **options) -> tuple[KioskPresenter, Clock]:
    store, _w = kiosk
    clock = Clock(when)
    downtown = next(loc for loc in store.locations() if loc.code == "DT")
    p = KioskPresenter(KioskData(store), store, downtown, KioskOptions(**options), now=clock.wall, clock=clock.mono)
    return p, clock


def type_digits(p: KioskPresenter, digits: str) -> None:
    for d in digits:
        assert p.type_digit(d)


def child(p: KioskPresenter, name: str) -> kp.ChildLine:
    return next(c for c in p.children if c.first_name == name)


def roster_status(store, session_id: str, student_id: str) -> tuple[str | None, bool] | None:
    row = next((r for r in store.roster(session_id) if r.student_id == student_id), None)
    return (row.status, row.checked_in) if row else None


def test_one_family_with_those_digits_opens_at_once_with_the_open_class_chosen(kiosk):
    store, w = kiosk
    p, _ = make(kiosk, at(15, 45))
    type_digits(p, "424")
    assert (p.page, p.digits) == (Page.START, "424")
    p.delete_digit()
    type_digits(p, "42")
    assert p.page is Page.CHILDREN and p.family is not None and p.family.family_id == w.ids["fam_muller"]
    assert [c.first_name for c in p.children] == ["Zoë"]
    [option] = child(p, "Zoë").options
    assert (option.title, option.time, option.state, option.note) == ("Level 2 Tumbling", "4:00 PM", ClassState.OPEN, "Check-in is open")
    assert p.chosen == {w.ids["zoe"]: w.ids["sess_tumbling"]}  # the only child who can check in: one tap
    assert p.ready() and p.check_in_label() == "Check in Zoë"


def test_several_families_show_initial_and_first_names_only(kiosk):
    _store, w = kiosk
    p, _ = make(kiosk, at(15, 45))
    type_digits(p, "0101")
    assert p.page is Page.FAMILIES and p.digits == ""
    assert p.family_labels() == ["L. — Amy, Emma, Emmett", "P. — Ava, Leo, Mia"]
    p.pick_family(1)
    assert p.page is Page.CHILDREN and p.family.family_id == w.ids["fam_parker"]
    assert [c.first_name for c in p.children] == ["Ava", "Leo", "Mia"]


def test_a_miss_or_too_many_families_is_said_on_the_start_page(kiosk):
    p, _ = make(kiosk, at(15, 45))
    type_digits(p, "9999")
    assert (p.page, p.digits) == (Page.START, "")
    assert p.message == kp.NO_MATCH.format(digits="9999")
    assert p.type_digit("1") and p.message == ""  # typing again clears it
    p.clear_digits()
    p, _ = make(kiosk, at(15, 45), max_families=1)
    type_digits(p, "0101")
    assert p.page is Page.START and p.message == kp.TOO_MANY.format(digits="0101")
    assert not p.type_digit("x") and not p.type_digit("12")


@pytest.mark.parametrize(
    ("hour", "minute", "state", "note"),
    [
        (15, 0, ClassState.EARLY, "Check-in opens at 3:30 PM"),
        (15, 30, ClassState.OPEN, "Check-in is open"),
        (16, 0, ClassState.OPEN, "Check-in is open"),
        (16, 10, ClassState.LATE, "Started at 4:00 PM: you will be marked late"),
        (16, 15, ClassState.LATE, "Started at 4:00 PM: you will be marked late"),
        (16, 16, ClassState.CLOSED, "Check-in closed at 4:15 PM. Please see the front desk."),
    ],
)
def test_the_check_in_window_around_the_class_start(kiosk, hour, minute, state, note):
    _store, w = kiosk
    p, _ = make(kiosk, at(hour, minute))
    type_digits(p, "4242")
    [option] = child(p, "Zoë").options
    assert (option.state, option.note) == (state, note)
    assert option.selectable is state.selectable
    assert (p.chosen == {w.ids["zoe"]: w.ids["sess_tumbling"]}) is state.selectable
    assert p.toggle_child(w.ids["zoe"]) is state.selectable
    if not state.selectable:
        assert p.chosen == {} and not p.ready() and p.children_note() == kp.NOBODY_NOW


@pytest.mark.asyncio
async def test_inside_the_window_checks_in_present_and_the_class_then_says_so(kiosk):
    store, w = kiosk
    p, _ = make(kiosk, at(15, 45))
    type_digits(p, "4242")
    pending = store.pending_count()
    lines = await p.check_in()
    assert p.page is Page.DONE and p.done_title() == "You're checked in!"
    assert [(line.text, line.ok) for line in lines] == [("Zoë · Level 2 Tumbling, 4:00 PM", True)]
    assert roster_status(store, w.ids["sess_tumbling"], w.ids["zoe"]) == ("present", True)
    assert store.pending_count() == pending + 1
    p.to_start()
    type_digits(p, "4242")
    assert child(p, "Zoë").options[0].state is ClassState.DONE and child(p, "Zoë").options[0].note == "Checked in ✓"
    assert p.chosen == {} and not p.ready()
    assert await p.check_in() == [] and store.pending_count() == pending + 1


@pytest.mark.asyncio
async def test_after_the_start_the_child_is_marked_late(kiosk):
    store, w = kiosk
    p, _ = make(kiosk, at(16, 10))
    type_digits(p, "4242")
    lines = await p.check_in()
    assert [line.text for line in lines] == ["Zoë · Level 2 Tumbling, 4:00 PM (late)"]
    assert roster_status(store, w.ids["sess_tumbling"], w.ids["zoe"]) == ("late", True)
    [mutation] = [m for m in store.outbox.pending() if m.type == "check_in"]
    assert mutation.payload["status"] == "late" and mutation.payload["session_id"] == w.ids["sess_tumbling"]


@pytest.mark.asyncio
async def test_the_window_is_judged_again_when_check_in_is_tapped(kiosk):
    store, w = kiosk
    p, clock = make(kiosk, at(16, 14))
    type_digits(p, "4242")
    assert p.ready()
    clock.now = at(16, 20)  # the parent looked away; check-in closed meanwhile
    pending = store.pending_count()
    lines = await p.check_in()
    assert [(line.text, line.ok) for line in lines] == [(kp.FAILED.format(name="Zoë"), False)]
    assert p.done_title() == "Almost there" and store.pending_count() == pending
    assert roster_status(store, w.ids["sess_tumbling"], w.ids["zoe"]) == (None, False)


@pytest.mark.asyncio
async def test_several_children_are_tapped_one_by_one_and_checked_in_together(kiosk):
    store, w = kiosk
    p, _ = make(kiosk, at(15, 45), opens_before_minutes=180)  # Ninja at 6:30 PM opens at 3:30 PM too
    type_digits(p, "0101")
    p.pick_family(1)
    assert child(p, "Leo").selectable and child(p, "Mia").selectable
    assert p.chosen == {} and p.check_in_label() == "Check in"  # nobody marked here who stayed home
    assert p.toggle_child(w.ids["mia"]) and p.toggle_child(w.ids["leo"])
    assert p.check_in_label() == "Check in Leo and Mia"
    assert p.toggle_child(w.ids["leo"]) and p.check_in_label() == "Check in Mia"
    assert p.choose_class(w.ids["leo"], w.ids["sess_ninja"]) and p.check_in_label() == "Check in Leo and Mia"
    assert not p.choose_class(w.ids["leo"], w.ids["sess_cheer"])  # not one of his classes
    lines = await p.check_in()
    assert [line.text for line in lines] == ["Leo · Junior Ninja, 6:30 PM", "Mia · Level 2 Tumbling, 4:00 PM"]
    assert roster_status(store, w.ids["sess_ninja"], w.ids["leo"]) == ("present", True)
    assert roster_status(store, w.ids["sess_tumbling"], w.ids["mia"]) == ("present", True)


@pytest.mark.asyncio
async def test_a_blocking_alert_sends_the_child_to_the_front_desk_and_records_nothing(kiosk, caplog):
    store, w = kiosk
    p, _ = make(kiosk, at(15, 45))
    type_digits(p, "0101")
    with caplog.at_level("INFO", logger="frontdesk.kiosk"):
        p.pick_family(1)
    ava = child(p, "Ava")  # waiver missing (her own alert)
    assert ava.blocked and not ava.selectable and ava.note == kp.SEE_FRONT_DESK
    assert not p.toggle_child(w.ids["ava"]) and not p.choose_class(w.ids["ava"], w.ids["sess_tumbling"])
    assert p.chosen == {w.ids["mia"]: w.ids["sess_tumbling"]}  # Mia, the one who can, is chosen
    assert any("sent to the front desk: waiver" in r.getMessage() and w.ids["ava"] in r.getMessage() for r in caplog.records)
    # The Lees owe a balance: no child of theirs checks in here.
    p.to_start()
    type_digits(p, "0101")
    p.pick_family(0)
    assert all(c.blocked and c.note == kp.SEE_FRONT_DESK for c in p.children)
    assert p.children_note() == kp.NOBODY_NOW and not p.ready()
    pending = store.pending_count()
    assert await p.check_in() == [] and store.pending_count() == pending
    assert roster_status(store, w.ids["sess_ninja"], w.ids["emma"]) in (None, (None, False))
    # A business that lets families with a balance check in says so in the options.
    p, _ = make(kiosk, at(18, 15), blocking_alerts=frozenset({"waiver"}))
    type_digits(p, "0101")
    p.pick_family(0)
    assert child(p, "Emma").selectable and p.chosen == {w.ids["emma"]: w.ids["sess_ninja"]}


@pytest.mark.asyncio
async def test_an_alert_arriving_after_the_tap_still_stops_the_check_in(kiosk):
    from sync.core.ids import new_id
    from sync.core.schema import Alert
    from tests.sync.data import change

    store, w = kiosk
    p, _ = make(kiosk, at(15, 45))
    type_digits(p, "4242")
    assert p.ready()
    alert = Alert(id=new_id(), family_id=w.ids["fam_muller"], kind="balance", text="Tuition past due")
    store.cache.apply_pull([change(alert, 10_000)], cursor=10_000)
    pending = store.pending_count()
    lines = await p.check_in()
    assert [(line.text, line.ok) for line in lines] == [("Zoë: please see the front desk", False)]
    assert store.pending_count() == pending


@pytest.mark.asyncio
async def test_a_member_card_opens_its_family_and_other_swipes_are_said(kiosk):
    store, w = kiosk
    await store.assign_card(MEMBER, w.ids["mia"])
    p, _ = make(kiosk, at(15, 45))
    type_digits(p, "12")
    assert p.swiped(MemberSwipe(MEMBER))
    assert p.page is Page.CHILDREN and p.family.family_id == w.ids["fam_parker"] and p.digits == ""
    assert p.swiped(MemberSwipe("99999999"))  # from any page: back to the start, saying why
    assert (p.page, p.message) == (Page.START, kp.UNKNOWN_CARD)
    card = PaymentCard(pan=tc.VISA, name="", expiry_year=2030, expiry_month=1, service_code="101", track_data="x")
    assert p.swiped(card) and p.message == kp.PAYMENT_CARD
    assert p.swiped(BadRead("stopped halfway")) and p.message == kp.BAD_READ
    store.card_key = None
    assert p.swiped(MemberSwipe(MEMBER)) and p.message == kp.NO_CARD_KEY
    p.open_pin()
    assert not p.swiped(MemberSwipe(MEMBER)) and p.page is Page.PIN  # staff pages ignore swipes


def test_idle_pages_go_back_to_the_start(kiosk):
    p, clock = make(kiosk, at(15, 45), idle_seconds=30, done_seconds=5)
    assert not p.idle_due()
    clock.seconds += 1000
    assert not p.idle_due()  # the start page with nothing typed has nothing to undo
    type_digits(p, "42")
    clock.seconds += 29
    assert not p.idle_due()
    clock.seconds += 1
    assert p.idle_due()
    p.to_start()
    type_digits(p, "4242")
    clock.seconds += 20
    p.toggle_child(p.children[0].student_id)  # a tap starts the wait again
    clock.seconds += 29
    assert not p.idle_due()
    clock.seconds += 1
    assert p.idle_due()
    p.to_start()
    assert (p.page, p.digits, p.family, p.children, p.chosen) == (Page.START, "", None, [], {})
    p.page = Page.DONE
    p.touched()
    clock.seconds += 5
    assert p.idle_due()


def test_the_exit_pin_is_checked_and_wrong_ones_make_the_pad_wait():
    seconds = [0.0]
    tried: list[str] = []

    def check(pin: str) -> bool:
        tried.append(pin)
        return pin == "2468"

    exit_pin = KioskExit([check], tries=3, wait_seconds=60, clock=lambda: seconds[0])
    assert exit_pin.refusal() == "" and not exit_pin.check("")
    assert not exit_pin.check("1111")
    assert exit_pin.failed() == "That PIN is not right. 2 more tries before the pad waits."
    assert exit_pin.failed() == "That PIN is not right. 1 more try before the pad waits."
    assert exit_pin.failed() == "Too many wrong PINs. Try again in 60 seconds."
    tried.clear()
    assert not exit_pin.check("2468") and tried == []  # while waiting, not even the right PIN is tried
    seconds[0] = 59.2
    assert exit_pin.refusal() == "Too many wrong PINs. Try again in 1 second."
    seconds[0] = 60.0
    assert exit_pin.refusal() == ""
    assert exit_pin.failed() == "Too many wrong PINs. Try again in 2 minutes."  # one more wrong: twice as long
    seconds[0] = 180.0
    assert exit_pin.check("2468")
    exit_pin.succeeded()
    assert exit_pin.wrong == 0 and exit_pin.refusal() == ""
    assert KioskExit([check], has_pin=lambda: False).refusal() == NO_PIN
    assert not KioskExit([check], has_pin=lambda: False).check("2468")
    assert KioskExit([]).refusal() == NO_PIN


def test_options_refuse_what_cannot_work():
    assert KioskOptions().blocking_alerts == frozenset({"balance", "waiver"})
    with pytest.raises(ValueError, match="unknown alert kinds"):
        KioskOptions(blocking_alerts=frozenset({"owes"}))
    with pytest.raises(ValueError):
        KioskOptions(opens_before_minutes=-1)
    with pytest.raises(ValueError):
        KioskOptions(idle_seconds=0)
