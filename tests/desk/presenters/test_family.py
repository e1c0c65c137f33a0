import asyncio
import datetime as dt

import pytest

from desk.presenters.charge import ChargePresenter
from desk.presenters.correction import CorrectionPresenter
from desk.presenters.drawer import DrawerPresenter
from desk.presenters.family import FamilyPresenter
from desk.presenters.money_text import balance_words, money, typed_money
from desk.presenters.payment import FormProblem
from sync.core.permissions import BUILTIN_GROUPS
from tests.desk.fakes import DOWNTOWN
from tests.desk.presenters.money_fakes import NOW, FakeMoney, lee_family, row


def opened(group: str = "manager", money: FakeMoney | None = None) -> FamilyPresenter:
    p = FamilyPresenter(money or FakeMoney(), DOWNTOWN, BUILTIN_GROUPS[group])
    p.search("lee")
    p.pick()
    return p


def test_money_reads_with_the_currency_and_is_typed_without_floats():
    assert money(4550) == "$45.50" and money(-1200) == "-$12.00"
    assert [typed_money(t)[0] for t in ("45", "45.5", "45.50", "$1,045.50")] == [4500, 4550, 4550, 104550]
    cents, problem = typed_money("4.555")
    assert cents is None and "is not an amount" in problem
    assert balance_words(4500) == ("Balance due $45.00", "red")
    assert balance_words(-1000) == ("Credit $10.00", "ok")
    assert balance_words(0) == ("Nothing due", "neutral")


def test_search_finds_by_any_name_and_says_the_balance():
    p = FamilyPresenter(FakeMoney(), DOWNTOWN)
    assert [h.id for h in p.search("emm")] == ["f-lee", "f-ray"] and p.highlighted == 0
    lines = p.hit_lines()
    assert lines[0].name == "Lee family" and lines[0].about == "Emma, Noah · Jane Lee, Tom Lee"
    assert (lines[0].balance, lines[0].tone) == ("$100.00 due", "red")
    assert (lines[1].balance, lines[1].tone) == ("Credit $5.00", "ok")
    assert p.move(5) == 1 and p.move(-5) == 0
    assert p.search("   ") == [] and p.highlighted == -1


def test_the_family_header_students_and_ledger_read_plainly():
    p = opened()
    header = p.header()
    assert (header.name, header.balance, header.tone) == ("Lee family", "Balance due $100.00", "red")
    assert header.contact == ("Jane Lee (mother, primary) · 555-0100 · jane@example.com", "Tom Lee · 555-0101")
    assert [(s.name, s.age, s.status) for s in p.student_lines()] == [
        ("Emma Lee", "7 years old", "Active"), ("Noah Lee", "5 years old", "Not active")]
    lines = p.ledger_lines()
    assert [(l.description, l.method, l.amount, l.balance) for l in lines] == [
        ("Tuition March", "", "$120.00", "$120.00"),
        ("Payment", "Cash", "-$45.00", "$75.00"),
        ("Drop-in (not sent yet)", "", "$25.00", "$100.00"),
    ]
    assert "$75.00 still to pay" in lines[0].tooltip and lines[2].pending
    assert [(r.receipt_no, r.what, r.amount) for r in p.receipt_lines()] == [("DT-D1-000001", "Payment", "$45.00")]


def test_voided_lines_and_corrections_say_so():
    view = lee_family(ledger=(
        row("p1", "payment", -4500, -4500, method="cash", method_text="Cash", receipt_no="R1", voided=True),
        row("v1", "void", 4500, 0, reason="Wrong family"),
    ))
    p = opened(money=FakeMoney(view))
    lines = p.ledger_lines()
    assert lines[0].voided and lines[0].description == "Payment (voided)"
    assert lines[1].description == "Void: Wrong family"
    assert p.correction_action("p1") == ("Void or refund", False, "This line is already voided.")


def test_the_void_or_refund_action_follows_the_line_and_the_permissions():
    manager = opened("manager")
    assert manager.correction_action(None)[1] is False
    assert manager.correction_action("c1") == ("Void", True, "")
    assert manager.correction_action("p1") == ("Refund", True, "")
    desk = opened("front-desk")
    text, enabled, why = desk.correction_action("p1")
    assert (text, enabled) == ("Refund", False) and "manager" in why
    assert desk.may_pay() and desk.may_charge()
    coach = FamilyPresenter(FakeMoney(), DOWNTOWN, BUILTIN_GROUPS["coach"])
    assert not coach.may_view and not coach.may_pay() and not coach.may_count_drawer()


def test_an_unknown_family_is_a_lookup_error_and_reload_closes_a_vanished_one():
    p = opened()
    with pytest.raises(LookupError):
        p.open("f-nobody")
    p.money.view = lee_family()
    p.money.view = type(p.money.view)(**{**p.money.view.__dict__, "id": "f-other"})
    assert p.reload() is None and p.view is None


def test_receipts_go_to_the_hook_unless_none_is_chosen():
    p = opened()
    seen = []
    p.receipt_hook = lambda outcome, choice: seen.append(choice)
    p.receipt("outcome", "none")
    p.receipt("outcome", "print")
    assert seen == ["print"]


def test_a_charge_defaults_its_words_to_what_it_is_for():
    money_desk = FakeMoney()
    c = ChargePresenter(money_desk, lee_family(), DOWNTOWN)
    assert c.students() == [("", "The whole family"), ("s-emma", "Emma Lee")]
    with pytest.raises(FormProblem) as problem:
        c.begin("abc", "tuition", "")
    assert problem.value.field == "amount"
    c.begin("45.5", "drop_in", "  ", "s-emma")
    assert asyncio.run(c.post()) == "c-new"
    assert money_desk.calls[-1] == ("charge", "f-lee", DOWNTOWN.id, 4550, "drop_in", "Drop-in", "s-emma")
    assert c.posted_text("45.5", "", "drop_in") == "Charge posted: Drop-in · $45.50 · Lee family"


def test_a_void_needs_a_reason_and_a_refund_may_be_partial_but_not_more():
    view = lee_family()
    money_desk = FakeMoney(view)
    void = CorrectionPresenter(money_desk, view.ledger[0], "USD")
    with pytest.raises(FormProblem) as problem:
        void.begin("   ")
    assert problem.value.field == "reason" and "audit log" in problem.value.text
    void.begin("Posted twice")
    asyncio.run(void.apply())
    assert money_desk.calls[-1] == ("void", "c1", "Posted twice")

    refund = CorrectionPresenter(money_desk, view.ledger[1], "USD")
    assert refund.is_refund and refund.default_amount_text() == "45.00"
    with pytest.raises(FormProblem):
        refund.begin("Class cancelled", "50")
    refund.begin("Class cancelled", "20")
    assert refund.confirm_text("20") == "Refund $20.00"
    asyncio.run(refund.apply())
    assert money_desk.calls[-1] == ("refund", "p1", 2000, "Class cancelled")
    with pytest.raises(ValueError):
        CorrectionPresenter(money_desk, view.ledger[2].__class__(**{**view.ledger[2].__dict__, "correction": None}), "USD")


def test_the_drawer_expects_float_plus_cash_and_says_over_or_short():
    money_desk = FakeMoney()
    d = DrawerPresenter(money_desk, DOWNTOWN, "staff-1", now=NOW)
    assert d.start == NOW.replace(hour=0, minute=0)
    assert d.expected_cash("100") == 18000
    assert dict(d.expected_lines("100"))["Cash expected in the drawer"] == "$180.00"
    assert d.difference("100", "180") == ("The drawer is right.", "ok")
    assert d.difference("100", "175.50") == ("Short by $4.50", "red")
    assert d.difference("100", "181") == ("Over by $1.00", "amber")
    with pytest.raises(FormProblem):
        d.begin("100", "")
    d.begin("100", "175.50", " short  one fiver ")
    asyncio.run(d.save())
    assert money_desk.calls[-1] == ("drawer_count", 18000, 17550, "short one fiver")
    later = DrawerPresenter(money_desk, DOWNTOWN, "staff-1", since=NOW.replace(hour=12), now=NOW)
    assert later.start == NOW.replace(hour=12)
    earlier = DrawerPresenter(money_desk, DOWNTOWN, "staff-1", since=NOW - dt.timedelta(days=2), now=NOW)
    assert earlier.start == NOW.replace(hour=0, minute=0)
