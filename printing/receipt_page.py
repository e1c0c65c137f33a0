"""The full-page receipt (letter or A4), laid out with reportlab's platypus."""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from printing.fonts import fonts
from printing.money import balance_words, format_money  # one wording for both layouts
from printing.page import page_size_for
from sync.core.receipt_data import ReceiptData
from printing.text_fit import printable

INK = colors.HexColor("#1f2937")
MUTED = colors.HexColor("#6b7280")
RULE = colors.HexColor("#d1d5db")


def _styles() -> dict[str, ParagraphStyle]:
    f = fonts()
    base = ParagraphStyle("base", fontName=f.sans, fontSize=10, leading=13, textColor=INK)
    return {
        "base": base,
        "title": ParagraphStyle("title", base, fontName=f.sans_bold, fontSize=18, leading=22),
        "muted": ParagraphStyle("muted", base, textColor=MUTED, fontSize=9, leading=12),
        "mark": ParagraphStyle("mark", base, fontName=f.sans_bold, fontSize=12, alignment=TA_CENTER,
                               textColor=colors.HexColor("#b91c1c")),
        "right": ParagraphStyle("right", base, alignment=TA_RIGHT),
        "bold": ParagraphStyle("bold", base, fontName=f.sans_bold),
        "indent": ParagraphStyle("indent", base, leftIndent=6 * mm),
        "bold_right": ParagraphStyle("bold_right", base, fontName=f.sans_bold, alignment=TA_RIGHT),
    }


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(printable(text)).replace("\n", "<br/>"), style)


def render_page_receipt(data: ReceiptData) -> bytes:
    st = _styles()
    money = lambda cents: format_money(cents, data.currency)  # noqa: E731
    page = page_size_for(data.locale)
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=page, leftMargin=20 * mm, rightMargin=20 * mm, topMargin=18 * mm,
                            bottomMargin=18 * mm, title=f"Receipt {data.receipt_number}", author=data.business_name,
                            invariant=True)
    width = page[0] - 40 * mm
    story: list = []
    head = [_p(data.business_name, st["title"]), _p(data.location_name, st["base"]),
            _p(data.location_address, st["muted"])]
    if data.logo_png:
        logo = Image(io.BytesIO(data.logo_png))
        logo._restrictSize(45 * mm, 22 * mm)
        story.append(Table([[head, logo]], colWidths=[width - 50 * mm, 50 * mm],
                           style=[("VALIGN", (0, 0), (-1, -1), "TOP"), ("ALIGN", (1, 0), (1, 0), "RIGHT")]))
    else:
        story += head
    if data.header_text:
        story += [Spacer(1, 4 * mm), _p(data.header_text, st["base"])]
    story.append(Spacer(1, 6 * mm))
    for shown, words in ((data.copy, "COPY"), (data.pending_sync, "PENDING SYNC - recorded offline")):
        if shown:
            story.append(_p(words, st["mark"]))
    facts = [("Receipt", data.receipt_number), ("Date", data.when_text()), ("Staff", data.staff_name),
             ("Family", data.family_name), ("Paid by", data.method.text())]
    story.append(Table([[_p(k, st["muted"]), _p(v, st["bold"] if k == "Receipt" else st["base"])] for k, v in facts],
                       colWidths=[30 * mm, width - 30 * mm],
                       style=[("LEFTPADDING", (0, 0), (-1, -1), 0), ("BOTTOMPADDING", (0, 0), (-1, -1), 2)]))
    story.append(Spacer(1, 6 * mm))
    rows = [[_p("Description", st["bold"]), _p("Amount", st["bold_right"])]]
    rows += [[_p(item.description, st["base"]), _p(money(item.amount_cents), st["right"])] for item in data.lines]
    rows.append([_p("Total", st["bold"]), _p(money(data.total_cents), st["bold_right"])])
    if data.applied_to:
        rows.append([_p("Applied to", st["muted"]), ""])
        rows += [[_p(a.description, st["indent"]), _p(money(a.amount_cents), st["right"])] for a in data.applied_to]
    if data.tendered_cents is not None:
        rows.append([_p("Cash tendered", st["base"]), _p(money(data.tendered_cents), st["right"])])
        rows.append([_p("Change", st["base"]), _p(money(data.change_cents or 0), st["right"])])
    words, amount = balance_words(data.balance_after_cents, data.currency)
    rows.append([_p(words, st["bold"]), _p(amount, st["bold_right"])])
    total_row = 1 + len(data.lines)
    story.append(Table(rows, colWidths=[width - 40 * mm, 40 * mm], repeatRows=1, style=TableStyle([
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, INK),
        ("LINEABOVE", (0, total_row), (-1, total_row), 0.8, INK),
        ("LINEABOVE", (0, -1), (-1, -1), 0.5, RULE),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("RIGHTPADDING", (0, 0), (-1, -1), 0),
    ])))
    if data.footer_text:
        story += [Spacer(1, 8 * mm), _p(data.footer_text, st["muted"])]
    doc.build(story)
    return buf.getvalue()
