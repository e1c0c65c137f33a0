"""ISO/IEC 7813 magnetic-stripe track parser: the text a swiper sends, to a typed result.

    parse_swipe("%B4…^DOE/JOHN^2812101…?;4…=2812101…?\\r")  -> PaymentCard (masked)
    parse_swipe(";00012345?")                              -> MemberSwipe("00012345")
    parse_swipe("%E?;E?")                                  -> BadRead("…")
    parse_swipe("%CASACRAMENTO^DOE$JOHN^…?;636014…=…?")   -> IdCard()

Track 1 (format B): `%B PAN ^ NAME ^ YYMM SVC discretionary ?`; track 2: `; PAN = YYMM SVC
discretionary ?`; track 3 starts with `;` after a track 2, or with `+` (or `%` on a driver's licence,
whose track 3 is alphanumeric). A swiper sends `E` in place of a track it could not read.

Track 2 is the card's authority (it is what the networks authorise from, and its low density reads
best): a sound track 2 makes the card, and track 1 adds the holder's name only when it is sound and
agrees. A track 1 that is odd in any way (no `^`, a cut-short name, a misread) is dropped, never the
swipe. Only when track 2 is missing or unsound does a sound track 1 make the card on its own.

Driver's licences and ID cards (AAMVA: issuer number 636 or 6044xx on track 2, the state and
`$`-separated name on track 1) become `IdCard`, which keeps nothing of them. Cards that are not payment cards
(member cards, key tags, a plain number) are recognised by `MemberRule`s. Digits are ASCII digits
only. Nothing here raises on bad input, and no result or reason carries track data except the
payment card's one-time `take_track_data`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from devices.cards import BadRead, IdCard, MemberSwipe, PaymentCard, Swipe, ascii_digits, is_id_card_number, pan_ok

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
        found = re.fullmatch(self.pattern, text, re.ASCII)  # \\d is 0-9 only: other scripts' digits are no number
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
        if ch == "%":
            number = 3 if found else 1  # a `%` after another track is an ID card's alphanumeric track 3
        else:
            number = 3 if ch == "+" or 2 in found or 3 in found else 2
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
    """What a swipe is: PaymentCard, MemberSwipe, IdCard or BadRead. Never raises."""
    try:
        return _parse(text, rules)
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
    try:
        tracks = split_tracks(text)
    except _Garbled as exc:
        # A track 1 without its end sentinel, or with a sentinel misread inside it, must not cost a
        # good track 2: look for one on its own.
        return _rescued(text) or BadRead(str(exc))
    return _read(tracks, text, rules)


def _unread(body: str | None) -> bool:
    return body is None or body == "" or body.upper() == "E"


def _read(tracks: Tracks, raw: str, rules: Sequence[MemberRule]) -> Swipe:
    t1, t2, t3 = (None if _unread(t) else t for t in (tracks.track1, tracks.track2, tracks.track3))
    if t1 is None and t2 is None and t3 is None:
        return BadRead("the swiper could not read the card")
    if t2 is not None and _aamva_track2(t2):
        return IdCard()
    pay1 = _track1(t1) if t1 is not None and t1[:1] in "Bb" else None
    pay2 = _track2(t2) if t2 is not None and "=" in t2 else None
    if isinstance(pay2, _Fields):
        if isinstance(pay1, _Fields) and (pay1.pan, pay1.yymm) == (pay2.pan, pay2.yymm):
            return _card(pay2, pay1.name, f"%{t1}?;{t2}?")
        return _card(pay2, "", f";{t2}?")  # a track 1 that is odd or disagrees is left out, name and all
    rescued = _rescued(raw)  # a track 1 misread into pieces can push track 2 out of its place
    if rescued is not None:
        return rescued
    if pay1 is not None and not isinstance(pay1, _Fields) and t2 is not None and "=" not in t2:
        # An odd payment-like track 1 in front of a member card's number: the number still counts.
        member = _member(rules, {k: v for k, v in ((2, t2), (3, t3)) if v is not None})
        if member is not None:
            return member
    if _aamva_track1(t1):
        return IdCard()
    if isinstance(pay1, _Fields):
        return _card(pay1, pay1.name, f"%{t1}?")
    if pay1 is not None or pay2 is not None:
        return BadRead(pay2 if isinstance(pay2, str) else pay1 if isinstance(pay1, str) else "not a payment track")
    good = {k: v for k, v in ((1, t1), (2, t2), (3, t3)) if v is not None}
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


def _card(fields: _Fields, name: str, track_data: str) -> PaymentCard:
    """`track_data` is only the tracks the card was read from, for the payment flow to hand on."""
    return PaymentCard(pan=fields.pan, name=name, expiry_year=2000 + int(fields.yymm[:2]),
                       expiry_month=int(fields.yymm[2:]), service_code=fields.service, track_data=track_data)


# The name field is 2 to 26 characters by ISO/IEC 7813; a few cards hold fewer. American Express
# prints its numbers in 4-6-5 groups and some cards encode the spaces too.
_TRACK1 = re.compile(r"[Bb](?P<pan>[0-9][0-9 ]{10,26}[0-9])\^(?P<name>[^\^]{0,26})\^(?P<yymm>[0-9]{4})(?P<svc>[0-9]{3})(?P<rest>[^\^]*)")
_TRACK2 = re.compile(r"(?P<pan>[0-9]{12,19})=(?P<yymm>[0-9]{4})(?P<svc>[0-9]{3})(?P<rest>[0-9]*)")


def _checked(pan: str, name: str, yymm: str, service: str) -> _Fields | str:
    """The fields of a sound payment track, or the reason it is not one (naming no data)."""
    if not pan_ok(pan):
        return "the card number did not check out"
    if not 1 <= int(yymm[2:]) <= 12:
        return "the expiry date did not read right"
    return _Fields(pan, name, yymm, service)


def _track1(body: str) -> _Fields | str:
    m = _TRACK1.fullmatch(body)
    if m is None or not all(" " <= c <= "~" for c in body):
        return "track 1 is not a payment track"
    return _checked(m["pan"].replace(" ", ""), display_name(m["name"]), m["yymm"], m["svc"])


def _track2(body: str) -> _Fields | str:
    m = _TRACK2.fullmatch(body)
    if m is None:
        return "track 2 is not a payment track"
    return _checked(m["pan"], "", m["yymm"], m["svc"])


# A track 2 as a reader sends it: start sentinel, the five-bit character set, end sentinel.
_TRACK2_SEGMENT = re.compile(r";(?P<body>[0-9:<=>]{1,40})\?")


def _rescued(raw: str) -> Swipe | None:
    """An ID card's or a sound payment card's track 2 found on its own in a swipe that did not split
    into tracks, or whose tracks came out of place; else None."""
    for m in _TRACK2_SEGMENT.finditer(raw):
        body = m["body"]
        if _aamva_track2(body):
            return IdCard()
        fields = _track2(body)
        if isinstance(fields, _Fields):
            return _card(fields, "", f";{body}?")
    return None


# -- driver's licences and ID cards (AAMVA DL/ID Card Design Standard, magnetic stripe annex) --------
# Track 1: state or province (2 letters), city (up to 13, ended by `^` when shorter), name (family$given$
# middle), `^`, address, `^`. Track 2: issuer number (636xxx, 6044xx), licence number (up to 13), `=`,
# expiry YYMM, birth date CCYYMMDD, overflow. Track 3 (alphanumeric, `%`): versions, postal code, class...
_JURISDICTIONS = frozenset(
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND OH "
    "OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY AS GU MP PR VI "  # United States, DC and territories
    "AB BC MB NB NL NS NT NU ON PE QC SK YT".split()  # Canada
)


def _aamva_track2(body: str) -> bool:
    """Track 2 of a licence: an AAMVA issuer number, then a licence number (a member card numbered
    636… stays a member card unless it is as long as a licence's or has its `=`)."""
    head = body.split("=", 1)[0]
    return is_id_card_number(body) and ascii_digits(head[:6]) and len(head) >= 6 and ("=" in body or len(head) >= 12)


def _aamva_track1(body: str | None) -> bool:
    """Track 1 of a licence: a state or province code, then city, name and address between `^`s, the
    names `$`-separated; or a payment-style track whose number is a licence's. A payment track
    starts with B and a digit; a member card's has no `^` or `$`."""
    if body is None:
        return False
    if body[:1] in "Bb" and ascii_digits(body[1:2]):
        return is_id_card_number(body[1:].replace(" ", ""))
    if body[:2].upper() not in _JURISDICTIONS:
        return False
    return "$" in body or body.count("^") >= 2


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
