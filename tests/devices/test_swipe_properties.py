"""Properties of the parser over generated cards (hypothesis): no licence is ever a payment card, and
a sound track 2 survives whatever happened to track 1."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from devices.burst import ENTER, BurstDetector, BurstTiming
from devices.cards import IdCard, PaymentCard, luhn_ok
from devices.tracks import parse_swipe
from tests.fixtures import cards as tc

# -- generated AAMVA licences ----------------------------------------------------------------------

letters = st.text(st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ"), min_size=1, max_size=12)
digits = st.text(st.sampled_from("0123456789"), min_size=1, max_size=13)
iins = st.one_of(st.sampled_from(sorted(set(tc.AAMVA_IINS.values()))),
                 st.integers(0, 999).map(lambda n: f"636{n:03d}"),
                 st.integers(604426, 604434).map(str))
yymm = st.tuples(st.integers(0, 99), st.integers(1, 12)).map(lambda t: f"{t[0]:02d}{t[1]:02d}")
birth = st.tuples(st.integers(1900, 2025), st.integers(1, 12), st.integers(1, 31)).map(
    lambda t: f"{t[0]:04d}{t[1]:02d}{t[2]:02d}")


@st.composite
def licences(draw) -> tuple[str, str, str]:
    state = draw(st.sampled_from(sorted(tc.AAMVA_IINS)))
    city = draw(st.text(st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ ."), min_size=1, max_size=14))
    track1 = tc.aamva_track1(state, city, draw(letters), draw(letters), draw(st.sampled_from(["", "A", "Q"])),
                             draw(st.text(st.sampled_from("0123456789 ABCDEFGHIJKLMNOPQRSTUVWXYZ"), max_size=29)))
    track2 = tc.aamva_track2(draw(iins), draw(digits), draw(yymm), draw(birth),
                             draw(st.text(st.sampled_from("0123456789"), max_size=5)))
    track3 = tc.aamva_track3(draw(st.text(st.sampled_from("0123456789 "), min_size=5, max_size=11)),
                             sex=draw(st.sampled_from("MF12")), hair=draw(st.sampled_from(["BRN", "BLK", "BLN", "RED"])))
    return track1, track2, track3


read_as = st.sampled_from(["as is", "E", "missing"])


@settings(max_examples=500, deadline=None, database=None)
@given(licences(), read_as, read_as, read_as, st.sampled_from(["", "\r", "\r\n"]))
def test_no_generated_licence_is_ever_a_payment_card(licence, how1, how2, how3, between):
    tracks = []
    for track, how, error in zip(licence, (how1, how2, how3), ("%E?", ";E?", "%E?")):
        if how == "as is":
            tracks.append(track)
        elif how == "E":
            tracks.append(error)
    swipe = between.join(tracks) + "\r"
    result = parse_swipe(swipe)
    assert not isinstance(result, PaymentCard), swipe
    if how2 == "as is" or how1 == "as is":
        assert result == IdCard(), swipe  # either track alone says what it is, and keeps nothing


@settings(max_examples=300, deadline=None, database=None)
@given(iins, digits, yymm, birth)
def test_any_licence_track_2_is_an_id_card_luhn_or_not(iin, number, expiry, born):
    track2 = tc.aamva_track2(iin, number, expiry, born)
    assert parse_swipe(track2) == IdCard()
    assert parse_swipe(f"%B{iin}{number}^DOE/JOHN^{expiry}101?" + track2) == IdCard()


# -- a sound track 2 survives any corruption of track 1 ----------------------------------------------

def _with_check_digit(body: str) -> str:
    return next(body + d for d in "0123456789" if luhn_ok(body + d))


pans = st.one_of(
    st.sampled_from(tc.ALL_PANS + (tc.UNIONPAY_NO_LUHN, tc.UNIONPAY_19_NO_LUHN)),
    st.tuples(st.sampled_from(["4", "51", "2221", "34", "37", "6011", "65", "3528", "36", "62", "7"]),
              st.integers(12, 19)).flatmap(
        lambda t: st.text(st.sampled_from("0123456789"), min_size=t[1] - len(t[0]) - 1,
                          max_size=t[1] - len(t[0]) - 1).map(lambda rest, head=t[0]: _with_check_digit(head + rest))),
)
# Track 1's six-bit character set (space to underscore), lower case, and what a bad read or a
# keyboard layout can add: other scripts, control characters.
track1_chars = st.one_of(st.characters(min_codepoint=0x20, max_codepoint=0x5F), st.sampled_from("abcxyz\x00\x7féÖ４٣"))


@st.composite
def corrupted_track1(draw, good: str) -> str:
    """Track 1 after anything a reader, a worn stripe or a non-standard encoder can do to it."""
    how = draw(st.sampled_from(["edit", "replace", "truncate", "no end sentinel", "E", "empty", "no carets",
                                "spaced number", "other card"]))
    if how == "edit":
        text = good
        for _ in range(draw(st.integers(1, 6))):
            i = draw(st.integers(0, len(text)))
            j = draw(st.integers(i, min(len(text), i + 4)))
            text = text[:i] + draw(st.text(track1_chars, max_size=4)) + text[j:]
        return text
    if how == "replace":
        return "%" + draw(st.text(track1_chars, max_size=80)) + "?"
    if how == "truncate":
        return good[:draw(st.integers(0, len(good) - 1))]
    if how == "no end sentinel":
        return good[:-1]
    if how == "E":
        return "%E?"
    if how == "empty":
        return ""
    if how == "no carets":
        return good.replace("^", draw(st.sampled_from([" ", "", "/"])))
    if how == "spaced number":
        return good.replace(good[2:6], good[2:6] + " ", 1)
    return tc.track1(draw(pans), yymm=draw(yymm))


@settings(max_examples=1000, deadline=None, database=None)
@given(pans, yymm, st.sampled_from(["101", "201", "601", "120"]), st.data())
def test_a_sound_track_2_survives_any_corruption_of_track_1(pan, expiry, service, data):
    track1 = tc.track1(pan, yymm=expiry, service=service)
    track2 = tc.track2(pan, yymm=expiry, service=service)
    bad1 = data.draw(corrupted_track1(track1))
    tail = data.draw(st.sampled_from(["", ";E?", "+E?", tc.iso4909_track3(pan)]))
    swipe = bad1 + data.draw(st.sampled_from(["", "\r"])) + track2 + tail + "\r"
    result = parse_swipe(swipe)
    assert isinstance(result, PaymentCard), (swipe, result)
    assert (result.first6, result.last4, result.length) == (pan[:6], pan[-4:], len(pan))
    assert (result.expiry_year % 100, result.expiry_month) == (int(expiry[:2]), int(expiry[2:]))
    assert result.service_code == service
    if result.name:  # only from a track 1 that is still sound and agrees (a misread letter in the name)
        assert pan in bad1.replace(" ", "") and expiry in bad1


@settings(max_examples=200, deadline=None, database=None)
@given(pans, st.sampled_from(["\r", "\r\n"]), st.floats(0.5, 12), st.booleans())
def test_enter_after_each_track_is_one_swipe_at_any_key_rate(pan, enter, gap, three):
    """Keyboard-mode readers set to send Enter after each track, typing at their own key rate."""
    detector = BurstDetector(BurstTiming())
    text = enter.join([tc.track1(pan), tc.track2(pan)] + ([";E?"] if three else [])) + enter
    swipes, now = [], 0.0
    for ch in text:
        now += gap
        step = detector.key(ENTER if ch in "\r\n" else ch, now)
        assert step.swallow and not step.replay
        if step.swipe is not None:
            swipes.append(step.swipe)
    swipes.append(detector.timeout().swipe)  # the track gap passes with no further track
    assert len([s for s in swipes if s is not None]) == 1
    assert isinstance(swipes[-1], PaymentCard) and swipes[-1].name == "John Q Doe"
