"""The burst detector's logic, without Qt: swipes are caught whole, people's keys are never lost."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from devices.burst import ENTER, BurstDetector, BurstTiming
from devices.cards import BadRead, MemberSwipe, PaymentCard
from tests.fixtures import cards as tc

TIMING = BurstTiming(max_gap_ms=30, commit_keys=4, stall_ms=200)


class Desk:
    """Feeds keys like the Qt filter does; records what widgets receive and what swipes come out."""

    def __init__(self) -> None:
        self.detector = BurstDetector(TIMING)
        self.delivered: list[str] = []
        self.swipes: list = []
        self.now = 0.0

    def _take(self, step) -> None:
        self.delivered += step.replay
        if step.swipe is not None:
            self.swipes.append(step.swipe)

    def key(self, text: str, gap: float, autorepeat: bool = False) -> None:
        self.now += gap
        step = self.detector.key(text, self.now, autorepeat=autorepeat)
        self._take(step)
        if not step.swallow:
            self.delivered.append(text)

    def pause(self) -> None:
        """Time passes with no key: the timer the last step asked for fires."""
        self._take(self.detector.timeout())

    def type(self, text: str, gap: float) -> None:
        for ch in text:
            self.key(ENTER if ch in "\r\n" else ch, gap)


def test_a_swipe_is_caught_whole():
    desk = Desk()
    desk.type(tc.magtek(tc.VISA), gap=4)
    assert desk.swipes == [] and desk.detector.active  # Enter: another track may follow within the track gap
    desk.pause()
    assert desk.delivered == [] and len(desk.swipes) == 1 and isinstance(desk.swipes[0], PaymentCard)
    assert not desk.detector.active


def test_a_swipe_without_enter_finishes_on_the_pause():
    desk = Desk()
    desk.type(";00012345?", gap=4)
    assert desk.swipes == []
    desk.pause()
    assert desk.swipes == [MemberSwipe("00012345", "number on track 2")] and desk.delivered == []


def test_a_person_typing_sentinels_gets_every_key_in_order():
    desk = Desk()
    desk.type("50% off; ok+1", gap=150)
    desk.pause()
    assert "".join(desk.delivered) == "50% off; ok+1" and desk.swipes == []


def test_a_fast_pair_after_a_sentinel_is_still_a_person():
    desk = Desk()
    desk.key("%", 0)
    desk.key("a", 10)  # rollover: two keys close together, then a pause
    desk.key("b", 120)
    assert "".join(desk.delivered) == "%ab" and desk.swipes == []


def test_autorepeat_is_a_person():
    desk = Desk()
    desk.key(";", 0)
    for _ in range(5):
        desk.key(";", 20, autorepeat=True)
    desk.pause()
    assert "".join(desk.delivered) == ";" * 6 and desk.swipes == []


def test_a_stalled_burst_is_a_bad_read_and_typing_resumes():
    desk = Desk()
    desk.type(tc.magtek(tc.VISA)[:20], gap=3)
    desk.pause()
    assert len(desk.swipes) == 1 and isinstance(desk.swipes[0], BadRead)
    desk.type("emma", gap=150)
    assert "".join(desk.delivered) == "emma"


def test_a_late_timer_still_ends_the_stalled_burst_before_new_keys():
    desk = Desk()
    desk.type(tc.magtek(tc.VISA)[:20], gap=3)
    desk.key("e", 500)  # the stall timer never fired (a busy loop): the next key finishes the burst
    assert isinstance(desk.swipes[0], BadRead) and desk.delivered == ["e"]


def test_a_dead_key_inside_a_swipe_is_a_bad_read():
    desk = Desk()
    swipe = tc.magtek(tc.VISA)
    i = swipe.index("^")
    desk.type(swipe[:i], gap=3)
    desk.key("", 3)  # the layout made ^ a dead key: no character
    desk.type(swipe[i + 1:], gap=3)
    desk.pause()
    assert len(desk.swipes) == 1 and isinstance(desk.swipes[0], BadRead)
    assert desk.delivered == []


keys = st.sampled_from(list("%;+?=^/0123456789BE ab") + [ENTER, ""])


@settings(max_examples=300, deadline=None, database=None)
@given(st.lists(st.tuples(keys, st.floats(0, 400), st.booleans(), st.booleans()), max_size=120))
def test_random_keys_never_crash_and_people_lose_nothing(events):
    desk = Desk()
    for text, gap, autorepeat, pause in events:
        desk.key(text, gap, autorepeat)
        if pause:
            desk.pause()
    desk.pause()
    desk.pause()
    assert not desk.detector.active
    for swipe in desk.swipes:
        assert isinstance(swipe, (PaymentCard, MemberSwipe, BadRead))


@settings(max_examples=200, deadline=None, database=None)
@given(st.text(st.sampled_from(list("%;+?=^/0123456789BE ab")), max_size=60), st.floats(31, 2000))
def test_slow_typing_always_arrives_exactly(text, gap):
    desk = Desk()
    desk.type(text, gap)
    desk.pause()
    assert "".join(desk.delivered) == text and desk.swipes == []


@settings(max_examples=200, deadline=None, database=None)
@given(st.sampled_from(tc.ALL_PANS), st.floats(0.5, 25), st.integers(0, 3))
def test_fast_swipes_are_always_caught(pan, gap, index):
    desk = Desk()
    swipe = [tc.magtek(pan), tc.track2(pan) + "\r", tc.track1(pan) + "\r", ";00012345?\r"][index]
    desk.type(swipe, gap)
    desk.pause()
    assert desk.delivered == [] and len(desk.swipes) == 1 and not isinstance(desk.swipes[0], BadRead)
