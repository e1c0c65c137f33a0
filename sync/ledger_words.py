"""Money in words for the desk: how a payment method reads on a ledger line, and what a money
change was, for the "needs attention" list. Integer cents in, text out."""

from __future__ import annotations

from typing import Any

from sync.core import ledger_mutations as lm
from sync.core.schema import CARD_METHODS, Family, LedgerEntry
from sync.core.wire import Mutation

METHOD_WORDS = {
    "cash": "Cash",
    "check": "Check",
    "card_present": "Card",
    "card_keyed": "Card (keyed)",
    "terminal": "Terminal",
    "credit": "Account credit",
}


def card_text(brand: str, last4: str) -> str:
    """"Visa **** 4242": all a desk ever shows of a card."""
    if not last4:
        return brand or "Card"
    return f"{brand or 'Card'} **** {last4}"


def method_text(method: str, *, check_number: str = "", brand: str = "", last4: str = "") -> str:
    if method == "check":
        return f"Check #{check_number}" if check_number else "Check"
    if method in CARD_METHODS:
        return card_text(brand, last4) if (brand or last4) else METHOD_WORDS[method]
    return METHOD_WORDS.get(method, "")


def amount_text(cents: int) -> str:
    """12345 -> "123.45" (no currency sign: the account's currency is the desk's to show)."""
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    return f"{sign}{whole:,}.{frac:02d}"


def money_summary(s: Any, m: Mutation) -> str | None:
    """What a money change was, in words ("Cash payment of 45.00 for the Lee family"), or None."""
    if m.type not in lm.PAYLOADS:
        return None
    p = m.payload
    family = s.get(Family, p.get("family_id", "")) if p.get("family_id") else None
    of = f" for the {family.name} family" if family else ""
    amount = p.get("amount_cents")
    money = f" of {amount_text(amount)}" if isinstance(amount, int) and not isinstance(amount, bool) else ""
    receipt = f" (receipt {p['receipt_no']})" if p.get("receipt_no") else ""
    if m.type == lm.CHARGE_POST:
        return f"Charge{money}{of}: {p.get('description', '')}".rstrip(": ")
    if m.type == lm.PAYMENT_RECORD:
        return f"{METHOD_WORDS.get(p.get('method', ''), 'A')} payment{money}{of}{receipt}"
    if m.type == lm.LEDGER_CREDIT:
        return f"Account credit{money}{of}"
    if m.type in (lm.VOID_ENTRY, lm.REFUND_RECORD, lm.LEDGER_ADJUST):
        target = s.get(LedgerEntry, p.get("corrects_id", ""))
        what = f" of “{target.description or target.kind}”" if target else ""
        word = {lm.VOID_ENTRY: "Void", lm.REFUND_RECORD: "Refund", lm.LEDGER_ADJUST: "Adjustment"}[m.type]
        return f"{word}{money}{what}{of}{receipt}"
    if m.type == lm.DRAWER_COUNT:
        counted = p.get("counted_cash_cents")
        return f"Drawer count ({amount_text(counted)} counted)" if isinstance(counted, int) else "Drawer count"
    return None
