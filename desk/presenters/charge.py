"""The post-charge dialog's logic: amount, category, words, and optionally which student."""

from __future__ import annotations

from dataclasses import dataclass

from desk.presenters.money_text import CATEGORY_WORDS, money, typed_money
from desk.presenters.payment import FormProblem
from sync.money_desk import MoneyDesk
from sync.money_views import FamilyView
from sync.views import LocationView


@dataclass(frozen=True)
class _Charge:
    amount_cents: int
    category: str
    description: str
    student_id: str | None


class ChargePresenter:
    def __init__(self, money_desk: MoneyDesk, view: FamilyView, location: LocationView):
        self.money = money_desk
        self.view = view
        self.location = location
        self._charge: _Charge | None = None

    def title(self) -> str:
        return f"Post a charge · {self.view.name} family"

    @staticmethod
    def categories() -> list[tuple[str, str]]:
        return list(CATEGORY_WORDS.items())

    def students(self) -> list[tuple[str, str]]:
        """(student id, name) choices; "" first: the charge is for the family as a whole."""
        return [("", "The whole family")] + [(s.id, s.name) for s in self.view.students if s.active]

    def begin(self, amount: str, category: str, description: str, student_id: str = "") -> _Charge:
        cents, problem = typed_money(amount)
        if cents is None:
            raise FormProblem(problem if amount.strip() else "Type the amount.", "amount")
        if category not in CATEGORY_WORDS:
            raise FormProblem("Pick what the charge is for.", "category")
        words = " ".join(description.split())[:200] or CATEGORY_WORDS[category]
        self._charge = _Charge(cents, category, words, student_id or None)
        return self._charge

    async def post(self) -> str:
        charge, self._charge = self._charge, None
        if charge is None:
            raise RuntimeError("post() without begin()")
        return await self.money.post_charge(self.view.id, self.location.id, charge.amount_cents, charge.category,
                                            charge.description, student_id=charge.student_id)

    def posted_text(self, amount: str, description: str, category: str) -> str:
        cents, _ = typed_money(amount)
        words = " ".join(description.split()) or CATEGORY_WORDS.get(category, "")
        return f"Charge posted: {words} · {money(cents or 0, self.view.currency)} · {self.view.name} family"
