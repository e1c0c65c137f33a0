"""Money reports laid out and rendered: what the printed PDF says (pdftotext)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from desk.presenters.money_reports import drawer_doc, end_of_day_doc, statement_doc
from printing.report import render_report
from sync.money_reports import DayLine, DrawerCountView, EndOfDay, FamilyStatement, MethodTotal, StatementRow
from tests.printing.poppler import text

CHI = ZoneInfo("America/Chicago")
DAY = dt.date(2026, 11, 25)


def test_statement_pdf_shows_every_line_and_the_closing_credit():
    rows = tuple(StatementRow(DAY, f"Drop-in class {i}", "charge", "", 1500, 1500 * (i + 1), i == 39) for i in range(40))
    st = FamilyStatement("Ñúñez-O'Brien", dt.date(2026, 11, 1), DAY, -2500, rows, -2500 + 60000, 60000, 0)
    pdf = render_report(statement_doc(st, "Acme Gymnastics", "Data as of now", "Nov 25, 2026 4:00 PM"))
    words = text(pdf)
    assert "Ñúñez-O'Brien family" in words
    assert "Balance brought forward" in words and "$25.00 credit" in words
    assert "Drop-in class 39 (not sent yet)" in words
    assert "$575.00" in words  # the closing balance


def test_end_of_day_and_drawer_pdfs():
    when = dt.datetime(2026, 11, 25, 16, 5, tzinfo=CHI)
    line = DayLine(when, "Lee", "DT-D1-000007", "Check #1042", 12500, "Alex Kim", False, False)
    day = EndOfDay("Downtown", DAY, {"check": (line,)}, (MethodTotal("check", "Check", 1, 12500, 0),), (), 12500)
    words = text(render_report(end_of_day_doc(day, "Acme", "as of", "now")))
    assert "Bank deposit" in words and "Check #1042" in words and "$125.00" in words
    empty = EndOfDay("Downtown", DAY, {}, (), (), 0)
    assert "No payments or refunds on this day." in text(render_report(end_of_day_doc(empty, "Acme", "as of", "now")))
    c = DrawerCountView("Alex Kim", when, when.replace(hour=8), when, 10000, 17100, 17000, -100, 4500, 9000, 0, "", True)
    words = text(render_report(drawer_doc((c,), "Downtown", DAY, "Acme", "as of", "now")))
    assert "short $1.00" in words and "Alex Kim" in words and "(not sent yet)" in words
