"""How money reads at the desk: one place, so the family screen and its dialogs say it alike.

Amounts are integer cents in and text out (printing.money does the currency); what people type
comes back through sync.core.ledger.parse_money, never through a float.
"""

from __future__ import annotations

import datetime as dt

from desk.presenters.formatting import clock
from printing.money import format_money
from sync.core.ledger import MoneyError, parse_money


def money(cents: int, currency: str = "USD") -> str:
    """"$45.00", "-$12.50"."""
    return format_money(cents, currency)


def amount_field_text(cents: int) -> str:
    """What an amount field starts with: "45.00" (no symbol, so it can be typed over as it is)."""
    return f"{cents // 100}.{cents % 100:02d}" if cents > 0 else ""


def typed_money(text: str, *, allow_zero: bool = False) -> tuple[int | None, str]:
    """(cents, "") for money typed as 45 / 45.5 / 45.50, or (None, what is wrong in words)."""
    try:
        return parse_money(text, allow_zero=allow_zero), ""
    except MoneyError as exc:
        return None, str(exc)


def balance_words(balance_cents: int, currency: str = "USD") -> tuple[str, str]:
    """The family's balance as the header says it, and its tone: red when due, ok for a credit."""
    if balance_cents > 0:
        return f"Balance due {money(balance_cents, currency)}", "red"
    if balance_cents < 0:
        return f"Credit {money(-balance_cents, currency)}", "ok"
    return "Nothing due", "neutral"


def day_text(day: dt.date, today: dt.date | None = None) -> str:
    """"Mar 3"; the year too when it is not this year's ("Dec 30 2024")."""
    year = "" if today is not None and day.year == today.year else f" {day.year}"
    return f"{day:%b} {day.day}{year}"


def when_text(moment: dt.datetime, today: dt.date | None = None) -> str:
    """A ledger line's time: "Mar 3, 4:05 PM"."""
    return f"{day_text(moment.date(), today)}, {clock(moment)}"


CATEGORY_WORDS = {"tuition": "Tuition", "registration": "Registration", "drop_in": "Drop-in", "fee": "Fee",
                  "other": "Other"}

KIND_WORDS = {"charge": "Charge", "payment": "Payment", "credit": "Credit", "void": "Void", "refund": "Refund",
              "adjustment": "Adjustment"}
