"""ISO/IEC 7813 magnetic-stripe track parser: the text a swiper sends, to a typed result.

    parse_swipe("%B4…^DOE/JOHN^2812101…?;4…=2812101…?\\r")  -> PaymentCard (masked)
    parse_swipe(";00012345?")                              -> MemberSwipe("00012345")
    parse_swipe("%E?;E?")                                  -> BadRead("…")

Track 1 (format B): `%B PAN ^ NAME ^ YYMM SVC discretionary ?`; track 2: `; PAN = YYMM SVC
discretionary ?`; track 3 starts with `;` after a track 2, or with `+`. A swiper sends `E` in place
of a track it could not read. Cards that are not payment cards (member cards, key tags, a plain
number) are recognised by `MemberRule`s. Nothing here raises on bad input, and no result or
reason carries track data except the payment card's one-time `take_track_data`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from devices.cards import BadRead, MemberSwipe, PaymentCard, Swipe, luhn_ok

START_SENTINELS = frozenset("%;+")
END_SENTINEL = "?"
MAX_INPUT = 1024  # three full tracks are under 250 characters; anything longer is not a swipe


@dataclass(frozen=True)
class MemberRule:
    """Claims a swipe as a member card when `pattern` matches a track (or the whole plain text).

    `track` is 1, 2, 3 or 0 for text without sentinels (a key-tag reader typing a number). The
    pattern's `number` group (or the whole match) is the member number.
    """

    name: str
    track: int
    pattern: str

    def match(self, text: str) -> str | None:
        found = re.fullmatch(self.pattern, text)
        if found is None:
            return None
        return found.groupdict().get("number") or found.group(0)


# Most member cards and key tags carry a plain number on track 2, or a custom track 1.
DEFAULT_RULES: tuple[MemberRule, ...] = (
    MemberRule("number on track 2", 2, r"(?P<number>\d{4,19})"),
    MemberRule("custom track 1", 1, r"(?![Bb])(?P<number>[A-Za-z0-9][A-Za-z0-9 \-/]{2,75})"),
    MemberRule("number on track 3", 3, r"(?P<number>\d{4,104})"),
    MemberRule("plain number", 0, r"(?P<number>\d{4,19})"),
)


@dataclass(frozen=True)
class Tracks:
    """The tracks of one swipe, without sentinels; None for a track not sent, "E" for a read error."""

    track1: str | None = None
    track2: str | None = None
    track3: str | None = None


class _Garbled(ValueError):
    """Internal: the text is not a well-formed swipe (never leaves this module)."""


def split_tracks(text: str) -> Tracks:
    """Cut a swipe into its tracks; raises _Garbled for text that is not a whole swipe."""
    found: dict[int, str] = {}
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in " \t\r\n":
            i += 1
            continue
        if ch not in START_SENTINELS:
            raise _Garbled("characters outside any track")
        end = text.find(END_SENTINEL, i + 1)
        if end < 0:
            raise _Garbled("a track has no end sentinel (the swipe stopped halfway)")
        body = text[i + 1:end]
        if any(c in START_SENTINELS for c in body):
            raise _Garbled("a track started inside another")
        number = 1 if ch == "%" else 3 if ch == "+" or 2 in found else 2
        if number in found:
            raise _Garbled("the same track came twice")
        found[number] = body
        i = end + 1
        # Some readers send the longitudinal redundancy check after the end sentinel.
        if i < n and text[i] not in START_SENTINELS and text[i] not in " \t\r\n":
            i += 1
    if not found:
        raise _Garbled("no track")
    return Tracks(found.get(1), found.get(2), found.get(3))


def parse_swipe(text: str, rules: Sequence[MemberRule] = DEFAULT_RULES) -> Swipe:
    """What a swipe is: PaymentCard, MemberSwipe or BadRead. Never raises."""
    try:
        return _parse(text, rules)
    except _Garbled as exc:
        return BadRead(str(exc))
    except Exception as exc:  # noqa: BLE001 - a swipe must never crash the desk; the reason names no data
        return BadRead(f"unreadable swipe ({type(exc).__name__})")


def _parse(text: str, rules: Sequence[MemberRule]) -> Swipe:
    if not isinstance(text, str) or not text.strip():
        return BadRead("empty swipe")
    if len(text) > MAX_INPUT:
        return BadRead("too long for a card")
    stripped = text.strip()
    if not any(c in START_SENTINELS for c in stripped):
        return _member(rules, {0: stripped}) or BadRead("not a card the desk knows")
    tracks = split_tracks(text)
    present = {k: v for k, v in ((1, tracks.track1), (2, tracks.track2), (3, tracks.track3)) if v is not None}
    good = {k: v for k, v in present.items() if v.upper() != "E" and v != ""}
    if not good:
        return BadRead("the swiper could not read the card")
    t1, t2 = good.get(1), good.get(2)
    if (t1 is not None and t1[:1] in "Bb") or (t2 is not None and "=" in t2):
        return _payment(text, t1 if t1 is not None and t1[:1] in "Bb" else None, t2 if t2 is not None and "=" in t2 else None)
    return _member(rules, good) or BadRead("not a card the desk knows")


def _member(rules: Sequence[MemberRule], tracks: dict[int, str]) -> MemberSwipe | None:
    for rule in rules:
        body = tracks.get(rule.track)
        if body is None:
            continue
        try:
            number = rule.match(body)
        except re.error:
            continue  # a bad rule in settings must not stop the others
        if number:
            return MemberSwipe(number=number.strip(), rule=rule.name)
    return None


@dataclass(frozen=True)
class _Fields:
    pan: str
    name: str
    yymm: str
    service: str


def _payment(raw: str, t1: str | None, t2: str | None) -> Swipe:
    f1 = _track1(t1) if t1 is not None else None
    f2 = _track2(t2) if t2 is not None else None
    if f1 is not None and f2 is not None and (f1.pan, f1.yymm) != (f2.pan, f2.yymm):
        return BadRead("tracks 1 and 2 disagree")
    fields = f2 or f1
    assert fields is not None
    name = f1.name if f1 is not None else ""
    if not 12 <= len(fields.pan) <= 19 or not luhn_ok(fields.pan):
        return BadRead("the card number did not check out")
    year, month = int(fields.yymm[:2]), int(fields.yymm[2:])
    if not 1 <= month <= 12:
        return BadRead("the expiry date did not read right")
    return PaymentCard(pan=fields.pan, name=name, expiry_year=2000 + year, expiry_month=month,
                       service_code=fields.service, track_data=raw.strip())


_TRACK1 = re.compile(r"[Bb](?P<pan>\d{12,19})\^(?P<name>[^\^]{0,26})\^(?P<yymm>\d{4})(?P<svc>\d{3})(?P<rest>[^\^]*)")
_TRACK2 = re.compile(r"(?P<pan>\d{12,19})=(?P<yymm>\d{4})(?P<svc>\d{3})(?P<rest>\d*)")


def _track1(body: str) -> _Fields:
    m = _TRACK1.fullmatch(body)
    if m is None or not all(" " <= c <= "~" for c in body):
        raise _Garbled("track 1 is not a payment track")
    return _Fields(m["pan"], display_name(m["name"]), m["yymm"], m["svc"])


def _track2(body: str) -> _Fields:
    m = _TRACK2.fullmatch(body)
    if m is None:
        raise _Garbled("track 2 is not a payment track")
    return _Fields(m["pan"], "", m["yymm"], m["svc"])


def display_name(raw: str) -> str:
    """'DOE/JOHN Q' -> 'John Q Doe'; a title after a dot ('DOE/JOHN.MR') is dropped."""
    raw = raw.strip()
    if "/" in raw:
        last, _, first = raw.partition("/")
        first = first.split(".")[0]
        words = f"{first} {last}".split()
    else:
        words = raw.split()
    return " ".join(_title(w) for w in words)


def _title(word: str) -> str:
    # Capitalise each part of hyphenated and apostrophe names: O'NEIL-SMITH -> O'Neil-Smith.
    return re.sub(r"[A-Za-z]+", lambda m: m.group(0).capitalize(), word)
