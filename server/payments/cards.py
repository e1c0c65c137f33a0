"""A card as sent by the desk, read into what may be known of it: brand, last four, expiry.

Used before any gateway call, so a card that cannot be charged (unreadable swipe, a number that
fails the Luhn check) is refused with clear words and nothing is sent anywhere. The number itself
never leaves this module: `CardFacts` has no field that could hold it, and `CardUnusable`
messages name no digits.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from devices.cards import ID_CARD, IdCard, PaymentCard, brand_of, pan_ok
from devices.tracks import parse_swipe
from server.errors import Invalid
from sync.core.wire_payments import CardData

UNREADABLE_SWIPE = "The card could not be read. Swipe it again, or type the card number."
BAD_NUMBER = "The card number is not valid. Check it, or ask for another card."
BAD_EXPIRY = "The expiry date is not valid. Check it and try again."
ID_CARD_SWIPED = f"{ID_CARD}. Swipe the payment card, or type its number."  # said as the desk says it


class CardUnusable(Invalid, ValueError):
    """The card cannot be sent to the gateway; `code` is invalid_number or invalid_card."""

    def __init__(self, code: Literal["invalid_number", "invalid_card"], message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class CardFacts:
    """All the server may know of a card: never its number."""

    method: Literal["card_present", "card_keyed"]
    brand: str
    first6: str  # the issuer number: allowed to be shown (PCI DSS), used to spot sandbox test cards
    last4: str
    length: int
    exp_year: int  # four digits
    exp_month: int
    has_cvc: bool

    def expired(self, today: dt.date) -> bool:
        """A card is good through the last day of its expiry month."""
        return (self.exp_year, self.exp_month) < (today.year, today.month)


def read_card(card: CardData) -> CardFacts:
    """What the card is, or CardUnusable. Reads the secret values without keeping them."""
    if card.track is not None:
        swipe = parse_swipe(card.track.get_secret_value())
        if isinstance(swipe, IdCard):  # a licence read well is not a misread: swiping again will not help
            raise CardUnusable("invalid_card", ID_CARD_SWIPED)
        if not isinstance(swipe, PaymentCard):
            # BadRead: the reason names no track data; a member card is not a way to pay.
            raise CardUnusable("invalid_card", UNREADABLE_SWIPE)
        return CardFacts(method="card_present", brand=swipe.brand, first6=swipe.first6, last4=swipe.last4,
                         length=swipe.length, exp_year=swipe.expiry_year, exp_month=swipe.expiry_month,
                         has_cvc=False)  # fmt: skip
    assert card.number is not None and card.exp_month is not None and card.exp_year is not None  # CardData checks
    number = "".join(c for c in card.number.get_secret_value() if c not in " -")
    if not pan_ok(number):  # 12-19 ASCII digits, Luhn except for UnionPay (its numbers need not pass it)
        raise CardUnusable("invalid_number", BAD_NUMBER)
    cvc = card.cvc.get_secret_value() if card.cvc is not None else ""
    if cvc and not (cvc.isdigit() and 3 <= len(cvc) <= 4):
        raise CardUnusable("invalid_card", "The security code (CVC) is three or four digits. Check it and try again.")
    return CardFacts(method="card_keyed", brand=brand_of(number), first6=number[:6], last4=number[-4:],
                     length=len(number), exp_year=card.exp_year, exp_month=card.exp_month, has_cvc=bool(cvc))  # fmt: skip
