"""The track parser against a table of real-world-style swipes, and random input (hypothesis)."""

from __future__ import annotations

import copy
import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devices.cards import BadRead, IdCard, MemberSwipe, PaymentCard, mask
from devices.tracks import DEFAULT_RULES, MemberRule, display_name, parse_swipe
from tests.fixtures import cards as tc

PAYMENT = [
    # (swipe, brand, name, expiry, chip)
    (tc.magtek(tc.VISA), "Visa", "John Q Doe", "12/28", False),
    (tc.magtek(tc.MASTERCARD, name="SMITH/ANNE.MRS"), "Mastercard", "Anne Smith", "12/28", False),
    (tc.magtek(tc.MASTERCARD_2_SERIES), "Mastercard", "John Q Doe", "12/28", False),
    (tc.magtek(tc.AMEX, service="201"), "American Express", "John Q Doe", "12/28", True),
    (tc.magtek(tc.DISCOVER, service="601", yymm="3001"), "Discover", "John Q Doe", "01/30", True),
    (tc.magtek(tc.JCB), "JCB", "John Q Doe", "12/28", False),
    (tc.magtek(tc.DINERS), "Diners Club", "John Q Doe", "12/28", False),
    (tc.magtek(tc.UNIONPAY), "UnionPay", "John Q Doe", "12/28", False),
    (tc.track1(tc.VISA_2, name="O'NEIL-SMITH/MARY ").replace("%B", "%b") + "\r", "Visa", "Mary O'Neil-Smith", "12/28", False),
    (tc.track2(tc.VISA) + "\n", "Visa", "", "12/28", False),  # a track-2-only reader
    ("%E?" + tc.track2(tc.VISA) + "\r", "Visa", "", "12/28", False),  # track 1 unreadable, track 2 fine
    (tc.track1(tc.VISA) + "X" + tc.track2(tc.VISA) + "Y\r", "Visa", "John Q Doe", "12/28", False),  # LRC characters
]


@pytest.mark.parametrize(("swipe", "brand", "name", "expiry", "chip"), PAYMENT)
def test_payment_swipes(swipe, brand, name, expiry, chip):
    card = parse_swipe(swipe)
    assert isinstance(card, PaymentCard)
    assert (card.brand, card.name, card.expiry, card.is_chip) == (brand, name, expiry, chip)
    assert card.service_code in swipe


def test_a_payment_card_shows_only_first_six_and_last_four():
    card = parse_swipe(tc.magtek(tc.VISA))
    assert isinstance(card, PaymentCard)
    for shown in (repr(card), str(card), card.masked, card.describe(), f"{card}", f"{card!r}"):
        assert tc.VISA not in shown and tc.VISA[6:12] not in shown
    assert card.masked == "411111******1111" == mask(tc.VISA)
    assert str(card) == "Visa ending 1111"
    assert not hasattr(card, "pan") and not hasattr(card, "__dict__")


def test_the_track_data_is_handed_out_once_and_never_copied():
    swipe = tc.magtek(tc.AMEX)
    card = parse_swipe(swipe)
    assert isinstance(card, PaymentCard)
    with pytest.raises(TypeError):
        pickle.dumps(card)
    with pytest.raises(TypeError):
        copy.copy(card)
    assert card.take_track_data() == swipe.strip()
    with pytest.raises(RuntimeError):
        card.take_track_data()


BAD = [
    "%E?",
    ";E?",
    "%E?;E?\r",
    "%e?;e?+E?",
    tc.track1(tc.VISA)[:20],  # stopped halfway
    tc.magtek(tc.VISA)[:-8],  # track 2 cut short
    tc.track1(tc.VISA[:-1] + str((int(tc.VISA[-1]) + 1) % 10)),  # one digit misread: Luhn fails
    tc.track1(tc.VISA, yymm="2813"),  # month 13
    "%B4111^^?",
    "",
    "   \r",
    "?",
    "%",
    "hello",
    "%%%???",
    ";123=45?",
    "%B" + "9" * 2000 + "?",
    "%B" + tc.VISA + "^DOE\x00/J^2812101?",
]


@pytest.mark.parametrize("swipe", BAD)
def test_bad_reads_ask_for_another_swipe(swipe):
    result = parse_swipe(swipe)
    assert isinstance(result, BadRead)
    assert result.message == "Swipe again"
    for pan in tc.ALL_PANS:
        assert pan not in result.reason


MEMBER = [
    (";00012345?\r", "00012345"),
    (";00012345?", "00012345"),
    ("%E?;00012345?\r", "00012345"),
    ("%MEMBER 4471-22?\r", "MEMBER 4471-22"),
    ("+9988776655?\r", "9988776655"),
    ("77001234\r", "77001234"),  # a key-tag reader types just the number
]


@pytest.mark.parametrize(("swipe", "number"), MEMBER)
def test_member_cards(swipe, number):
    result = parse_swipe(swipe)
    assert isinstance(result, MemberSwipe)
    assert result.number == number
    assert number not in repr(result) or len(number) <= 4


def test_rules_are_configurable():
    gym_tags = (MemberRule("gym tag", 2, r"GYM(?P<number>\d{6})"),)
    assert parse_swipe(";GYM123456?", gym_tags) == MemberSwipe("123456", "gym tag")
    assert isinstance(parse_swipe(";00012345?", gym_tags), BadRead)  # only what the business uses
    broken = (MemberRule("broken", 2, r"(unclosed"), *DEFAULT_RULES)
    assert isinstance(parse_swipe(";00012345?", broken), MemberSwipe)


def test_names():
    assert display_name("DOE/JOHN Q") == "John Q Doe"
    assert display_name("DOE/JOHN.MR") == "John Doe"
    assert display_name("ACME CORP") == "Acme Corp"
    assert display_name("") == ""


# -- property tests ------------------------------------------------------------------------------

swipe_alphabet = st.sampled_from(list("%;+?=^/EeBb0123456789 ABCDEFGHIJKLMNOPQRSTUVWXYZ.\r\n\x00é"))


@settings(max_examples=400, deadline=None, database=None)
@given(st.text(swipe_alphabet, max_size=200))
def test_random_input_never_crashes(text):
    result = parse_swipe(text)
    assert isinstance(result, (PaymentCard, MemberSwipe, BadRead, IdCard))


@settings(max_examples=400, deadline=None, database=None)
@given(st.sampled_from([p[0] for p in PAYMENT] + [m[0] for m in MEMBER]), st.data())
def test_mutated_swipes_never_crash_or_leak(swipe, data):
    i = data.draw(st.integers(0, len(swipe)))
    j = data.draw(st.integers(i, len(swipe)))
    insert = data.draw(st.text(swipe_alphabet, max_size=5))
    mutated = swipe[:i] + insert + swipe[j:]
    result = parse_swipe(mutated)
    assert isinstance(result, (PaymentCard, MemberSwipe, BadRead, IdCard))
    if isinstance(result, BadRead):
        assert not any(pan in result.reason for pan in tc.ALL_PANS)
    if isinstance(result, PaymentCard):
        assert not any(pan in repr(result) + str(result) for pan in tc.ALL_PANS)


@settings(max_examples=200, deadline=None, database=None)
@given(st.sampled_from(tc.ALL_PANS), st.integers(0, 99), st.integers(1, 12), st.sampled_from(["101", "201", "601", "120"]))
def test_well_formed_payment_swipes_always_parse(pan, yy, mm, service):
    card = parse_swipe(tc.magtek(pan, yymm=f"{yy:02d}{mm:02d}", service=service))
    assert isinstance(card, PaymentCard)
    assert (card.first6, card.last4, card.expiry_month) == (pan[:6], pan[-4:], mm)
    assert card.is_chip == (service[0] in "26")
