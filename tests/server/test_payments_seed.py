"""Demo money: this month's tuition for every enrollment; most families paid, some partly, a few owe."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter

from server import admin
from sync.core.ledger import summarize
from sync.core.schema import LedgerAllocation, LedgerEntry
from tests.helpers.server_process import account_db_path
from tests.server.api import query

TODAY = dt.date(2026, 3, 11)


def _ledgers(db_path) -> dict[str, list]:
    cols = [r[1] for r in query(db_path, "PRAGMA table_info(ledger_entry)")]
    entries = [LedgerEntry.model_validate(dict(zip(cols, row))) for row in query(db_path, "SELECT * FROM ledger_entry")]
    acols = [r[1] for r in query(db_path, "PRAGMA table_info(ledger_allocation)")]
    allocs = [LedgerAllocation.model_validate(dict(zip(acols, row))) for row in query(db_path, "SELECT * FROM ledger_allocation")]
    by_family: dict[str, list] = {}
    for e in entries:
        by_family.setdefault(e.family_id, [[], []])[0].append(e)
    for a in allocs:
        by_family[a.family_id][1].append(a)
    return by_family


def test_demo_families_have_this_months_tuition_and_realistic_payments(tmp_path):
    admin.create_account(tmp_path, "demo", name="Demo Gym")
    summary = admin.seed_demo(tmp_path, "demo", today=TODAY)
    db = account_db_path(tmp_path, "demo")
    enrollments = query(db, "SELECT count(*) FROM enrollment")[0][0]
    charges = query(db, "SELECT student_id, category, amount_cents, business_date, description FROM ledger_entry WHERE kind = 'charge'")
    assert len(charges) == enrollments and summary.ledger_entries == query(db, "SELECT count(*) FROM ledger_entry")[0][0]
    assert {c[1] for c in charges} == {"tuition"} and {c[3] for c in charges} == {"2026-03-01"}
    assert all(7_500 <= c[2] <= 12_500 and isinstance(c[2], int) for c in charges)
    assert all(c[4].startswith("March tuition: ") for c in charges)
    # No family is billed the same tuition twice (the same class on another day is not a second class).
    twice = Counter((c[0], c[4]) for c in charges)
    assert max(twice.values()) == 1, [k for k, n in twice.items() if n > 1]

    standing = Counter()
    for family_id, (entries, allocs) in _ledgers(db).items():
        ledger = summarize(entries, allocs)
        owed = sum(e.amount_cents for e in entries if e.kind == "charge")
        standing["paid" if ledger.balance_cents == 0 else "due" if ledger.balance_cents == owed else "part"] += 1
        assert 0 <= ledger.balance_cents <= owed and ledger.credit_cents == 0
        assert sum(a.amount_cents for a in allocs) == owed - ledger.balance_cents  # every payment is applied
    families = sum(standing.values())
    assert 0.50 <= standing["paid"] / families <= 0.70, standing
    assert 0.15 <= standing["part"] / families <= 0.35, standing
    assert 0.05 <= standing["due"] / families <= 0.25, standing

    payments = query(db, "SELECT method, receipt_no, card_brand, card_last4, gateway_ref, check_number, tendered_cents, "
                         "change_cents, business_date, amount_cents FROM ledger_entry WHERE kind = 'payment'")  # fmt: skip
    assert {p[0] for p in payments} == {"cash", "check", "card_present", "card_keyed"}
    assert len({p[1] for p in payments}) == len(payments) and all(re.fullmatch(r"(DT|NS)-S-\d{6}", p[1]) for p in payments)
    for method, _receipt, brand, last4, ref, check_no, tendered, change, day, amount in payments:
        assert "2026-03-01" <= day <= "2026-03-10"
        if method.startswith("card"):
            assert brand in {"Visa", "Mastercard", "American Express", "Discover"} and re.fullmatch(r"\d{4}", last4) and ref
        else:
            assert brand == last4 == ref == ""
        assert (check_no != "") == (method == "check")
        if method == "cash":  # paid with $20 bills, the change given back
            assert tendered % 2_000 == 0 and change == tendered + amount and 0 <= change < 2_000
        else:
            assert tendered is None and change is None
    # Written as pull would bring them: one usn each, after the rest of the seed, charges first.
    usns = query(db, "SELECT kind, usn FROM ledger_entry ORDER BY usn")
    assert [k for k, _ in usns] == sorted((k for k, _ in usns), key=lambda k: k != "charge")
    assert max(u for _, u in usns) < query(db, "SELECT min(usn) FROM ledger_allocation")[0][0] <= summary.last_usn
