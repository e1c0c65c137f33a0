"""The Families screen's logic, without widgets: find a family, show its file, and start the money
actions on it (take a payment, post a charge, void or refund a line, count the drawer).

Everything comes from sync.money_desk.MoneyDesk, which reads the desk's cache (offline too); this
module only turns its values into lines ready to show and says which actions staff may take.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from desk.presenters.formatting import age_text, now_at
from desk.presenters.money_text import KIND_WORDS, balance_words, money, when_text
from sync.core.contact_fields import phone_text, region_of_zone
from sync.money_desk import MoneyDesk
from sync.money_views import CorrectionOutcome, FamilyHit, FamilyView, LedgerRow, PaymentOutcome
from sync.core.permissions import ALL_PERMISSIONS, CHARGE_POST, LEDGER_REFUND, LEDGER_VIEW, LEDGER_VOID, PAYMENT_TAKE, expand
from sync.views import LocationView

SEARCH_LIMIT = 20
NOT_SENT = "not sent yet"

# What desk.app may hang on the presenter to print or email a receipt: (outcome, "print" | "email").
ReceiptHook = Callable[[PaymentOutcome | CorrectionOutcome, str], object]


@dataclass(frozen=True)
class HitLine:
    id: str
    name: str  # "Lee family"
    about: str  # "Emma, Noah · Jane Lee, Tom Lee"
    balance: str  # "$45.00 due", "Credit $5.00", "" when nothing is due
    tone: str


@dataclass(frozen=True)
class Header:
    name: str
    balance: str
    tone: str  # red (due), ok (credit), neutral
    contact: tuple[str, ...]  # "Jane Lee (mother, primary) · 555-0100 · jane@example.com"


@dataclass(frozen=True)
class LedgerLine:
    id: str
    date: str
    description: str  # with "(voided)" / "not sent yet" said in words
    method: str
    amount: str  # signed effect on the balance: charges "$45.00", payments "-$45.00"
    balance: str  # running balance after the line
    voided: bool
    pending: bool
    correction: str | None  # "void", "refund" or None
    tooltip: str


@dataclass(frozen=True)
class ReceiptLine:
    id: str
    receipt_no: str
    date: str
    what: str  # "Payment", "Refund"
    method: str
    amount: str  # what changed hands, positive
    pending: bool
    email: str = ""  # how the last email of it went: "Sent to …", "Failed: …", waiting


@dataclass(frozen=True)
class StudentLine:
    id: str
    name: str
    age: str
    status: str


class FamilyPresenter:
    def __init__(self, money_desk: MoneyDesk, location: LocationView, permissions: Iterable[str] | None = None):
        self.money = money_desk
        self.location = location
        # Until desk.security says who signed in, nothing is hidden (as with the rail); the server decides anyway.
        self.permissions: frozenset[str] = ALL_PERMISSIONS if permissions is None else expand(permissions)
        self.hits: list[FamilyHit] = []
        self._searched = ""  # the words the list was found with
        self.highlighted = -1
        self.view: FamilyView | None = None
        self.receipt_hook: ReceiptHook | None = None
        self.receipts = None  # sync.receipt_desk.ReceiptDesk, when desk.app wires one: email status
        self.receipt_choice: Callable[[str], str] | None = None  # the desk's receipt defaults by ledger method
        self.last_drawer_end = None  # when this desk's last drawer count in this run ended (see DrawerPresenter)

    # --- who may do what -------------------------------------------------------------------
    def set_permissions(self, permissions: Iterable[str]) -> None:
        self.permissions = expand(permissions)

    def may(self, permission: str) -> bool:
        return permission in self.permissions

    @property
    def may_view(self) -> bool:
        return self.may(LEDGER_VIEW)

    def may_pay(self) -> bool:
        return self.view is not None and self.may(PAYMENT_TAKE)

    def may_charge(self) -> bool:
        return self.view is not None and self.may(CHARGE_POST)

    def may_count_drawer(self) -> bool:
        return self.may(PAYMENT_TAKE) and bool(self.location.id)

    # --- finding a family ------------------------------------------------------------------
    def search(self, text: str) -> list[FamilyHit]:
        words = text.strip()
        self._searched = words
        self.hits = self.money.search_families(words, limit=SEARCH_LIMIT) if words else []
        self.highlighted = 0 if self.hits else -1
        return self.hits

    def refresh_hits(self) -> bool:
        """The list found again from the ledger as it is now (a payment here, a pull): every
        balance badge follows the ledger. The highlighted family stays highlighted. False: no list."""
        if not self.hits:
            return False
        chosen = self.hits[self.highlighted].id if 0 <= self.highlighted < len(self.hits) else None
        self.hits = self.money.search_families(self._searched, limit=SEARCH_LIMIT)
        ids = [h.id for h in self.hits]
        self.highlighted = ids.index(chosen) if chosen in ids else (0 if self.hits else -1)
        return True

    def move(self, delta: int) -> int:
        if self.hits:
            self.highlighted = max(0, min(len(self.hits) - 1, self.highlighted + delta))
        return self.highlighted

    def hit_lines(self) -> list[HitLine]:
        lines = []
        cur = self.money.currency
        for h in self.hits:
            about = " · ".join(part for part in (h.students, h.guardians) if part)
            if h.balance_cents > 0:
                balance, tone = f"{money(h.balance_cents, cur)} due", "red"
            elif h.balance_cents < 0:
                balance, tone = f"Credit {money(-h.balance_cents, cur)}", "ok"
            else:
                balance, tone = "", "neutral"
            lines.append(HitLine(h.id, f"{h.name} family", about, balance, tone))
        return lines

    def pick(self, index: int | None = None) -> FamilyView | None:
        if index is not None and 0 <= index < len(self.hits):
            self.highlighted = index
        if not 0 <= self.highlighted < len(self.hits):
            return None
        return self.open(self.hits[self.highlighted].id)

    def open(self, family_id: str) -> FamilyView:
        """Raises LookupError for a family this desk does not have."""
        self.view = self.money.family(family_id, self.location.id or None)
        return self.view

    def reload(self) -> FamilyView | None:
        """New data (a payment here, a pull from the server): the open family shows it."""
        if self.view is not None:
            try:
                self.view = self.money.family(self.view.id, self.location.id or None)
            except LookupError:
                self.view = None
        return self.view

    def set_location(self, location: LocationView) -> None:
        self.location = location
        self.reload()

    def close(self) -> None:
        self.view = None

    # --- what the family panel shows ---------------------------------------------------------
    def header(self) -> Header:
        v = self._open()
        balance, tone = balance_words(v.balance_cents, v.currency)
        contact = []
        region = region_of_zone(self.location.timezone)  # numbers read as this location's country writes them
        for g in v.guardians:
            who = ", ".join(p for p in (g.relation, "primary" if g.is_primary else "") if p)
            name = f"{g.name} ({who})" if who else g.name
            contact.append(" · ".join(p for p in (name, phone_text(g.phone, region), g.email) if p))
        if not contact and (v.phone or v.email):
            contact.append(" · ".join(p for p in (phone_text(v.phone, region), v.email) if p))
        return Header(f"{v.name} family", balance, tone, tuple(contact))

    def student_lines(self) -> list[StudentLine]:
        return [StudentLine(s.id, s.name, age_text(s.age), "Active" if s.active else "Not active")
                for s in self._open().students]

    def ledger_lines(self) -> list[LedgerLine]:
        v = self._open()
        today = now_at(self.location.timezone, self.money.clock).date()
        lines = []
        for row in v.ledger:
            description = describe(row)
            notes = []
            if row.voided:
                notes.append("voided")
            if row.pending:
                notes.append(NOT_SENT)
            if notes:
                description = f"{description} ({', '.join(notes)})"
            tip = [f"By {row.staff_name}" if row.staff_name else "", f"Receipt {row.receipt_no}" if row.receipt_no else ""]
            if row.kind == "charge" and row.open_cents and not row.voided:
                tip.append(f"{money(row.open_cents, v.currency)} still to pay")
            if row.pending:
                tip.append("Recorded at this desk; it is sent to the server when the connection allows.")
            lines.append(LedgerLine(
                id=row.id, date=when_text(row.when, today), description=description, method=row.method_text,
                amount=money(row.amount_cents, v.currency), balance=money(row.running_balance_cents, v.currency),
                voided=row.voided, pending=row.pending, correction=row.correction,
                tooltip=" · ".join(t for t in tip if t),
            ))
        return lines

    def receipt_lines(self) -> list[ReceiptLine]:
        v = self._open()
        today = now_at(self.location.timezone, self.money.clock).date()
        return [
            ReceiptLine(row.id, row.receipt_no, when_text(row.when, today), KIND_WORDS.get(row.kind, row.kind.title()),
                        row.method_text, money(abs(row.amount_cents), v.currency), row.pending, self._email_words(row.id))
            for row in reversed(v.ledger) if row.receipt_no and row.kind in ("payment", "refund")
        ]

    def _email_words(self, entry_id: str) -> str:
        asked = self.receipts.emails(entry_id) if self.receipts is not None else []
        if not asked:
            return ""
        last = asked[-1]
        if last.status == "failed":
            return f"Not sent: {last.message} Email it again to retry."
        return last.words

    def resend_receipt(self, entry_id: str, choice: str) -> None:
        """From the Receipts tab: print a copy, or email it (again, after a failure)."""
        if self.receipt_hook is not None:
            self.receipt_hook(_Again(entry_id, copy=choice == "print"), choice)

    def row(self, entry_id: str | None) -> LedgerRow | None:
        if self.view is None or entry_id is None:
            return None
        return next((r for r in self.view.ledger if r.id == entry_id), None)

    def correction_action(self, entry_id: str | None) -> tuple[str, bool, str]:
        """The Void / Refund button for the selected line: (text, enabled, why not)."""
        row = self.row(entry_id)
        if row is None:
            return "Void or refund", False, "Pick a line in the ledger first."
        if row.correction == "void":
            if not self.may(LEDGER_VOID):
                return "Void", False, "Ask a manager: voiding needs their permission."
            return "Void", True, ""
        if row.correction == "refund":
            if not self.may(LEDGER_REFUND):
                return "Refund", False, "Ask a manager: refunds need their permission."
            return "Refund", True, ""
        if row.voided:
            return "Void or refund", False, "This line is already voided."
        return "Void or refund", False, "Nothing can be voided or refunded on this line."

    def empty_text(self) -> str:
        return "Type a family, student or guardian name,\nthen press Enter to open the family."

    def no_match_text(self, text: str) -> str:
        return f"No family matches “{text.strip()}”.\nTry a student's or a guardian's name."

    def payment_text(self, outcome: PaymentOutcome) -> str:
        """The toast after a payment: what was paid, the receipt number, the balance after."""
        cur = self.money.currency
        method = outcome.card_text or METHOD_WORDS.get(outcome.method, outcome.method)
        parts = [f"{money(outcome.amount_cents, cur)} paid ({method})", f"Receipt {outcome.receipt_no}"]
        if outcome.change_cents:
            parts.append(f"Change {money(outcome.change_cents, cur)}")
        parts.append(balance_words(outcome.balance_after_cents, cur)[0])
        if outcome.pending_sync:
            parts.append(NOT_SENT)
        return " · ".join(parts)

    def correction_text(self, outcome: CorrectionOutcome) -> str:
        cur = self.money.currency
        what = "Voided" if outcome.kind == "void" else "Refunded"
        parts = [f"{what} {money(abs(outcome.amount_cents), cur)}"]
        if outcome.receipt_no:
            parts.append(f"Receipt {outcome.receipt_no}")
        parts.append(balance_words(outcome.balance_after_cents, cur)[0])
        if outcome.pending_sync:
            parts.append(NOT_SENT)
        return " · ".join(parts)

    def receipt(self, outcome: PaymentOutcome | CorrectionOutcome, choice: str) -> None:
        """Staff chose how the customer gets the receipt ("print", "email" or "none")."""
        if choice != "none" and self.receipt_hook is not None:
            self.receipt_hook(outcome, choice)

    def _open(self) -> FamilyView:
        if self.view is None:
            raise RuntimeError("no family is open")  # the screen only asks with a family open
        return self.view


METHOD_WORDS = {"cash": "cash", "check": "check", "card_present": "card", "card_keyed": "card",
                "terminal": "card terminal", "credit": "account credit"}


@dataclass(frozen=True)
class _Again:
    """A receipt asked for again from the Receipts tab (what the receipt hook reads of an outcome)."""

    entry_id: str
    copy: bool = False


def describe(row: LedgerRow) -> str:
    """A ledger line's words: its description, or what kind of line it is (and why, for corrections)."""
    text = row.description.strip() or KIND_WORDS.get(row.kind, row.kind.title())
    if row.kind in ("void", "refund", "adjustment") and row.reason and row.reason not in text:
        text = f"{text}: {row.reason}"
    return text

