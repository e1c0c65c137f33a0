"""Printing through the app's own print path onto a real CUPS server's cups-pdf printer.

Without CUPS this module is skipped with the reason; with CI=true it fails instead.
"""

from __future__ import annotations

import asyncio
import subprocess

import pytest

from printing import spooler
from printing.errors import NoPrinterError, PrinterOfflineError
from printing.printer import list_printers, print_pdf, print_pdf_async
from printing.receipt import PAPER_WIDTH, PRINTABLE_WIDTH, render_receipt
from sync.core.receipt_data import ReceiptLine
from tests.printing import poppler
from tests.printing.conftest import receipt
from tests.printing.cups import CupsPdf

pytestmark = pytest.mark.slow
MARGIN = (PAPER_WIDTH - PRINTABLE_WIDTH) / 2
CARD = "4242424242424242"


def test_the_cups_pdf_printer_is_listed_as_the_default(cups_pdf: CupsPdf):
    printers = list_printers()
    assert printers[0].name == cups_pdf.printer and printers[0].is_default and printers[0].ready
    assert printers[0].label() == f"{cups_pdf.printer} (default)"


def test_a_receipt_printed_on_the_default_printer_arrives_as_it_was_made(cups_pdf: CupsPdf):
    data = receipt(receipt_number="DT-PRINT-0042", family_name="Featherstonehaugh-Cholmondeley " * 3,
                   lines=(ReceiptLine("Level 2 Tumbling - March tuition for two children, billed monthly", 8500),
                          ReceiptLine("Registration fee", 2500)))
    job = asyncio.run(print_pdf_async(render_receipt(data, "thermal"), title="Receipt DT-PRINT-0042"))
    assert (job.printer, job.route) == (cups_pdf.printer, "spooler") and job.job_id
    out = cups_pdf.wait_for_job(job.job_id)
    text = poppler.text(out)
    assert "DT-PRINT-0042" in text
    assert "$110.00" in text
    assert "Visa **** 4242" in text and CARD not in text
    page = poppler.info(out)
    assert page.pages == 1 and page.width == pytest.approx(PAPER_WIDTH, abs=1.5), "printed on 80 mm paper"
    wide = [w for w in poppler.words(out) if w.x_min < MARGIN - 1 or w.x_max > PAPER_WIDTH - MARGIN + 1]
    assert not wide, f"text outside the 72 mm printable width: {wide[:5]}"


def test_the_qt_route_renders_pages_onto_the_printer(cups_pdf: CupsPdf, qapp):  # noqa: ANN001 - pytest-qt
    before = set(cups_pdf.out_dir.glob("*.pdf"))
    pdf = render_receipt(receipt(lines=tuple(ReceiptLine(f"Item {i}", 100) for i in range(90))), "page")
    pages = poppler.info(pdf).pages
    job = print_pdf(pdf, title="Qt route", route="qt")
    assert (job.printer, job.route) == (cups_pdf.printer, "qt")
    out = cups_pdf.newest_after(before)
    printed = poppler.info(out)
    assert printed.pages == pages >= 2
    made = poppler.info(pdf)
    assert (printed.width, printed.height) == pytest.approx((made.width, made.height), abs=2)


@pytest.mark.parametrize("route", ["spooler", "qt"])
def test_an_offline_printer_and_an_unknown_one_are_said_in_words(cups_pdf: CupsPdf, qapp, route: str):  # noqa: ANN001
    pdf = render_receipt(receipt(), "thermal")
    with pytest.raises(NoPrinterError) as unknown:
        print_pdf(pdf, printer="Front-Desk-Thermal-Nowhere", route=route)  # type: ignore[arg-type]
    assert "not set up on this computer" in unknown.value.message
    subprocess.run(["cupsdisable", cups_pdf.printer], check=True, timeout=30)
    try:
        with pytest.raises(PrinterOfflineError) as off:
            print_pdf(pdf, route=route)  # type: ignore[arg-type]
        assert "offline" in off.value.message and "print again" in off.value.message
        assert not list_printers()[0].ready
    finally:
        subprocess.run(["cupsenable", cups_pdf.printer], check=True, timeout=30)


def test_the_spooler_reads_each_pdf_page_size(cups_pdf: CupsPdf):
    size = spooler.page_size(render_receipt(receipt(), "thermal"))
    assert size is not None and size[0] == pytest.approx(PAPER_WIDTH, abs=0.01)
