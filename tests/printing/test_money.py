from __future__ import annotations

import pytest

from printing.money import format_money


@pytest.mark.parametrize(("cents", "currency", "text"), [
    (0, "USD", "$0.00"),
    (5, "USD", "$0.05"),
    (-1234, "USD", "-$12.34"),
    (123456789, "USD", "$1,234,567.89"),
    (999, "EUR", "9.99 €"),
    (-250, "GBP", "-£2.50"),
    (1500, "JPY", "¥1,500"),
    (100, "XYZ", "1.00 XYZ"),
])
def test_money_is_printed_from_integer_cents(cents: int, currency: str, text: str):
    assert format_money(cents, currency) == text


@pytest.mark.parametrize("bad", [12.5, True, "12"])
def test_money_refuses_anything_but_integer_cents(bad: object):
    with pytest.raises(TypeError):
        format_money(bad, "USD")  # type: ignore[arg-type]
