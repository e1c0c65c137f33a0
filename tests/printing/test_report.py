"""Report PDFs: what they say, the "as of" on every page, progress and cancelling."""

from __future__ import annotations

import pytest
from reportlab.lib.pagesizes import A4, letter

from printing.fonts import fonts
from printing.report import ReportCancelled, ReportDoc, ReportTable, render_report
from tests.printing import poppler

AS_OF = "Data as of Mar 10, 2025 4:02 PM CDT (last sync); 3 changes made here not yet sent"


def table(heading: str, rows: int) -> ReportTable:
    return ReportTable(heading=heading, columns=("Date", "Student", "Present"),
                       rows=tuple((f"Mar {i % 28 + 1}, 2025", f"Student {i}", str(i)) for i in range(rows)),
                       widths=(0.3, 0.5, 0.2), right=frozenset({2}), total=("Total", "", str(sum(range(rows)))))


def doc(*tables: ReportTable, locale: str = "en_US") -> ReportDoc:
    return ReportDoc(title="Attendance by class", business_name="Springfield Gymnastics",
                     subtitle="Downtown · Mar 1, 2025 to Mar 31, 2025", as_of=AS_OF,
                     printed_at="Mar 10, 2025 5:00 PM CDT", tables=tables, locale=locale)


def test_a_long_report_has_its_as_of_time_on_every_page_and_reports_progress():
    seen: list[tuple[int, int]] = []
    pdf = render_report(doc(*(table(f"Class {n}", 40) for n in range(12))), progress=lambda d, t: seen.append((d, t)))
    info = poppler.info(pdf)
    assert info.pages >= 4 and (info.width, info.height) == pytest.approx(letter, abs=1)
    text = poppler.text(pdf)
    pages = text.split("\f")
    assert all(AS_OF[:40] in page for page in pages if page.strip())
    assert "Class 11" in text and "Student 39" in text and "780" in text  # the last table and its total
    assert seen == [(n, 12) for n in range(1, 13)]


def test_cancel_stops_the_layout():
    with pytest.raises(ReportCancelled):
        render_report(doc(*(table(f"Class {n}", 5) for n in range(5))), cancelled=lambda: True)


def test_an_empty_report_says_so_and_a4_by_locale():
    pdf = render_report(doc(locale="de_DE"))
    assert "Nothing to report" in poppler.text(pdf)
    assert (poppler.info(pdf).width, poppler.info(pdf).height) == pytest.approx(A4, abs=1)


def test_non_ascii_names_in_a_report():
    if not fonts().unicode:
        pytest.skip("DejaVu fonts are not installed (apt-get install fonts-dejavu-core)")
    t = ReportTable(heading="Zoë Müller (Müller family)", columns=("Date", "Class"),
                    rows=(("Mar 10, 2025", "Ωμέγα Tumbling"), ("Mar 11, 2025", "Жанна's Ninja")), widths=(0.4, 0.6))
    text = poppler.text(render_report(doc(t)), layout=False)
    assert "Zoë Müller" in text and "Ωμέγα" in text and "Жанна" in text
