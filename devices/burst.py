"""Tells a swiper's keystroke burst from a person typing (pure logic, no Qt; desk.kem_filter feeds it
the application's key presses).

A swipe starts with a start sentinel (`%`, `;` or `+`). That key is held back until the next key
shows whether a machine is typing: swipers type every few milliseconds, people far slower. After
`commit_keys` fast keys the burst is a swipe and every key of it is swallowed until `?` then Enter.
Some readers are set to send Enter after each track: so an Enter after a track ends the swipe only
when no other track starts within `track_gap_ms` (one swipe, not two). A person's held keys are
handed back (`replay`) in their order, before the key that gave them away. A burst that stops
halfway times out to a bad read.

    detector = BurstDetector()
    step = detector.key("%", at_ms=1000)     # swallow, wait up to step.wait_ms for the next key
    step = detector.timeout()                # nothing came: step.replay == ("%",), a person typed it
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from devices.cards import BadRead, Swipe
from devices.tracks import DEFAULT_RULES, END_SENTINEL, MAX_INPUT, START_SENTINELS, MemberRule, parse_swipe

ENTER = "\n"
UNKNOWN = "\ufffd"  # a key with no text inside a burst (a dead key on this keyboard layout)


@dataclass(frozen=True)
class BurstTiming:
    max_gap_ms: int = 30  # a longer gap between the first keys means a person is typing
    commit_keys: int = 4  # this many fast keys (sentinel included) make it a swipe
    stall_ms: int = 250  # a committed swipe silent this long stopped halfway (or had no Enter)
    track_gap_ms: int = 60  # after a track's Enter, the next track starts within this, or the swipe is over

    @property
    def after_enter_ms(self) -> int:
        # A reader set to a slower key rate (a larger max_gap_ms) also pauses longer between tracks.
        return max(self.track_gap_ms, 2 * self.max_gap_ms)


@dataclass(frozen=True)
class Step:
    swallow: bool  # the key is eaten: no widget sees it
    replay: tuple[str, ...] = ()  # keys held earlier, to deliver (before this one) to where they were typed
    swipe: Swipe | None = None  # a finished swipe
    wait_ms: int | None = None  # call timeout() if no key comes within this long


class BurstDetector:
    def __init__(self, timing: BurstTiming = BurstTiming(), rules: Callable[[], Sequence[MemberRule]] | None = None):
        self.timing = timing
        self._rules = rules or (lambda: DEFAULT_RULES)
        self._buffer: list[str] = []
        self._last_ms = 0.0
        self._committed = False
        self._overflow = False
        self._closing = False  # Enter came after a track: wait for another track, else the swipe is over

    @property
    def active(self) -> bool:
        """A possible swipe is under way (keys are being held or swallowed)."""
        return bool(self._buffer)

    def key(self, text: str, at_ms: float, *, autorepeat: bool = False) -> Step:
        """One key press: `text` is its character ("" for keys without one, ENTER for Return/Enter)."""
        if not self._buffer:
            return self._idle(text, at_ms, autorepeat)
        gap = max(0.0, at_ms - self._last_ms)
        if not self._committed:
            if gap > self.timing.max_gap_ms or autorepeat or not text or text == ENTER:
                replay = self._give_back()
                step = self._idle(text, at_ms, autorepeat)
                return Step(step.swallow, replay + step.replay, step.swipe, step.wait_ms)
            return self._add(text, at_ms)
        if self._closing:
            if gap <= self.timing.after_enter_ms and text == ENTER:
                self._last_ms = at_ms
                return Step(True, wait_ms=self.timing.after_enter_ms)  # CR LF: the second half of one Enter
            if gap <= self.timing.after_enter_ms and text in START_SENTINELS and text:
                self._closing = False  # the reader sends Enter after each track: this is the next one
                self._buffer.append("\r")
                return self._add(text, at_ms)
            return self._ended_then(text, at_ms, autorepeat)
        if gap > self.timing.stall_ms:
            # The last swipe stopped halfway long ago (its timer was late): finish it, then start afresh.
            return self._ended_then(text, at_ms, autorepeat)
        if text == ENTER and END_SENTINEL in self._buffer[-2:]:  # after `?`, or after `?` and its LRC
            self._closing = True
            self._last_ms = at_ms
            return Step(True, wait_ms=self.timing.after_enter_ms)
        return self._add(text or UNKNOWN, at_ms)

    def _ended_then(self, text: str, at_ms: float, autorepeat: bool) -> Step:
        """The swipe under way is over (a key came too late to belong to it): finish it, then take the key."""
        ended = self._finish()
        step = self._idle(text, at_ms, autorepeat)
        return Step(step.swallow, step.replay, ended, step.wait_ms)

    def timeout(self) -> Step:
        """No key came within the last step's wait_ms."""
        if not self._buffer:
            return Step(False)
        if not self._committed:
            return Step(False, replay=self._give_back())
        return Step(False, swipe=self._finish())

    def _idle(self, text: str, at_ms: float, autorepeat: bool) -> Step:
        if text in START_SENTINELS and text and not autorepeat:
            self._buffer = [text]
            self._last_ms = at_ms
            return Step(True, wait_ms=self.timing.max_gap_ms)
        return Step(False)

    def _add(self, text: str, at_ms: float) -> Step:
        if len(self._buffer) < MAX_INPUT:
            self._buffer.append(text)
        else:
            self._overflow = True
        self._last_ms = at_ms
        if len(self._buffer) >= self.timing.commit_keys:
            self._committed = True
        return Step(True, wait_ms=self.timing.stall_ms if self._committed else self.timing.max_gap_ms)

    def _give_back(self) -> tuple[str, ...]:
        held = tuple(self._buffer)
        self._reset()
        return held

    def _finish(self) -> Swipe:
        text, overflow = "".join(self._buffer), self._overflow
        self._reset()
        if overflow:
            return BadRead("too long for a card")
        if UNKNOWN in text:
            return BadRead("keys without characters inside the swipe (keyboard layout?)")
        if END_SENTINEL not in text[-2:]:  # the last track's `?`, perhaps followed by its LRC character
            return BadRead("the swipe stopped halfway")
        return parse_swipe(text, self._rules())

    def _reset(self) -> None:
        self._buffer = []
        self._committed = False
        self._overflow = False
        self._closing = False
