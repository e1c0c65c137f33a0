"""End of shift: what the drawer should hold (from this desk's ledger) against the cash counted,
and the count saved (sync.money_desk.record_drawer_count).

Whose money counts is said on the dialog and can be changed: this desk's drawer, whoever took the
money (the default: staff share a drawer at a desk), or only the signed-in person's payments.
The period runs from the start of the location's day, or from the end of this staff member's last
count at this desk in this run, whichever is later, to now.
"""

from __future__ import annotations

import datetime as dt

from desk.presenters.formatting import clock, now_at
from desk.presenters.money_text import money, typed_money
from desk.presenters.payment import FormProblem
from sync.money_desk import MoneyDesk
from sync.money_views import DrawerExpected
from sync.views import LocationView

DESK, MINE = "desk", "mine"  # whose drawer is counted


class DrawerPresenter:
    def __init__(self, money_desk: MoneyDesk, location: LocationView, staff_id: str,
                 since: dt.datetime | None = None, now: dt.datetime | None = None, staff_name: str = ""):
        self.money = money_desk
        self.location = location
        self.staff_id = staff_id
        self.staff_name = staff_name or money_desk.staff_name(staff_id)
        self.whose = DESK  # this desk's drawer, whoever took the money
        self.now = now or now_at(location.timezone, money_desk.clock)
        start_of_day = self.now.replace(hour=0, minute=0, second=0, microsecond=0)
        self.start = max(start_of_day, since) if since is not None and since.tzinfo else start_of_day
        self.expected = self.money.drawer_expected(location.id, self._counted_staff(), self.start, self.now)
        self._count: tuple[DrawerExpected, int, str] | None = None

    def whose_choices(self) -> list[tuple[str, str]]:
        """(key, words) of whose drawer may be counted, the default first."""
        mine = f"Only {self.staff_name}'s payments" if self.staff_name else "Only my payments"
        return [(DESK, "This desk's drawer (everyone's payments)"), (MINE, mine)]

    def set_whose(self, whose: str) -> None:
        if whose not in (DESK, MINE):
            raise ValueError(whose)
        self.whose = whose
        self.expected = self.money.drawer_expected(self.location.id, self._counted_staff(), self.start, self.now)

    def _counted_staff(self) -> str | None:
        return None if self.whose == DESK else self.staff_id

    @property
    def currency(self) -> str:
        return self.money.currency

    def period_text(self) -> str:
        whose = "This desk's drawer, everyone's payments" if self.whose == DESK else dict(self.whose_choices())[MINE]
        count = self.expected.payments
        return f"{whose} · since {clock(self.start)} today · {count} payment{'s' if count != 1 else ''}"

    def expected_lines(self, opening_float: str = "") -> list[tuple[str, str]]:
        """(what, amount) rows: the cash the drawer should hold, then the other ways money came in."""
        float_cents = typed_money(opening_float, allow_zero=True)[0] or 0
        e = self.expected
        cur = self.currency
        return [
            ("Opening float", money(float_cents, cur)),
            ("Cash taken", money(e.cash_in_cents, cur)),
            ("Cash paid out", money(-e.cash_out_cents, cur) if e.cash_out_cents else money(0, cur)),
            ("Cash expected in the drawer", money(self.expected_cash(opening_float), cur)),
            ("Checks", money(e.check_cents, cur)),
            ("Cards", money(e.card_cents, cur)),
            ("Card terminal", money(e.terminal_cents, cur)),
        ]

    def expected_cash(self, opening_float: str = "") -> int:
        float_cents = typed_money(opening_float, allow_zero=True)[0] or 0
        return float_cents + self.expected.cash_in_cents - self.expected.cash_out_cents

    def difference(self, opening_float: str, counted: str) -> tuple[str, str]:
        """The count against what is expected, live as they type: (text, tone)."""
        if not counted.strip():
            return "Count the cash in the drawer and type it.", "neutral"
        cents, problem = typed_money(counted, allow_zero=True)
        if cents is None:
            return problem, "red"
        diff = cents - self.expected_cash(opening_float)
        if diff == 0:
            return "The drawer is right.", "ok"
        if diff > 0:
            return f"Over by {money(diff, self.currency)}", "amber"
        return f"Short by {money(-diff, self.currency)}", "red"

    def begin(self, opening_float: str, counted: str, note: str = "") -> None:
        float_cents, problem = typed_money(opening_float or "0", allow_zero=True)
        if float_cents is None:
            raise FormProblem(problem, "float")
        counted_cents, problem = typed_money(counted, allow_zero=True)
        if not counted.strip() or counted_cents is None:
            raise FormProblem(problem if counted.strip() else "Type the cash counted in the drawer.", "counted")
        end = now_at(self.location.timezone, self.money.clock)
        expected = self.money.drawer_expected(self.location.id, self._counted_staff(), self.start, end, float_cents)
        self._count = (expected, counted_cents, " ".join(note.split())[:500])

    async def save(self) -> DrawerExpected:
        count, self._count = self._count, None
        if count is None:
            raise RuntimeError("save() without begin()")
        expected, counted, note = count
        await self.money.record_drawer_count(expected, counted, note)
        return expected

    def saved_text(self, expected: DrawerExpected, counted: str) -> str:
        cents = typed_money(counted, allow_zero=True)[0] or 0
        diff = cents - expected.expected_cash_cents
        how = "right" if diff == 0 else (f"over by {money(diff, self.currency)}" if diff > 0
                                         else f"short by {money(-diff, self.currency)}")
        return f"Drawer count saved: {money(cents, self.currency)} counted, {how}."
