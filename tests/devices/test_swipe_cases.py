"""Swipes of every class that real readers and real cards produce, built from the formats' public
descriptions (ISO/IEC 7813 payment tracks, ISO 4909 track 3, the AAMVA DL/ID magnetic stripe annex),
through the real parser."""

from __future__ import annotations

import dataclasses

import pytest

from devices.cards import ID_CARD, BadRead, IdCard, MemberSwipe, PaymentCard, brand_of, luhn_ok, pan_ok
from devices.tracks import parse_swipe
from tests.fixtures import cards as tc

T1, T2 = tc.track1(tc.VISA), tc.track2(tc.VISA)


def card(swipe: str) -> PaymentCard:
    result = parse_swipe(swipe)
    assert isinstance(result, PaymentCard), result
    return result


# -- a good track 2 is never lost to an odd track 1 ------------------------------------------------

ODD_TRACK1 = {
    "no ^ separators": f"%B{tc.VISA} DOE/JOHN 28121010000?",
    "name field cut short": f"%B{tc.VISA}^DOE/JO?",
    "name longer than 26": f"%B{tc.VISA}^{'X' * 30}/JOHN^2812101?",
    "one digit misread": tc.track1(tc.with_bad_check_digit(tc.VISA)),
    "month 13": tc.track1(tc.VISA, yymm="2813"),
    "letters in the number": "%B4111111111111O11^DOE/JOHN^2812101?",
    "a character outside ASCII": f"%B{tc.VISA}^DOÉ/JOHN^2812101?",
    "a control character": f"%B{tc.VISA}^DOE\x00/JOHN^2812101?",
    "no end sentinel": f"%B{tc.VISA}^DOE/JOHN^2812",
    "an end sentinel misread early": f"%B{tc.VISA}^DO?E/JOHN^2812101?",
    "a start sentinel misread inside": f"%B{tc.VISA}^DO;E/JOHN^2812101?",
    "two end sentinels": f"%B{tc.VISA}?^DOE/JOHN^2812101?",
    "another card's track 1": tc.track1(tc.VISA_2),
    "read as E": "%E?",
    "empty": "%?",
}


@pytest.mark.parametrize("track1", ODD_TRACK1.values(), ids=ODD_TRACK1.keys())
def test_an_odd_track_1_falls_back_to_a_sound_track_2(track1):
    result = card(track1 + T2 + "\r")
    assert (result.brand, result.first6, result.last4, result.expiry) == ("Visa", "411111", "1111", "12/28")
    assert result.name == ""  # an odd or disagreeing track 1 gives nothing, not even the name
    assert result.take_track_data() == T2  # only the sound track goes on to the gateway


def test_sound_tracks_that_agree_give_the_name_and_both_tracks():
    result = card(T1 + T2 + "\r")
    assert result.name == "John Q Doe" and result.take_track_data() == T1 + T2


def test_a_sound_track_1_alone_still_reads():
    for swipe in (T1 + "\r", T1 + ";E?\r", T1 + tc.track2(tc.with_bad_check_digit(tc.VISA)) + "\r"):
        result = card(swipe)
        assert (result.last4, result.name) == ("1111", "John Q Doe")
        assert result.take_track_data() == T1


def test_an_odd_track_1_alone_is_a_bad_read():
    for track1 in ODD_TRACK1.values():
        if track1 == tc.track1(tc.VISA_2):
            continue  # a sound track of another card: that card
        assert isinstance(parse_swipe(track1 + "\r"), BadRead), track1


def test_an_odd_track_1_in_front_of_a_member_number():
    assert parse_swipe(f"%B{tc.VISA}^DOE?;00012345?\r") == MemberSwipe("00012345", "number on track 2")


# -- card numbers written with spaces on track 1 ------------------------------------------------

@pytest.mark.parametrize(("pan", "groups", "brand"), [
    (tc.AMEX, tc.AMEX_GROUPS, "American Express"),
    (tc.VISA, tc.CARD_GROUPS, "Visa"),
    (tc.MASTERCARD, tc.CARD_GROUPS, "Mastercard"),
    (tc.DISCOVER, tc.CARD_GROUPS, "Discover"),
])
def test_spaced_card_numbers_on_track_1(pan, groups, brand):
    track1 = tc.track1(tc.spaced(pan, groups))
    alone = card(track1 + "\r")
    assert (alone.brand, alone.first6, alone.last4, alone.length) == (brand, pan[:6], pan[-4:], len(pan))
    with_track2 = card(track1 + tc.track2(pan) + "\r")
    assert with_track2.name == "John Q Doe"  # the spaced number agrees with track 2's


# -- brands without Luhn (UnionPay), every other brand checked -----------------------------------

@pytest.mark.parametrize(("pan", "brand"), [
    (tc.UNIONPAY_NO_LUHN, "UnionPay"),
    (tc.UNIONPAY_19_NO_LUHN, "UnionPay"),
    (tc.UNIONPAY_ON_DISCOVER_NO_LUHN, "Discover"),
])
def test_unionpay_numbers_need_not_pass_luhn(pan, brand):
    assert not luhn_ok(pan) and pan_ok(pan)
    for swipe in (tc.magtek(pan), tc.track2(pan) + "\r", tc.track1(pan) + "\r"):
        result = card(swipe)
        assert (result.brand, result.last4) == (brand, pan[-4:])


@pytest.mark.parametrize("pan", [p for p in tc.ALL_PANS if p != tc.UNIONPAY] + ["7000000000000000000"[:-1] + "9"])
def test_every_other_brand_is_refused_a_bad_check_digit(pan):
    wrong = tc.with_bad_check_digit(pan)
    assert not pan_ok(wrong)
    for swipe in (tc.magtek(wrong), tc.track2(wrong) + "\r", tc.track1(wrong) + "\r"):
        result = parse_swipe(swipe)
        assert isinstance(result, BadRead) and result.reason == "the card number did not check out"


# -- driver's licences and ID cards (AAMVA) --------------------------------------------------------

LICENCES = {
    "three tracks": tc.LICENCE,
    "track 2 only": tc.LICENCE_TRACK2 + "\r",
    "track 1 only": tc.LICENCE_TRACK1 + "\r",
    "tracks 2 and 3, track 1 unread": "%E?" + tc.LICENCE_TRACK2 + tc.LICENCE_TRACK3 + "\r",
    "track 1, then E for 2 and 3": tc.LICENCE_TRACK1 + ";E?;E?\r",
    "Enter after each track": tc.LICENCE_TRACK1 + "\r" + tc.LICENCE_TRACK2 + "\r" + tc.LICENCE_TRACK3 + "\r",
    "a licence number that passes Luhn": tc.aamva_track2("636014", "1234567897", "2712", "19850315") + "\r",
    "13-digit licence number": tc.aamva_track2("636001", "1234567890123", "2706", "20010229", "12345"),
    "Oregon-style spaced track 1": "%ORSPRINGFIELD ^ SIMPSON $HOMER$J ^ 742 EVERGREEN TERR ^?",
    "British Columbia (state code B...)": tc.aamva_track1("BC", "VANCOUVER", "DOE", "JANE") + tc.aamva_track2(
        tc.AAMVA_IINS["BC"], "7654321", "2911", "19700101"),
    "Quebec (IIN 604428)": tc.aamva_track1("QC", "MONTREAL", "TREMBLAY", "MARIE") + tc.aamva_track2(
        tc.AAMVA_IINS["QC"], "1234567890", "2605", "19920704"),
    "a licence number on a payment-style track 1": "%B63601412345678^ROE/CHERYL^2712101?",
    "the city field full (no ^ after it)": tc.aamva_track1("TX", "SAN ANTONIOTXX", "GARCIA", "ANA"),
}


@pytest.mark.parametrize("swipe", LICENCES.values(), ids=LICENCES.keys())
def test_licences_are_id_cards_and_keep_nothing(swipe):
    result = parse_swipe(swipe)
    assert result == IdCard() and result.message == ID_CARD == "This is an ID card, not a payment card"
    assert [f.name for f in dataclasses.fields(IdCard)] == ["message"]  # no field could hold the licence's data


def test_one_licence_number_in_ten_used_to_read_as_a_card():
    numbers = [f"{n:08d}" for n in range(10_000_000, 10_000_200)]
    lucky = [n for n in numbers if luhn_ok("636014" + n)]
    assert lucky and brand_of("636014" + lucky[0]) == "Card"
    for number in lucky:
        assert parse_swipe(tc.aamva_track2("636014", number, "2712", "19850315")) == IdCard()


def test_member_numbers_starting_636_stay_member_cards():
    assert parse_swipe(";63601234?\r") == MemberSwipe("63601234", "number on track 2")


def test_a_payment_card_with_a_custom_track_1_starting_with_a_state_code_is_still_a_card():
    # Track 2 is the authority: a sound payment track 2 outweighs a track 1 of any shape.
    result = card("%CALIFORNIA^CARD$HOLDER^?" + T2)
    assert result.last4 == "1111" and result.name == ""


# -- only ASCII digits are digits --------------------------------------------------------------

FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
DEVANAGARI = str.maketrans("0123456789", "०१२३४५६७८९")


@pytest.mark.parametrize("digits", [FULLWIDTH, ARABIC_INDIC, DEVANAGARI], ids=["fullwidth", "arabic-indic", "devanagari"])
def test_other_scripts_digits_are_a_bad_read(digits):
    for swipe in (T2.translate(digits), T1.translate(digits), tc.magtek(tc.VISA).translate(digits),
                  ";00012345?".translate(digits), "77001234".translate(digits), "+9988776655?".translate(digits)):
        assert isinstance(parse_swipe(swipe), BadRead), swipe
    assert not luhn_ok(tc.VISA.translate(digits)) and brand_of(tc.VISA.translate(digits)) == "Card"
    # In track 1 only, beside a sound track 2: track 1 is odd, track 2 makes the card.
    assert card(T1.translate(digits) + T2).name == ""


# -- three-track readers, and tracks read as E ---------------------------------------------------

THREE_TRACKS = {
    "ISO 4909 track 3": T1 + T2 + tc.iso4909_track3(tc.VISA) + "\r",
    "track 3 with +": T1 + T2 + "+" + tc.iso4909_track3(tc.VISA)[1:] + "\r",
    "track 3 read as E": T1 + T2 + ";E?\r",
    "track 3 read as +E": T1 + T2 + "+E?\r",
    "track 1 read as E": "%E?" + T2 + tc.iso4909_track3(tc.VISA) + "\r",
    "track 2 read as E": T1 + ";E?" + tc.iso4909_track3(tc.VISA) + "\r",
    "lower-case e": "%e?" + T2 + ";e?\r",
    "Enter after each track": T1 + "\r" + T2 + "\r" + tc.iso4909_track3(tc.VISA) + "\r",
    "LRC characters after each track": T1 + "X" + T2 + ":" + tc.iso4909_track3(tc.VISA) + "5\r",
}


@pytest.mark.parametrize("swipe", THREE_TRACKS.values(), ids=THREE_TRACKS.keys())
def test_three_track_readers(swipe):
    result = card(swipe)
    assert (result.brand, result.last4, result.expiry) == ("Visa", "1111", "12/28")


def test_a_good_track_among_errors_still_gives_a_member():
    assert parse_swipe("%E?;E?+0123456789?\r") == MemberSwipe("0123456789", "number on track 3")
    assert parse_swipe("%E?;00012345?;E?\r") == MemberSwipe("00012345", "number on track 2")
    assert isinstance(parse_swipe("%E?;E?;E?\r"), BadRead)
