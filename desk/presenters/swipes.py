"""What the desk says about a swipe that is not a member card, in front-desk words (no widgets).

A member card is handled by the check-in screen (it checks the child in); a bad read and a
payment card only get a message, and the screen stays as it was. A payment card's object is
dropped here: until the family payment screen exists, no track data goes anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass

from devices.cards import ID_CARD, BadRead, IdCard, MemberSwipe, PaymentCard, Swipe

PAYMENT_SCREEN_HINT = "Payment cards are taken on the family's payment screen."
ID_CARD_NOTICE = f"{ID_CARD}. Nothing from it was kept."
HELD_SWIPE = "Swipe read: close this window to use it."


@dataclass(frozen=True)
class SwipeNotice:
    text: str
    tone: str  # ok, amber, red (desk.widgets.common.set_tone)
    bad_read: bool = False  # plays the "swipe again" sound


def swipe_notice(swipe: Swipe) -> SwipeNotice | None:
    """The message for a swipe, or None for a member card (the check-in screen acts on it)."""
    if isinstance(swipe, MemberSwipe):
        return None
    if isinstance(swipe, IdCard):
        return SwipeNotice(ID_CARD_NOTICE, "amber")  # swiping it again changes nothing: no "swipe again" sound
    if isinstance(swipe, PaymentCard):
        chip = " It has a chip: a swipe may be declined, so insert it in the card reader if it is." if swipe.is_chip else ""
        return SwipeNotice(f"{swipe.describe()} is a payment card, not a member card. {PAYMENT_SCREEN_HINT}{chip}", "amber")
    if isinstance(swipe, BadRead):
        return SwipeNotice("Swipe again: the card could not be read. Swipe it in one smooth motion.", "red", bad_read=True)
    return SwipeNotice("Swipe again: the card could not be read.", "red", bad_read=True)


def swiper_status(kind: str, last: Swipe | None, layout_problem: str | None = None) -> tuple[str, str, str]:
    """The status bar's swiper item: (text, tooltip, tone)."""
    how = "USB" if kind == "usb" else "keyboard mode"
    text = "▭ USB swiper" if kind == "usb" else "▭ Swiper"
    if isinstance(last, BadRead):
        return text, f"Card swiper ({how}): the last swipe could not be read.", "amber"
    if layout_problem and kind != "usb":
        return text, layout_problem, "amber"
    return text, f"Card swiper ({how}) ready: swipe a member card anytime to check in.", "neutral"


# Keyboard layouts on which a keyboard-mode swiper's keys come out wrong: the swiper sends US key
# positions, and these layouts make `^` a dead key or move `%`, `;`, `?` or the digits.
_GARBLING_LANGUAGES = {
    "de": "German", "fr": "French", "es": "Spanish", "pt": "Portuguese", "it": "Italian", "sv": "Swedish",
    "fi": "Finnish", "nb": "Norwegian", "no": "Norwegian", "da": "Danish", "cs": "Czech", "sk": "Slovak",
    "hu": "Hungarian", "tr": "Turkish", "nl_BE": "Belgian", "ca": "Catalan", "is": "Icelandic",
}


def layout_warning(locale_name: str) -> str | None:
    """A warning when the keyboard layout in use would garble keyboard-mode swipes, else None."""
    language = locale_name.split("_")[0]
    name = _GARBLING_LANGUAGES.get(locale_name[:5]) or _GARBLING_LANGUAGES.get(language)
    if name is None:
        return None
    return (f"This computer types with a {name} keyboard layout, which garbles what a keyboard-mode card swiper "
            "types (on it ^ is a dead key). Switch the keyboard layout to English (US), or use the swiper in USB mode.")


def swiper_test_text(swipe: Swipe) -> tuple[str, str]:
    """What the "test your swiper" box says about a swipe: (text, tone). No card data beyond last four."""
    if isinstance(swipe, MemberSwipe):
        return f"Read a member card ending {swipe.number[-4:]}. The swiper works.", "ok"
    if isinstance(swipe, PaymentCard):
        chip = " (chip card)" if swipe.is_chip else ""
        return f"Read a payment card: {swipe.describe()}{chip}. The swiper works.", "ok"
    if isinstance(swipe, IdCard):
        return f"{ID_CARD_NOTICE} The swiper works.", "ok"
    reason = swipe.reason if isinstance(swipe, BadRead) else "unknown"
    return f"Swipe again: the card could not be read ({reason}).", "red"
