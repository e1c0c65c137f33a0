"""Printing a PDF on this computer's default printer (or the one chosen in settings), no dialog.

The one printing module that may import Qt (QtGui, QtPrintSupport: never widgets).

Two routes, the same PDF:
- spooler: where CUPS is present (Linux, macOS) the PDF goes to `lp` as it is (printing.spooler).
  CUPS rasterizes at the printer's own resolution, text stays text, the job stays small.
- qt: QPrinter + pdfium (pypdfium2). Each page is rendered at DPI (300: HighResolution's 1200 dpi made a 7.5 MB
  job for two pages) and painted onto the printer. This is the route where there is no `lp`
  (Windows), or when asked for.

Printing runs on one worker thread (`print_pdf_async`), in order, so the desk never waits on a
spooler; failures come back as printing.errors.PrintError with words for the desk.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
from dataclasses import dataclass
from typing import Literal

from printing import spooler
from printing.errors import PrintError, job_failed, no_printer, offline

log = logging.getLogger(__name__)

Route = Literal["auto", "spooler", "qt"]
DPI = 300
_executor = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="printing")


@dataclass(frozen=True)
class PrinterChoice:
    name: str
    is_default: bool
    ready: bool  # False: offline, paused or in error

    def label(self) -> str:
        marks = [" (default)" if self.is_default else "", "" if self.ready else " - offline"]
        return self.name + "".join(marks)


@dataclass(frozen=True)
class PrintedJob:
    printer: str
    route: Route
    job_id: str  # the spooler's id where it gives one ("PDF-12"), else ""


def list_printers() -> list[PrinterChoice]:
    """Printers this computer knows, the default first and marked."""
    found: list[PrinterChoice]
    if spooler.available():
        found = [PrinterChoice(p.name, p.is_default, p.enabled) for p in spooler.printers()]
    else:
        from PySide6.QtPrintSupport import QPrinter, QPrinterInfo

        bad = {QPrinter.PrinterState.Aborted, QPrinter.PrinterState.Error}
        found = [PrinterChoice(i.printerName(), i.isDefault(), i.state() not in bad)
                 for i in QPrinterInfo.availablePrinters()]
    return sorted(found, key=lambda p: (not p.is_default, p.name.casefold()))


def print_pdf(pdf: bytes, *, printer: str | None = None, title: str = "Frontdesk", route: Route = "auto") -> PrintedJob:
    """Print now, on this thread (use print_pdf_async from the desk). Raises PrintError."""
    if route == "spooler" or (route == "auto" and spooler.available()):
        name, job_id = spooler.submit(pdf, printer, title)
        return PrintedJob(name, "spooler", job_id)
    return _print_with_qt(pdf, printer, title)


async def print_pdf_async(pdf: bytes, *, printer: str | None = None, title: str = "Frontdesk",
                          route: Route = "auto") -> PrintedJob:
    """print_pdf on the printing thread: the event loop (and the desk) keeps going."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_executor, lambda: print_pdf(pdf, printer=printer, title=title, route=route))


def _print_with_qt(pdf: bytes, printer: str | None, title: str) -> PrintedJob:
    import pypdfium2 as pdfium
    from PySide6.QtCore import QMarginsF, QRect, QSizeF
    from PySide6.QtGui import QGuiApplication, QImage, QPageLayout, QPageSize, QPainter
    from PySide6.QtPrintSupport import QPrinter, QPrinterInfo

    if QGuiApplication.instance() is None:
        raise PrintError("Printing through Qt needs the desk app running.")  # a bug, not a desk problem
    info = QPrinterInfo.printerInfo(printer) if printer else QPrinterInfo.defaultPrinter()
    if info.isNull():
        raise no_printer(printer)
    name = info.printerName()
    if info.state() in (QPrinter.PrinterState.Aborted, QPrinter.PrinterState.Error):
        raise offline(name, f"Qt printer state {info.state().name}")

    try:
        doc = pdfium.PdfDocument(pdf)
    except pdfium.PdfiumError as exc:
        raise job_failed(name, f"pdfium could not read the document: {exc}") from None
    if len(doc) == 0:
        doc.close()
        raise job_failed(name, "the document has no pages")
    qprinter = QPrinter(info, QPrinter.PrinterMode.ScreenResolution)
    qprinter.setResolution(DPI)
    qprinter.setDocName(title)
    qprinter.setFullPage(True)
    first = QSizeF(*doc[0].get_size())
    qprinter.setPageSize(QPageSize(first, QPageSize.Unit.Point, "", QPageSize.SizeMatchPolicy.ExactMatch))
    qprinter.setPageMargins(QMarginsF(0, 0, 0, 0), QPageLayout.Unit.Point)
    painter = QPainter()
    if not painter.begin(qprinter):
        raise offline(name, "QPainter.begin failed on the printer")
    try:
        dpi = qprinter.resolution()
        for index in range(len(doc)):
            if index and not qprinter.newPage():
                raise job_failed(name, f"newPage failed at page {index + 1}")
            # RGB, no alpha: a receipt is ink on white paper.
            bitmap = doc[index].render(scale=dpi / 72, rev_byteorder=True)
            pixels = bytes(bitmap.buffer)  # kept alive while QImage borrows it
            image = QImage(pixels, bitmap.width, bitmap.height, bitmap.stride, QImage.Format.Format_RGB888)
            if image.isNull():
                raise job_failed(name, f"page {index + 1} rendered empty")
            painter.drawImage(QRect(0, 0, bitmap.width, bitmap.height), image)
    finally:
        ended = painter.end()
        doc.close()
    if not ended or qprinter.printerState() in (QPrinter.PrinterState.Aborted, QPrinter.PrinterState.Error):
        raise job_failed(name, f"printer state {qprinter.printerState().name}")
    return PrintedJob(name, "qt", "")
