"""Money reports laid out for printing: family statement, end of day (deposit), drawer counts.

sync.money_reports answers with figures; these turn them into printing.report.ReportDoc tables
of strings, amounts right-aligned with the account's currency.
"""

from __future__ import annotations

from desk.presenters.formatting import clock
from printing.money import format_money
from printing.report import ReportDoc, ReportTable
from sync.money_reports import DrawerCountView, EndOfDay, FamilyStatement


def _day(d) -> str:
    return f"{d:%b} {d.day}, {d.year}"


def _balance(cents: int, currency: str) -> str:
    if cents < 0:
        return f"{format_money(-cents, currency)} credit"
    return format_money(cents, currency)


def statement_doc(st: FamilyStatement, business: str, as_of: str, printed_at: str, currency: str = "USD") -> ReportDoc:
    money = lambda c: format_money(c, currency)  # noqa: E731
    rows = [(_day(st.start), "Balance brought forward", "", "", _balance(st.opening_cents, currency))]
    for r in st.rows:
        what = r.description + (" (not sent yet)" if r.pending else "")
        rows.append((_day(r.business_date), what, r.detail, money(r.amount_cents), _balance(r.balance_cents, currency)))
    table = ReportTable(
        heading=f"{st.family_name} family",
        columns=("Date", "Description", "Details", "Amount", "Balance"),
        rows=tuple(rows), widths=(0.14, 0.30, 0.28, 0.13, 0.15), right=frozenset({3, 4}),
        total=("", "Balance at the end of the period", "", "", _balance(st.closing_cents, currency)),
        note=f"Charges {money(st.charged_cents)} · payments and credits {money(st.paid_cents)}. "
             "Amounts owed are positive; payments are negative.",
    )  # fmt: skip
    return ReportDoc(
        title="Family statement", business_name=business,
        subtitle=f"{st.family_name} family · {_day(st.start)} to {_day(st.end)}",
        as_of=as_of, printed_at=printed_at, tables=(table,),
    )  # fmt: skip


def end_of_day_doc(day: EndOfDay, business: str, as_of: str, printed_at: str, currency: str = "USD") -> ReportDoc:
    money = lambda c: format_money(c, currency)  # noqa: E731
    totals = ReportTable(
        heading="Totals by method",
        columns=("Method", "Payments", "Taken", "Refunded", "Net"),
        rows=tuple((t.words, str(t.count), money(t.in_cents), money(t.out_cents), money(t.net_cents)) for t in day.totals),
        widths=(0.32, 0.14, 0.18, 0.18, 0.18), right=frozenset({1, 2, 3, 4}),
        total=("Bank deposit", "", "", "", money(day.deposit_cents)),
        note="The bank deposit is the cash and checks taken less refunds paid out of them. "
             "Account credit moves no money.",
    )  # fmt: skip
    tables = [totals] if day.totals else []
    for method, lines in day.lines.items():
        words = next(t.words for t in day.totals if t.method == method)
        tables.append(ReportTable(
            heading=words,
            columns=("Time", "Receipt", "Family", "Details", "Staff", "Amount"),
            rows=tuple((clock(x.when), x.receipt_no, x.family_name, x.detail + (" (not sent yet)" if x.pending else ""),
                        x.staff_name, money(x.amount_cents)) for x in lines),
            widths=(0.09, 0.16, 0.15, 0.36, 0.12, 0.12), right=frozenset({5}),
            total=("", "", "", "", "Total", money(sum(x.amount_cents for x in lines))),
        ))  # fmt: skip
    if day.voided:
        tables.append(ReportTable(
            heading="Voided the same day (not counted)",
            columns=("Time", "Receipt", "Family", "Details", "Staff", "Amount"),
            rows=tuple((clock(x.when), x.receipt_no, x.family_name, x.detail, x.staff_name, money(x.amount_cents))
                       for x in day.voided),
            widths=(0.09, 0.16, 0.15, 0.36, 0.12, 0.12), right=frozenset({5}),
        ))  # fmt: skip
    return ReportDoc(
        title="End of day", business_name=business, subtitle=f"{day.location_name} · {_day(day.day)}",
        as_of=as_of, printed_at=printed_at, tables=tuple(tables), empty_text="No payments or refunds on this day.",
    )  # fmt: skip


def drawer_doc(counts: tuple[DrawerCountView, ...], location_name: str, day, business: str, as_of: str,
               printed_at: str, currency: str = "USD") -> ReportDoc:  # fmt: skip
    money = lambda c: format_money(c, currency)  # noqa: E731
    tables = []
    for c in counts:
        diff = "even" if c.difference_cents == 0 else (
            f"over {money(c.difference_cents)}" if c.difference_cents > 0 else f"short {money(-c.difference_cents)}")
        tables.append(ReportTable(
            heading=f"{c.staff_name} · {clock(c.period_start)} to {clock(c.period_end)}"
                    + (" (not sent yet)" if c.pending else ""),
            columns=("", "Amount"),
            rows=(("Opening float", money(c.opening_float_cents)), ("Cash expected", money(c.expected_cash_cents)),
                  ("Cash counted", money(c.counted_cash_cents)), ("Checks", money(c.expected_check_cents)),
                  ("Cards", money(c.expected_card_cents)), ("Card terminal", money(c.expected_terminal_cents))),
            widths=(0.7, 0.3), right=frozenset({1}), total=("Difference", diff),
            note=f"Counted at {clock(c.counted_at)}" + (f". Note: {c.note}" if c.note else ""),
        ))  # fmt: skip
    return ReportDoc(
        title="Cash drawer counts", business_name=business, subtitle=f"{location_name} · {_day(day)}",
        as_of=as_of, printed_at=printed_at, tables=tuple(tables), empty_text="No drawer was counted on this day.",
    )  # fmt: skip
