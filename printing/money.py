"""Money as the receipts and reports print it: integer cents in, "$1,234.56" out.

Amounts are integer minor units everywhere (DESIGN.md); nothing here ever sees a float. The
currency's symbol and number of decimals come from a small table: the accounts we serve bill in
a handful of currencies, and a missing one still prints correctly as "1,234.56 XYZ".
"""

from __future__ import annotations

# code -> (symbol, symbol goes before the number, decimals)
CURRENCIES: dict[str, tuple[str, bool, int]] = {
    "USD": ("$", True, 2),
    "CAD": ("$", True, 2),
    "AUD": ("$", True, 2),
    "NZD": ("$", True, 2),
    "MXN": ("$", True, 2),
    "GBP": ("£", True, 2),
    "EUR": ("€", False, 2),
    "CHF": ("CHF ", True, 2),
    "JPY": ("¥", True, 0),
    "SEK": (" kr", False, 2),
}


def format_money(cents: int, currency: str = "USD") -> str:
    """`cents` minor units of `currency`: -1234 USD -> "-$12.34", 0 -> "$0.00"."""
    if not isinstance(cents, int) or isinstance(cents, bool):
        raise TypeError(f"money is integer cents, not {type(cents).__name__}")
    symbol, before, decimals = CURRENCIES.get(currency.upper(), (f" {currency.upper()}", False, 2))
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 10**decimals) if decimals else (abs(cents), 0)
    number = f"{whole:,}" + (f".{frac:0{decimals}d}" if decimals else "")
    if before:
        return f"{sign}{symbol}{number}"
    sep = "" if symbol.startswith(" ") else " "
    return f"{sign}{number}{sep}{symbol}"


def balance_words(cents: int, currency: str) -> tuple[str, str]:
    """The receipt's balance line, (words, amount), in both layouts."""
    if cents > 0:
        return "Balance due", format_money(cents, currency)
    if cents < 0:
        return "Account credit", format_money(-cents, currency)
    return "Balance", format_money(0, currency) + " (paid in full)"
