"""Receipts as PDF (reportlab), in the two layouts front desks print.

- thermal: 80 mm roll, 72 mm printable, a monospaced font sized for COLUMNS characters, and a page
  exactly as long as its content (a thermal printer cuts after the last line).
- page: letter or A4 (by the location's locale), for desks with an office printer, and for email.

    pdf = render_receipt(data, "thermal")   # bytes of a PDF
"""

from __future__ import annotations

import io

from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from printing.fonts import fonts
from printing.money import balance_words, format_money
from printing.page import page_size_for
from sync.core.receipt_data import Layout, ReceiptData
from printing.receipt_page import render_page_receipt
from printing.text_fit import center, pair, wrap

PAPER_WIDTH = 80 * mm
PRINTABLE_WIDTH = 72 * mm
COLUMNS = 44  # within the 42-48 a thermal head prints legibly at 72 mm
LOGO_MAX = (40 * mm, 18 * mm)


def receipt_lines(data: ReceiptData, width: int = COLUMNS) -> list[tuple[str, bool]]:
    """The receipt as (line, bold) pairs of at most `width` characters: the thermal layout's text."""
    money = lambda cents: format_money(cents, data.currency)  # noqa: E731
    rule, thin = "=" * width, "-" * width
    out: list[tuple[str, bool]] = [(line, True) for line in center(data.business_name, width)]
    for text in (data.location_name, data.location_address, data.header_text):
        if text:
            out += [(line, False) for line in center(text, width)]
    out.append((rule, False))
    if data.copy:
        out += [(line, True) for line in center("*** COPY ***", width)]
    if data.pending_sync:
        out += [(line, True) for line in center("*** PENDING SYNC - recorded offline ***", width)]
    for name, value in (("Receipt", data.receipt_number), ("Date", data.when_text()),
                        ("Staff", data.staff_name), ("Family", data.family_name)):
        out += [(line, name == "Receipt") for line in _field(name, value, width)]
    out.append((thin, False))
    for item in data.lines:
        out += [(line, False) for line in pair(item.description, money(item.amount_cents), width)]
    out.append((thin, False))
    out += [(line, True) for line in pair("TOTAL", money(data.total_cents), width)]
    if data.applied_to:
        out.append(("Applied to:", False))
        for item in data.applied_to:
            out += [(line, False) for line in pair(item.description, money(item.amount_cents), width, indent=2)]
    out += [(line, False) for line in _field("Paid by", data.method.text(), width)]
    if data.tendered_cents is not None:
        out += [(line, False) for line in pair("Tendered", money(data.tendered_cents), width)]
        out += [(line, False) for line in pair("Change", money(data.change_cents or 0), width)]
    words, amount = balance_words(data.balance_after_cents, data.currency)
    out += [(line, True) for line in pair(words, amount, width)]
    if data.footer_text:
        out.append((thin, False))
        out += [(line, False) for line in center(data.footer_text, width)]
    return out


def _field(name: str, value: str, width: int) -> list[str]:
    label = f"{name}:".ljust(9)
    lines = wrap(value, width - len(label))
    return [label + lines[0]] + [" " * len(label) + rest for rest in lines[1:]]


def render_receipt(data: ReceiptData, layout: Layout = "thermal") -> bytes:
    if layout == "thermal":
        return _thermal(data)
    if layout == "page":
        return render_page_receipt(data)
    raise ValueError(f"unknown receipt layout {layout!r}")


def _thermal(data: ReceiptData) -> bytes:
    f = fonts()
    size = PRINTABLE_WIDTH / (COLUMNS * stringWidth("M", f.mono, 1))
    leading = size * 1.25
    lines = receipt_lines(data)
    logo, logo_w, logo_h = _logo(data.logo_png)
    margin_x = (PAPER_WIDTH - PRINTABLE_WIDTH) / 2
    top, bottom = 5 * mm, 8 * mm  # the bottom leaves room above the cutter
    height = top + (logo_h + 3 * mm if logo else 0) + len(lines) * leading + bottom
    buf = io.BytesIO()
    canvas = Canvas(buf, pagesize=(PAPER_WIDTH, height), invariant=True)
    canvas.setTitle(f"Receipt {data.receipt_number}")
    canvas.setAuthor(data.business_name)
    y = height - top
    if logo:
        canvas.drawImage(logo, (PAPER_WIDTH - logo_w) / 2, y - logo_h, logo_w, logo_h, mask="auto")
        y -= logo_h + 3 * mm
    cell = PRINTABLE_WIDTH / COLUMNS
    for text, bold in lines:
        y -= leading
        for column, run, in_mono in _runs(text, f.mono):
            face = (f.mono_bold if bold else f.mono) if in_mono else (f.sans_bold if bold else f.sans)
            canvas.setFont(face, size)
            canvas.drawString(margin_x + column * cell, y + (leading - size) / 2, run)
    canvas.showPage()
    canvas.save()
    return buf.getvalue()


def _runs(text: str, mono: str) -> list[tuple[int, str, bool]]:
    """Split a line into (column, text, in the mono font) runs: a letter the monospaced font lacks
    (Vietnamese "ễ" in DejaVu Sans Mono) is drawn from the sans font in its own cell, so it prints
    and the columns stay put."""
    face = getattr(pdfmetrics.getFont(mono), "face", None)
    cmap = getattr(face, "charToGlyph", None)
    if cmap is None:
        return [(0, text, True)]
    runs: list[tuple[int, str, bool]] = []
    for column, char in enumerate(text):
        covered = ord(char) in cmap or char == " "
        if runs and runs[-1][2] == covered and covered:
            start, run, _ = runs[-1]
            runs[-1] = (start, run + char, True)
        else:
            runs.append((column, char, covered))
    return runs


def _logo(png: bytes | None) -> tuple[ImageReader | None, float, float]:
    if not png:
        return None, 0.0, 0.0
    image = ImageReader(io.BytesIO(png))
    w, h = image.getSize()
    scale = min(LOGO_MAX[0] / w, LOGO_MAX[1] / h)
    return image, w * scale, h * scale


__all__ = ["COLUMNS", "PRINTABLE_WIDTH", "balance_words", "page_size_for", "receipt_lines", "render_receipt"]
