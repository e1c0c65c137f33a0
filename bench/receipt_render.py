"""Receipt render time, and the time to hand a print job to the spooler.

Render: the thermal and full-page receipts of a typical payment (3 items) and of a long one (60
items), against a baseline measured in the same run: a bare reportlab page with one line of text
(what any PDF costs before our layout). Spooler: printing.printer.print_pdf (which checks the
printer is there and ready, then calls `lp`) against a bare `lp` of the same PDF; and the Qt route
(pdfium pages at 300 dpi onto a QPrinter). Needs a default printer for the spooler part (CUPS with
cups-pdf, as in tests/printing/cups.py); without one it says so and skips that part.

Goal: a receipt renders in well under 100 ms and reaches the spooler in well under a second, so
printing feels instant at the desk.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import statistics
import subprocess
import time
from collections.abc import Callable

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from reportlab.pdfgen.canvas import Canvas  # noqa: E402

from printing import spooler  # noqa: E402
from printing.receipt import render_receipt  # noqa: E402
from sync.core.receipt_data import PaymentMethod, ReceiptData, ReceiptLine  # noqa: E402


def receipt(items: int) -> ReceiptData:
    return ReceiptData(
        business_name="Springfield Gymnastics", location_name="Downtown", location_address="1200 Main St\nSpringfield, IL",
        timezone="America/Chicago", receipt_number="DT-000123", issued_at=dt.datetime(2025, 3, 10, 22, 5),
        staff_name="Alex Kim", family_name="Nguyễn", method=PaymentMethod("card", brand="Visa", last4="4242"),
        lines=tuple(ReceiptLine(f"Level {i % 5} Tumbling - March tuition", 8500 + i) for i in range(items)),
        balance_after_cents=0, header_text="Thank you!", footer_text="Refunds within 30 days.",
    )


def bare_pdf() -> bytes:
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=(226.8, 300))
    canvas.drawString(10, 280, "DT-000123 $85.00")
    canvas.showPage()
    canvas.save()
    return out.getvalue()


def timed(work: Callable[[], object], runs: int) -> tuple[float, float]:
    """(median, max) in milliseconds."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), max(times)


def run() -> None:
    print("== receipt render (printing.receipt) ==")
    render_receipt(receipt(3))  # fonts registered once, outside the timing
    base, base_max = timed(bare_pdf, 50)
    print(f"baseline bare reportlab page: median {base:.2f} ms (max {base_max:.2f})")
    for items in (3, 60):
        for layout in ("thermal", "page"):
            data = receipt(items)
            median, worst = timed(lambda: render_receipt(data, layout), 30)  # type: ignore[arg-type]  # noqa: B023
            print(f"{layout:7} receipt, {items:2} items: median {median:6.2f} ms (max {worst:6.2f}), "
                  f"{median / base:5.1f}x baseline")
    print("== hand the job to the spooler (printing.printer) ==")
    if not spooler.available() or not spooler.default_printer():
        print("skipped: no spooler with a default printer here (start CUPS and add cups-pdf, see DESIGN.md)")
        return
    from printing.printer import print_pdf

    pdf = render_receipt(receipt(3))
    lp, lp_max = timed(lambda: subprocess.run(["lp", "-t", "bench", "-"], input=pdf, capture_output=True, check=True), 5)
    ours, ours_max = timed(lambda: print_pdf(pdf, title="bench"), 5)
    print(f"baseline bare lp: median {lp:.1f} ms (max {lp_max:.1f})")
    print(f"print_pdf via spooler: median {ours:.1f} ms (max {ours_max:.1f}), {ours / lp:.1f}x bare lp")
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance() or QGuiApplication([])  # noqa: F841 - Qt printing needs the app
    qt, qt_max = timed(lambda: print_pdf(pdf, title="bench qt", route="qt"), 5)
    print(f"print_pdf via Qt (300 dpi raster): median {qt:.1f} ms (max {qt_max:.1f}), {qt / lp:.1f}x bare lp")


if __name__ == "__main__":
    run()
