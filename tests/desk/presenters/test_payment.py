import asyncio
import dataclasses

import pytest

from desk.presenters.payment import CASH, CHECK, CREDIT, KEYED, SWIPE, TERMINAL, FormProblem, PaymentForm, PaymentPresenter
from devices.tracks import parse_swipe
from sync.errors import NetworkError
from sync.money_desk import NO_CONNECTION_FOR_CARD
from tests.desk.fakes import DOWNTOWN
from tests.desk.presenters.money_fakes import FakeMoney, lee_family
from tests.fixtures import cards as tc


def presenter(credit: int = 0) -> tuple[PaymentPresenter, FakeMoney]:
    money_desk = FakeMoney(lee_family(credit=credit))
    return PaymentPresenter(money_desk, money_desk.view, DOWNTOWN), money_desk


def swiped(pan: str = tc.VISA, service: str = "101"):
    card = parse_swipe(tc.magtek(pan, service=service).rstrip("\r"))
    assert type(card).__name__ == "PaymentCard"
    return card


def test_it_starts_at_the_balance_due_with_cash_and_offers_credit_only_when_there_is_some():
    p, _ = presenter()
    assert p.default_amount_text() == "100.00"
    assert [m.key for m in p.methods()] == [CASH, CHECK, SWIPE, KEYED, TERMINAL]
    assert CREDIT in [m.key for m in presenter(credit=500)[0].methods()]
    assert p.confirm_text(PaymentForm("45.5")) == "Take $45.50"
    assert p.confirm_text(PaymentForm("45.5", method=KEYED)) == "Charge $45.50"


def test_cash_change_shows_live_and_short_cash_is_refused():
    p, money_desk = presenter()
    assert p.change_text(PaymentForm("45", tendered="50")) == ("Change $5.00", "ok")
    assert p.change_text(PaymentForm("45", tendered="40")) == ("$5.00 short", "red")
    assert p.change_text(PaymentForm("45", tendered="")) == ("", "neutral")
    with pytest.raises(FormProblem) as problem:
        p.begin(PaymentForm("45", tendered="40"))
    assert problem.value.field == "tendered" and not p.busy
    p.begin(PaymentForm("45", tendered="50", apply_to=("c2",)))
    assert p.busy
    with pytest.raises(FormProblem):
        p.begin(PaymentForm("45"))  # one attempt at a time
    outcome = asyncio.run(p.pay())
    assert money_desk.calls[-1] == ("payment", "f-lee", "cash", 4500, ("c2",), 5000, "")
    assert not p.busy and outcome.change_cents == 500
    assert p.outcome_lines(outcome)[:3] == ["Paid $45.00 by cash", "Give change: $5.00", "Receipt DT-D1-000002"]


def test_more_than_due_becomes_credit_and_credit_cannot_overspend():
    p, _ = presenter(credit=500)
    assert "becomes credit" in p.amount_note(PaymentForm("150"))[0]
    assert p.amount_note(PaymentForm("1.2.3"))[1] == "red"
    with pytest.raises(FormProblem):
        p.begin(PaymentForm("6", method=CREDIT))
    with pytest.raises(FormProblem) as problem:
        p.begin(PaymentForm("5", method=CHECK))
    assert problem.value.field == "check_number"


def test_a_swiped_card_is_taken_once_held_for_enter_and_dropped_after_the_attempt():
    p, money_desk = presenter()
    with pytest.raises(FormProblem) as problem:
        p.begin(PaymentForm("45", method=SWIPE))
    assert "Swipe the card now" in problem.value.text
    card = swiped()
    text, tone = p.card_swiped(card)
    assert text.startswith("Visa ending 1111 is read") and tone == "ok"
    with pytest.raises(RuntimeError):
        card.take_track_data()  # the track went to the payment, once
    p.begin(PaymentForm("45", method=SWIPE))
    asyncio.run(p.pay())
    assert money_desk.calls[-1] == ("card", "f-lee", 4500, "swiped", ())
    assert "4111" not in repr(money_desk.last_card)
    with pytest.raises(FormProblem):
        p.begin(PaymentForm("45", method=SWIPE))  # swipe again for another payment


def test_a_chip_card_is_warned_and_a_declined_or_offline_attempt_drops_the_card():
    p, money_desk = presenter()
    text, tone = p.card_swiped(swiped(service="201"))
    assert "chip" in text and tone == "amber"
    money_desk.online = False
    p.begin(PaymentForm("45", method=SWIPE))
    with pytest.raises(NetworkError) as exc:
        asyncio.run(p.pay())
    assert exc.value.message == NO_CONNECTION_FOR_CARD
    assert not p.busy and p.swiped_text == ""
    with pytest.raises(FormProblem):
        p.begin(PaymentForm("45", method=SWIPE))


def test_a_keyed_card_is_checked_before_it_goes_anywhere():
    p, money_desk = presenter()
    def problem(**kw):
        with pytest.raises(FormProblem) as exc:
            p.begin(PaymentForm("45", method=KEYED, **kw))
        return exc.value.field
    assert problem(card_number="", expiry="12/40", cvc="123") == "card_number"
    assert problem(card_number=tc.BAD_LUHN, expiry="12/40", cvc="123") == "card_number"
    assert problem(card_number=tc.VISA_2.translate(str.maketrans("0123456789", "０１２３４５６７８９")), expiry="12/40",
                   cvc="123") == "card_number"  # fullwidth digits are not digits
    assert problem(card_number=tc.UNIONPAY_NO_LUHN, expiry="13/40", cvc="123") == "expiry"  # UnionPay: no Luhn
    assert problem(card_number=tc.VISA_2, expiry="13/40", cvc="123") == "expiry"
    assert problem(card_number=tc.VISA_2, expiry="01/20", cvc="123") == "expiry"
    assert problem(card_number=tc.VISA_2, expiry="12/40", cvc="12") == "cvc"
    spaced = " ".join(tc.VISA_2[i:i + 4] for i in range(0, 16, 4))
    p.begin(PaymentForm("45", method=KEYED, card_number=spaced, expiry="12/2040", cvc="123"))
    asyncio.run(p.pay())
    card = money_desk.last_card
    assert (card.number, card.exp_month, card.exp_year, card.cvc) == (tc.VISA_2, 12, 2040, "123")
    assert tc.VISA_2 not in repr(card) and tc.VISA_2 not in repr(p._attempt)


def test_receipts_default_by_way_of_paying_unless_the_desk_says_otherwise():
    p, _ = presenter()
    paid = asyncio.run(_paid(p, PaymentForm("45")))
    by = lambda method: p.receipt_default(dataclasses.replace(paid, method=method))  # noqa: E731
    assert [by(m) for m in ("cash", "check", "card_present", "card_keyed", "terminal")] == [
        "print", "none", "print", "print", "none"]
    p.receipt_choice = {"cash": "email"}.get  # this desk's settings; unknown methods fall back
    assert (by("cash"), by("check")) == ("email", "none")
    assert p.may_email()


async def _paid(p, form):
    p.begin(form)
    return await p.pay()
