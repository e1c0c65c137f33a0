"""What a receipt says, as plain data: the renderers take this and nothing else.

The desk (from its cache) and the server (for emailed receipts) both fill a `ReceiptData`; no
record, session or Qt object crosses into printing. A payment card appears only as its brand and
last four digits: the type refuses anything longer, so a full number or an expiry date cannot be
printed by mistake.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Literal
from zoneinfo import ZoneInfo

MethodKind = Literal["cash", "check", "card", "terminal", "credit", "other"]
Layout = Literal["thermal", "page"]
_FOUR_DIGITS = re.compile(r"\d{4}")
_DIGITS = re.compile(r"\d")


@dataclass(frozen=True)
class ReceiptLine:
    description: str
    amount_cents: int


@dataclass(frozen=True)
class PaymentMethod:
    kind: MethodKind
    brand: str = ""  # card brand ("Visa"), cards only
    last4: str = ""  # exactly four digits, cards only
    check_number: str = ""

    def __post_init__(self) -> None:
        if self.kind == "card":
            if not _FOUR_DIGITS.fullmatch(self.last4):
                raise ValueError("a card is printed as its last four digits only")
            if _DIGITS.search(self.brand):
                raise ValueError("a card brand has no digits (never print the number or expiry)")
        elif self.last4 or self.brand:
            raise ValueError("brand and last four are for cards only")

    def text(self) -> str:
        if self.kind == "card":
            return f"{self.brand or 'Card'} **** {self.last4}"
        if self.kind == "check":
            return f"Check #{self.check_number}" if self.check_number else "Check"
        if self.kind == "terminal":
            return "Card terminal"
        if self.kind == "credit":
            return "Account credit"
        return self.kind.title()


@dataclass(frozen=True)
class ReceiptData:
    business_name: str
    location_name: str
    location_address: str  # lines separated by "\n"
    timezone: str  # IANA name of the location: the receipt shows its local time
    receipt_number: str
    issued_at: dt.datetime  # naive UTC (the stored convention) or aware
    staff_name: str
    family_name: str
    lines: tuple[ReceiptLine, ...]
    method: PaymentMethod
    balance_after_cents: int  # what the family owes after this payment; negative is a credit
    applied_to: tuple[ReceiptLine, ...] = ()
    tendered_cents: int | None = None  # cash only
    currency: str = "USD"
    locale: str = "en_US"  # picks letter or A4 for the full-page layout
    header_text: str = ""
    footer_text: str = ""
    logo_png: bytes | None = field(default=None, repr=False)
    pending_sync: bool = False  # made offline: the number is this desk's, not yet confirmed
    copy: bool = False  # a reprint

    def __post_init__(self) -> None:
        if self.tendered_cents is not None:
            if self.method.kind != "cash":
                raise ValueError("tendered and change are for cash payments only")
            if self.tendered_cents < self.total_cents:
                raise ValueError("cash tendered is less than the total")

    @property
    def total_cents(self) -> int:
        return sum(line.amount_cents for line in self.lines)

    @property
    def change_cents(self) -> int | None:
        return None if self.tendered_cents is None else self.tendered_cents - self.total_cents

    def local_time(self) -> dt.datetime:
        moment = self.issued_at if self.issued_at.tzinfo else self.issued_at.replace(tzinfo=dt.UTC)
        return moment.astimezone(ZoneInfo(self.timezone))

    def when_text(self) -> str:
        local = self.local_time()
        return f"{local:%b} {local.day}, {local.year} {local:%I:%M %p}".replace(" 0", " ") + f" {local.tzname()}"
