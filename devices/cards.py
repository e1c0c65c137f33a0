"""What a swipe turned out to be: a payment card (masked), a member card, an ID card, or a bad read.

A payment card never shows its number: repr and str give brand, first six and last four. The raw
track data is kept only until the payment flow takes it once (`take_track_data`), and the object
refuses to be pickled, so it cannot slip into a file by accident.
"""

from __future__ import annotations

from dataclasses import dataclass

SWIPE_AGAIN = "Swipe again"

# Issuer identification number ranges -> brand, most specific first (ISO/IEC 7812; card networks' published ranges).
# Kept by hand on purpose: the one maintained IIN table on PyPI (creditcard-identifier, bin-cc data, 2026)
# marks UnionPay as Luhn-checked and claims IIN 636 (InterPayment, Elo 636297/636368, BaneseCard 636117) for
# payment brands, the very ranges AAMVA assigns to driver's licences; it would bring both faults back.
_BRANDS: tuple[tuple[str, tuple[tuple[int, int], ...], int], ...] = (
    # (brand, ((low, high) ranges on the first `digits` digits), digits)
    ("American Express", ((34, 34), (37, 37)), 2),
    ("Discover", ((6011, 6011),), 4),
    ("Discover", ((644, 649),), 3),
    ("Discover", ((65, 65),), 2),
    ("Discover", ((622126, 622925),), 6),  # UnionPay cards co-branded for acceptance on Discover's network
    ("JCB", ((3528, 3589),), 4),
    ("Diners Club", ((300, 305), (309, 309)), 3),
    ("Diners Club", ((36, 36), (38, 39)), 2),
    ("UnionPay", ((62, 62),), 2),
    ("Mastercard", ((51, 55),), 2),
    ("Mastercard", ((2221, 2720),), 4),
    ("Maestro", ((5018, 5018), (5020, 5020), (5038, 5038), (5893, 5893), (6304, 6304), (6759, 6759), (6761, 6763)), 4),
    ("Visa", ((4, 4),), 1),
)

# China UnionPay does not require its numbers (IIN 62, its co-branded Discover range included) to carry a
# Luhn check digit; every other network does, so a number failing Luhn there is a misread.
_NO_LUHN_IINS = ("62",)

# Issuer numbers of driver's licences and ID cards (AAMVA's IIN list): 636 for most US states and Canadian
# provinces (636000 Virginia, 636014 California, 636032 Michigan...), and 604426-604434 for Prince Edward
# Island, American Samoa, Quebec, Yukon, the Northern Marianas, Puerto Rico, Alberta, Nunavut and the
# Northwest Territories. A number starting with one of them is never a payment card.
ID_CARD_IINS = ("636", *(str(iin) for iin in range(604426, 604435)))

DIGITS = frozenset("0123456789")  # str.isdigit() also takes fullwidth and other scripts' digits


def ascii_digits(text: str) -> bool:
    return bool(text) and all(c in DIGITS for c in text)


def brand_of(pan: str) -> str:
    """The card network by its issuer number, or "Card" when the range is not one we know."""
    for brand, ranges, digits in _BRANDS:
        if len(pan) < digits or not ascii_digits(pan[:digits]):
            continue
        head = int(pan[:digits])
        if any(low <= head <= high for low, high in ranges):
            return brand
    return "Card"


def needs_luhn(pan: str) -> bool:
    """Whether the card's network puts a Luhn check digit on its numbers (all but UnionPay)."""
    return not pan.startswith(_NO_LUHN_IINS)


def is_id_card_number(number: str) -> bool:
    return number.startswith(ID_CARD_IINS)


def luhn_ok(number: str) -> bool:
    if not ascii_digits(number):
        return False
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = ord(ch) - 48
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def pan_ok(pan: str) -> bool:
    """A whole card number: 12 to 19 ASCII digits, with a good check digit where the network uses one."""
    return 12 <= len(pan) <= 19 and ascii_digits(pan) and (luhn_ok(pan) or not needs_luhn(pan))


def mask(pan: str) -> str:
    """First six and last four, the rest as '*' (PCI DSS's widest allowed display)."""
    if len(pan) <= 10:
        return "*" * len(pan)
    return pan[:6] + "*" * (len(pan) - 10) + pan[-4:]


class PaymentCard:
    """A swiped payment card. Only masked values are readable; the track data is handed out once."""

    __slots__ = ("brand", "first6", "last4", "length", "name", "expiry_year", "expiry_month", "service_code",
                 "_track_data")

    def __init__(self, *, pan: str, name: str, expiry_year: int, expiry_month: int, service_code: str, track_data: str):
        self.brand = brand_of(pan)
        self.first6 = pan[:6]
        self.last4 = pan[-4:]
        self.length = len(pan)
        self.name = name  # "John Q Doe", or "" when only track 2 was read
        self.expiry_year = expiry_year  # four digits
        self.expiry_month = expiry_month
        self.service_code = service_code
        self._track_data: str | None = track_data

    @property
    def masked(self) -> str:
        return self.first6 + "*" * (self.length - 10) + self.last4

    @property
    def is_chip(self) -> bool:
        """A chip card (service code 2xx or 6xx): a swipe may be declined; insert the card instead."""
        return self.service_code[:1] in ("2", "6")

    @property
    def expiry(self) -> str:
        return f"{self.expiry_month:02d}/{self.expiry_year % 100:02d}"

    def take_track_data(self) -> str:
        """The raw tracks, for the payment flow to send to the gateway; a second call raises."""
        data, self._track_data = self._track_data, None
        if data is None:
            raise RuntimeError("this card's track data was already handed to the payment flow")
        return data

    def describe(self) -> str:
        return f"{self.brand} ending {self.last4}"

    def __repr__(self) -> str:
        return f"PaymentCard({self.brand} {self.masked}, exp {self.expiry}, service {self.service_code})"

    __str__ = describe

    def __reduce__(self):  # pickle, copy: never a second copy of the tracks
        raise TypeError("a payment card cannot be copied or saved")


@dataclass(frozen=True)
class MemberSwipe:
    """A member card, key tag or other non-payment card: its number, to be looked up as a keyed hash."""

    number: str = ""
    rule: str = ""  # which rule recognised it

    def __repr__(self) -> str:
        return f"MemberSwipe(…{self.number[-4:]}, rule={self.rule!r})"

    __str__ = __repr__


@dataclass(frozen=True)
class BadRead:
    """The swiper read nothing usable: ask for another swipe. `reason` never holds track data."""

    reason: str
    message: str = SWIPE_AGAIN


ID_CARD = "This is an ID card, not a payment card"


@dataclass(frozen=True)
class IdCard:
    """A driver's licence or ID card (AAMVA magstripe). Holds nothing read from it, by design: no
    number, name, address or birth date; swiping again will not change what it is."""

    message: str = ID_CARD


Swipe = PaymentCard | MemberSwipe | BadRead | IdCard
