from __future__ import annotations

from desk.presenters.swipes import layout_warning, swipe_notice, swiper_test_text
from devices.cards import BadRead, MemberSwipe
from devices.tracks import parse_swipe
from tests.fixtures import cards as tc


def test_what_the_desk_says_about_swipes():
    visa = parse_swipe(tc.magtek(tc.VISA))
    notice = swipe_notice(visa)
    assert notice is not None and notice.tone == "amber" and not notice.bad_read
    assert notice.text.startswith("Visa ending 1111 is a payment card") and "payment screen" in notice.text
    chip = swipe_notice(parse_swipe(tc.magtek(tc.AMEX, service="201")))
    assert chip is not None and "chip" in chip.text
    bad = swipe_notice(BadRead("the swipe stopped halfway"))
    assert bad is not None and bad.bad_read and bad.text.startswith("Swipe again")
    assert swipe_notice(MemberSwipe("00012345", "x")) is None


def test_the_test_box_shows_no_more_than_last_four():
    text, tone = swiper_test_text(parse_swipe(tc.magtek(tc.DISCOVER)))
    assert tone == "ok" and "Discover ending 1117" in text and tc.DISCOVER not in text
    assert swiper_test_text(MemberSwipe("00012345", "x"))[0] == "Read a member card ending 2345. The swiper works."
    assert swiper_test_text(BadRead("no track"))[1] == "red"


def test_layouts_that_garble_swipes_are_named():
    assert layout_warning("en_US") is None and layout_warning("en_GB") is None
    warning = layout_warning("de_DE")
    assert warning is not None and "German" in warning and "^ is a dead key" in warning
    assert "French" in (layout_warning("fr_CA") or "")


def test_the_status_item_warns_about_the_layout_until_usb_is_in_use():
    from desk.presenters.swipes import swiper_status

    warning = layout_warning("de_DE")
    assert swiper_status("keyboard", None, warning) == ("▭ Swiper", warning, "amber")
    assert swiper_status("usb", None, warning)[2] == "neutral"
    assert swiper_status("keyboard", BadRead("x"))[2] == "amber"
    assert swiper_status("keyboard", None)[2] == "neutral"


def test_an_id_card_is_named_without_the_swipe_again_sound():
    licence = parse_swipe(tc.LICENCE)
    notice = swipe_notice(licence)
    assert notice is not None and notice.text.startswith("This is an ID card, not a payment card")
    assert notice.tone == "amber" and not notice.bad_read  # swiping it again would change nothing
    text, tone = swiper_test_text(licence)
    assert tone == "ok" and "ID card" in text and "636014" not in text
