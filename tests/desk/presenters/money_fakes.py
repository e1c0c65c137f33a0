"""A MoneyDesk stand-in for presenter tests: one family's file from plain values, calls recorded."""

from __future__ import annotations

import datetime as dt

from sync.core.clock import PinnedClock
from sync.errors import NetworkError
from sync.money_desk import NO_CONNECTION_FOR_CARD, CardInput
from sync.money_views import (
    CorrectionOutcome, DrawerExpected, FamilyHit, FamilyStudentView, FamilyView, GuardianView, LedgerRow, OpenCharge,
    PaymentOutcome,
)
from tests.desk.fakes import TZ

NOW = dt.datetime(2025, 3, 3, 16, 5, tzinfo=TZ)


def row(rid: str, kind: str, amount: int, running: int, *, description: str = "", method: str = "", method_text: str = "",
        receipt_no: str | None = None, open_cents: int = 0, voided: bool = False, refundable: int = 0,
        correction: str | None = None, pending: bool = False, reason: str = "", day: int = 3) -> LedgerRow:
    when = NOW.replace(day=day)
    return LedgerRow(rid, kind, when, when.date(), description, method, method_text, amount, running, receipt_no,
                     open_cents, voided, refundable, correction, pending, reason, "Alex Rivera")


def lee_family(ledger=None, credit: int = 0) -> FamilyView:
    ledger = ledger if ledger is not None else (
        row("c1", "charge", 12000, 12000, description="Tuition March", open_cents=7500, correction="void", day=1),
        row("p1", "payment", -4500, 7500, method="cash", method_text="Cash", receipt_no="DT-D1-000001",
            refundable=4500, correction="refund", day=2),
        row("c2", "charge", 2500, 10000, description="Drop-in", open_cents=2500, correction="void", pending=True),
    )
    charges = tuple(OpenCharge(r.id, r.description, r.business_date, r.open_cents) for r in ledger
                    if r.kind == "charge" and r.open_cents and not r.voided)
    balance = ledger[-1].running_balance_cents if ledger else 0
    return FamilyView(
        id="f-lee", name="Lee", email="jane@example.com", phone="555-0100",
        guardians=(GuardianView("Jane Lee", "mother", "555-0100", "jane@example.com", True),
                   GuardianView("Tom Lee", "", "555-0101", "", False)),
        students=(FamilyStudentView("s-emma", "Emma Lee", 7, True), FamilyStudentView("s-noah", "Noah Lee", 5, False)),
        alerts=(), ledger=tuple(ledger), open_charges=charges, balance_cents=balance, credit_cents=credit, currency="USD",
    )


class FakeMoney:
    currency = "USD"
    clock = PinnedClock(NOW, frozen=True)

    def __init__(self, view: FamilyView | None = None):
        self.view = view or lee_family()
        self.calls: list[tuple] = []
        self.fail_with: Exception | None = None
        self.online = True

    def search_families(self, text: str, limit: int = 20) -> list[FamilyHit]:
        self.calls.append(("search", text))
        hits = [FamilyHit("f-lee", "Lee", "Emma, Noah", "Jane Lee, Tom Lee", self.view.balance_cents),
                FamilyHit("f-ray", "Ray", "Emmet", "Ann Ray", -500)]
        return [h for h in hits if text.lower() in (h.name + h.students + h.guardians).lower()][:limit]

    def family(self, family_id: str, location_id: str | None = None) -> FamilyView:
        if family_id != self.view.id:
            raise LookupError(family_id)
        return self.view

    def staff_name(self, staff_id):
        return "Alex Rivera"

    def drawer_expected(self, location_id, staff_id, start, end, opening_float_cents=0) -> DrawerExpected:
        self.calls.append(("drawer_expected", staff_id, start, opening_float_cents))
        return DrawerExpected(location_id, staff_id, start, end, opening_float_cents, 9000, 1000,
                              opening_float_cents + 8000, 2500, 4500, 0, 4)

    async def record_drawer_count(self, expected, counted_cash_cents, note=""):
        self.calls.append(("drawer_count", expected.expected_cash_cents, counted_cash_cents, note))
        return "dc-1"

    async def post_charge(self, family_id, location_id, amount_cents, category, description, student_id=None):
        self.calls.append(("charge", family_id, location_id, amount_cents, category, description, student_id))
        return "c-new"

    async def record_payment(self, family_id, location_id, method, amount_cents, *, apply_to=(), tendered_cents=None,
                             check_number=""):
        self.calls.append(("payment", family_id, method, amount_cents, tuple(apply_to), tendered_cents, check_number))
        if self.fail_with:
            raise self.fail_with
        change = tendered_cents - amount_cents if tendered_cents is not None else None
        return PaymentOutcome("p-new", "DT-D1-000002", method, amount_cents, change, "", "",
                              self.view.balance_cents - amount_cents, True)

    card_time_limit = 15.0

    def card_call_status(self, key):
        return None

    async def charge_card(self, family_id, location_id, amount_cents, card: CardInput, *, apply_to=(), cancel=None):
        self.calls.append(("card", family_id, amount_cents, "swiped" if card.track else "keyed", tuple(apply_to)))
        self.last_card = card
        if not self.online:
            raise NetworkError(NO_CONNECTION_FOR_CARD)
        if self.fail_with:
            raise self.fail_with
        return PaymentOutcome("p-card", "DT-D1-000003", "card_present" if card.track else "card_keyed", amount_cents,
                              None, "Visa **** 1111", "123456", self.view.balance_cents - amount_cents, False)

    async def void(self, entry_id, reason):
        self.calls.append(("void", entry_id, reason))
        return CorrectionOutcome("v-1", "void", 4500, None, 12000, True)

    async def refund(self, entry_id, amount_cents, reason):
        self.calls.append(("refund", entry_id, amount_cents, reason))
        return CorrectionOutcome("r-1", "refund", amount_cents, "DT-D1-000004", 7500 + amount_cents, True)
