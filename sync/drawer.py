"""What a drawer should hold at the end of a shift, from this desk's own ledger entries.

Counted per method: payments bring money in; refunds, and voids of payments (the money went
back the same day), take it out. Cash change needs no line of its own: a cash payment's amount
is what stayed in the drawer (tendered minus change). Account-credit payments move no money.
Only this desk's entries at this location count: another desk has its own drawer. By default
everyone's entries at this desk count (`staff_id` None: the drawer is the desk's, whoever took
the money); with a staff member, only theirs (one person's takings, for a shared drawer's audit).
"""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, col, select

from sync.money_views import DrawerExpected
from sync.queries import zone_of
from sync.core.schema import LedgerEntry

_MONEY_METHODS = ("cash", "check", "card_present", "card_keyed", "terminal")


def utc_naive(when: dt.datetime) -> dt.datetime:
    """An aware time as stored (naive UTC); a naive one is taken as UTC already."""
    return when.astimezone(dt.UTC).replace(tzinfo=None) if when.tzinfo is not None else when


def drawer_expected(
    s: Session, desk_id: str, location_id: str, staff_id: str | None, start: dt.datetime, end: dt.datetime,
    opening_float_cents: int,
) -> DrawerExpected:  # fmt: skip
    zone = zone_of(s, location_id)  # NotFound for an unknown location
    query = select(LedgerEntry).where(
        LedgerEntry.desk_id == desk_id,
        LedgerEntry.location_id == location_id,
        col(LedgerEntry.made_at) >= utc_naive(start),
        col(LedgerEntry.made_at) <= utc_naive(end),
        col(LedgerEntry.kind).in_(("payment", "refund", "void")),
        col(LedgerEntry.method).in_(_MONEY_METHODS),
    )
    rows = s.exec(query if staff_id is None else query.where(LedgerEntry.staff_id == staff_id)).all()
    net = dict.fromkeys(_MONEY_METHODS, 0)
    cash_in = cash_out = payments = 0
    for e in rows:
        # Payments are negative on the ledger (the family owes less); refunds and voids of
        # payments positive: the drawer sees the opposite sign.
        money = -e.amount_cents
        net[e.method] += money
        if e.kind == "payment":
            payments += 1
        if e.method == "cash":
            if money >= 0:
                cash_in += money
            else:
                cash_out += -money
    def aware(when: dt.datetime) -> dt.datetime:
        return (when if when.tzinfo else when.replace(tzinfo=dt.UTC)).astimezone(zone)

    return DrawerExpected(
        location_id=location_id,
        staff_id=staff_id,
        period_start=aware(start),
        period_end=aware(end),
        opening_float_cents=opening_float_cents,
        cash_in_cents=cash_in,
        cash_out_cents=cash_out,
        expected_cash_cents=opening_float_cents + cash_in - cash_out,
        check_cents=net["check"],
        card_cents=net["card_present"] + net["card_keyed"],
        terminal_cents=net["terminal"],
        payments=payments,
    )
