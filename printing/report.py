"""Reports as PDF: a title, how current the data is, and tables (reportlab platypus).

The renderer knows nothing of attendance or families: the desk turns a sync.reports answer into a
`ReportDoc` of strings, and this lays it out on letter or A4 with the data's "as of" time on every
page. Long reports call `progress(done, total)` section by section and stop when `cancelled()`
says so.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from reportlab.platypus.flowables import Flowable

from printing.fonts import fonts
from printing.page import page_size_for
from printing.text_fit import printable

INK = colors.HexColor("#1f2937")
MUTED = colors.HexColor("#6b7280")
BAND = colors.HexColor("#f3f4f6")


class ReportCancelled(Exception):
    """Staff cancelled the report while it was being made."""


@dataclass(frozen=True)
class ReportTable:
    heading: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    widths: tuple[float, ...]  # fractions of the text width, one per column
    right: frozenset[int] = frozenset()  # columns aligned right (numbers)
    total: tuple[str, ...] | None = None  # a bold last row
    note: str = ""


@dataclass(frozen=True)
class ReportDoc:
    title: str
    business_name: str
    subtitle: str  # "Downtown · Mar 1 - Mar 31, 2025"
    as_of: str  # "Data as of Mar 31, 2025 4:02 PM CDT (last sync); 2 changes not yet sent"
    printed_at: str
    tables: tuple[ReportTable, ...]
    locale: str = "en_US"
    empty_text: str = "Nothing to report for this period."


class _Section(Paragraph):
    """A section heading: platypus tells us when it is laid out, which is our progress."""


def render_report(doc: ReportDoc, progress: Callable[[int, int], None] | None = None,
                  cancelled: Callable[[], bool] | None = None) -> bytes:
    f = fonts()
    base = ParagraphStyle("base", fontName=f.sans, fontSize=9, leading=11.5, textColor=INK)
    styles = {
        "title": ParagraphStyle("title", base, fontName=f.sans_bold, fontSize=16, leading=20),
        "sub": ParagraphStyle("sub", base, fontSize=10.5, leading=14),
        "muted": ParagraphStyle("muted", base, textColor=MUTED),
        "h": ParagraphStyle("h", base, fontName=f.sans_bold, fontSize=11, leading=14, spaceBefore=6, spaceAfter=3),
        "cell": base,
        "head": ParagraphStyle("head", base, fontName=f.sans_bold),
        "bold": ParagraphStyle("bold", base, fontName=f.sans_bold),
    }
    right = {k: ParagraphStyle(k + "_r", v, alignment=2) for k, v in styles.items()}
    page = page_size_for(doc.locale)
    buf = io.BytesIO()
    total = len(doc.tables)
    done = [0]

    def after(flowable: Flowable) -> None:
        if isinstance(flowable, _Section):
            done[0] += 1
            if cancelled is not None and cancelled():
                raise ReportCancelled()
            if progress is not None:
                progress(done[0], total)

    def footer(canvas, template) -> None:  # noqa: ANN001 - reportlab's callback signature
        canvas.saveState()
        canvas.setFont(f.sans, 7.5)
        canvas.setFillColor(MUTED)
        # Two lines, so a long "as of" never runs into the page number.
        canvas.drawString(18 * mm, 12.5 * mm, printable(doc.as_of))
        canvas.drawString(18 * mm, 9 * mm, printable(f"{doc.business_name} · {doc.title}"))
        canvas.drawRightString(page[0] - 18 * mm, 9 * mm, f"Page {canvas.getPageNumber()}")
        canvas.restoreState()

    template = SimpleDocTemplate(buf, pagesize=page, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=16 * mm,
                                 bottomMargin=18 * mm, title=doc.title, author=doc.business_name, invariant=True)
    template.afterFlowable = after  # type: ignore[method-assign]
    width = page[0] - 36 * mm

    def p(text: str, style: str, align_right: bool = False) -> Paragraph:
        return Paragraph(escape(printable(text)), (right if align_right else styles)[style])

    story: list[Flowable] = [p(doc.business_name, "muted"), p(doc.title, "title"), p(doc.subtitle, "sub"),
                             p(doc.as_of, "muted"), p(f"Printed {doc.printed_at}", "muted"), Spacer(1, 5 * mm)]
    if not doc.tables:
        story.append(p(doc.empty_text, "sub"))
    for table in doc.tables:
        story.append(_Section(escape(printable(table.heading)), styles["h"]))
        if table.note:
            story.append(p(table.note, "muted"))
        rows = [[p(c, "head", i in table.right) for i, c in enumerate(table.columns)]]
        rows += [[p(c, "cell", i in table.right) for i, c in enumerate(row)] for row in table.rows]
        if table.total:
            rows.append([p(c, "bold", i in table.right) for i, c in enumerate(table.total)])
        style = [("LINEBELOW", (0, 0), (-1, 0), 0.8, INK), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                 ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2)]
        style += [("BACKGROUND", (0, i), (-1, i), BAND) for i in range(2, len(rows), 2)]
        if table.total:
            style.append(("LINEABOVE", (0, -1), (-1, -1), 0.8, INK))
        story += [Table(rows, colWidths=[w * width for w in table.widths], repeatRows=1, style=TableStyle(style)),
                  Spacer(1, 4 * mm)]
    template.build(story, onFirstPage=footer, onLaterPages=footer)
    return buf.getvalue()
