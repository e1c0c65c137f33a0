"""Printing failures, in words for the person at the desk, each with what to do next.

A failed print never loses the receipt: the screen offers to save it as a PDF (or email it, once
the server sends email) and to print it again later.
"""

from __future__ import annotations


class PrintError(Exception):
    """A print that did not happen. `message` is said to staff as it is."""

    title = "Could not print"

    def __init__(self, message: str, *, printer: str | None = None, detail: str = ""):
        super().__init__(message)
        self.message = message
        self.printer = printer
        self.detail = detail  # the spooler's own words, for the log, never shown as the message


class NoPrinterError(PrintError):
    title = "No printer"


class PrinterOfflineError(PrintError):
    title = "Printer offline"


class PrintJobFailed(PrintError):
    title = "Printing failed"


def no_printer(name: str | None) -> NoPrinterError:
    if name:
        return NoPrinterError(
            f'The printer "{name}" is not set up on this computer. Choose another printer in Settings, '
            "or save the receipt as a PDF and print it later.", printer=name)
    return NoPrinterError(
        "This computer has no default printer. Set one up (or choose one in Settings), "
        "or save the receipt as a PDF and print it later.")


def offline(name: str, detail: str = "") -> PrinterOfflineError:
    return PrinterOfflineError(
        f'The printer "{name}" is offline or paused. Check that it is on, has paper and is connected, '
        "then print again.", printer=name, detail=detail)


def job_failed(name: str, detail: str = "") -> PrintJobFailed:
    return PrintJobFailed(
        f'The printer "{name}" did not take the job. Try again; if it keeps failing, save the receipt '
        "as a PDF and print it from another computer.", printer=name, detail=detail)
