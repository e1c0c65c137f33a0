"""Receipts read back with poppler: what they say, how wide and long they are."""

from __future__ import annotations

import dataclasses

import pytest
from reportlab.lib.pagesizes import A4, letter

from printing.fonts import fonts
from printing.receipt import COLUMNS, PAPER_WIDTH, PRINTABLE_WIDTH, receipt_lines, render_receipt
from sync.core.receipt_data import PaymentMethod, ReceiptLine
from tests.printing import poppler
from tests.printing.conftest import logo_png, receipt

MARGIN = (PAPER_WIDTH - PRINTABLE_WIDTH) / 2
LONG = "Maximiliana Alexandrovna Featherstonehaugh-Cholmondeley-Worthington"


def assert_within_printable_width(pdf: bytes) -> None:
    words = poppler.words(pdf)
    assert words
    outside = [w for w in words if w.x_min < MARGIN - 0.5 or w.x_max > PAPER_WIDTH - MARGIN + 0.5]
    assert not outside, outside[:5]


def test_thermal_receipt_says_everything_in_the_location_time():
    pdf = render_receipt(receipt(), "thermal")
    text = poppler.text(pdf)
    for expected in ("Springfield Gymnastics", "Downtown", "1200 Main St", "Springfield, IL 62701", "Thank you!",
                     "DT-000123", "Mar 10, 2025 5:05 PM CDT", "Alex Kim", "Lee", "Level 2 Tumbling - March", "$85.00",
                     "Registration fee", "$25.00", "TOTAL", "$110.00", "March tuition", "Visa **** 4242",
                     "$0.00 (paid in full)", "Refunds within 30 days"):
        assert expected in text, expected
    assert "COPY" not in text and "PENDING" not in text and "Tendered" not in text
    page = poppler.info(pdf)
    assert page.pages == 1 and page.width == pytest.approx(PAPER_WIDTH, abs=1)
    assert_within_printable_width(pdf)


def test_no_thermal_line_is_wider_than_the_columns_with_long_names_and_many_items():
    data = receipt(business_name=LONG + " Gymnastics Academy", family_name=LONG, staff_name=LONG,
                   lines=tuple(ReceiptLine(f"{LONG} private lesson {i}", 12345 + i) for i in range(120)),
                   applied_to=(ReceiptLine(LONG * 2, 1_000_000_00),), header_text=LONG * 3, footer_text=LONG * 3)
    lines = receipt_lines(data)
    assert max(len(text) for text, _ in lines) <= COLUMNS
    pdf = render_receipt(data, "thermal")
    page = poppler.info(pdf)
    assert page.pages == 1, "a thermal receipt is one page as long as its content"
    short = poppler.info(render_receipt(receipt(), "thermal"))
    assert page.height > short.height * 10
    text = poppler.text(pdf)
    assert "private lesson 119" in text and "$124.64" in text  # the last item, 12345 + 119 cents
    assert_within_printable_width(pdf)


@pytest.mark.parametrize(("balance", "words"), [
    (0, "$0.00 (paid in full)"), (4500, "Balance due"), (-1500, "Account credit"),
])
def test_balance_after_zero_due_or_credit(balance: int, words: str):
    for layout in ("thermal", "page"):
        text = poppler.text(render_receipt(receipt(balance_after_cents=balance), layout))  # type: ignore[arg-type]
        assert words in text
        if balance:
            assert f"${abs(balance) / 100:.2f}" in text
            assert "-$" not in text.split(words)[1].splitlines()[0], "a credit is said in words, not as a minus"


def test_cash_shows_tendered_and_change_and_negative_lines():
    data = receipt(method=PaymentMethod("cash"), tendered_cents=10000,
                   lines=(ReceiptLine("Tuition", 9000), ReceiptLine("Sibling discount", -1000)), applied_to=())
    assert data.total_cents == 8000 and data.change_cents == 2000
    for layout in ("thermal", "page"):
        text = poppler.text(render_receipt(data, layout))  # type: ignore[arg-type]
        assert "-$10.00" in text and "$80.00" in text and "$100.00" in text and "$20.00" in text
        assert "Cash" in text


def test_reprint_and_offline_marks():
    data = receipt(copy=True, pending_sync=True)
    for layout in ("thermal", "page"):
        text = poppler.text(render_receipt(data, layout))  # type: ignore[arg-type]
        assert "COPY" in text and "PENDING SYNC" in text


def test_non_ascii_names_print_as_typed():
    if not fonts().unicode:
        pytest.skip("DejaVu fonts are not installed (apt-get install fonts-dejavu-core): Latin-1 fallback in use")
    names = ("Zoë Łukasiewicz-Nguyễn", "Ωμέγα Σπύρος", "Жанна Иванова", "Ólafur Þór Ævarsson")
    data = receipt(family_name=names[0], staff_name=names[1],
                   lines=(ReceiptLine(f"Private lesson for {names[2]}", 4000), ReceiptLine(names[3], 100)))
    for layout in ("thermal", "page"):
        text = poppler.text(render_receipt(data, layout), layout=False)  # type: ignore[arg-type]
        for name in names:
            for word in name.split():
                assert word in text, (layout, word)


def test_full_page_is_letter_or_a4_by_locale_and_flows_onto_more_pages():
    us = poppler.info(render_receipt(receipt(locale="en_US"), "page"))
    uk = poppler.info(render_receipt(receipt(locale="en_GB"), "page"))
    assert (us.width, us.height) == pytest.approx(letter, abs=1)
    assert (uk.width, uk.height) == pytest.approx(A4, abs=1)
    many = receipt(lines=tuple(ReceiptLine(f"Item {i}", 100) for i in range(150)))
    pdf = render_receipt(many, "page")
    assert poppler.info(pdf).pages >= 3
    text = poppler.text(pdf)
    assert "Item 149" in text and "$150.00" in text and "DT-000123" in text


def test_logo_is_drawn_in_both_layouts():
    for layout in ("thermal", "page"):
        pdf = render_receipt(receipt(logo_png=logo_png()), layout)  # type: ignore[arg-type]
        assert b"/Subtype /Image" in pdf
        assert b"/Subtype /Image" not in render_receipt(receipt(), layout)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [
    dict(kind="card", brand="Visa", last4="4242424242424242"),  # a full number
    dict(kind="card", brand="Visa", last4="42"),
    dict(kind="card", brand="Visa 12/27", last4="4242"),  # an expiry smuggled into the brand
    dict(kind="cash", last4="4242"),
])
def test_a_card_is_never_more_than_brand_and_last_four(bad: dict):
    with pytest.raises(ValueError):
        PaymentMethod(**bad)


def test_cash_tendered_must_cover_the_total_and_is_for_cash_only():
    with pytest.raises(ValueError):
        receipt(method=PaymentMethod("cash"), tendered_cents=100)
    with pytest.raises(ValueError):
        receipt(tendered_cents=20000)  # a card payment has no change
    assert dataclasses.replace(receipt(), method=PaymentMethod("check", check_number="1047")).method.text() == "Check #1047"
