"""Receipts out of the desk: printed on this desk's printer and paper (desk.settings), off the UI thread.

Rendering (reportlab) and the print job both run on worker threads; a printer problem comes
back as words with what to do instead (email it, or print it again later from the family's
receipts), never as an exception in the screen.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from desk.settings import DeskSettings
from printing.errors import PrintError
from printing.printer import print_pdf_async
from printing.receipt import render_receipt
from sync.core.receipt_data import PaymentMethod, ReceiptData, ReceiptLine


@dataclass(frozen=True)
class PrintOutcome:
    ok: bool
    message: str


class ReceiptOutput:
    def __init__(self, settings: Callable[[], DeskSettings]):
        self._settings = settings  # read at each print: a printer changed in settings applies at once

    async def print(self, data: ReceiptData) -> PrintOutcome:
        settings = self._settings()
        pdf = await asyncio.to_thread(render_receipt, data, settings.receipt_layout)
        try:
            job = await print_pdf_async(pdf, printer=settings.printer, title=f"Receipt {data.receipt_number}")
        except PrintError as exc:
            return PrintOutcome(False, f"{exc.message} The payment is recorded: email the receipt, or print it "
                                       "again later from the family's receipts.")
        return PrintOutcome(True, f"Receipt {data.receipt_number} sent to the printer {job.printer}.")

    async def test_page(self, business_name: str = "Frontdesk") -> PrintOutcome:
        """A sample receipt on the chosen printer and paper: how staff check the set-up."""
        sample = ReceiptData(
            business_name=business_name, location_name="Printer test", location_address="",
            timezone="UTC", receipt_number="TEST", issued_at=dt.datetime.now(dt.UTC), staff_name="",
            family_name="Test page", lines=(ReceiptLine("If you can read this, receipts print here", 0),),
            method=PaymentMethod("cash"), balance_after_cents=0,
            footer_text="Nothing was charged. This is a printer test.",
        )  # fmt: skip
        return await self.print(sample)


class ReceiptSender:
    """What happens after "Print" or "Email" in the receipt question: words for the toast."""

    def __init__(self, receipts, output: ReceiptOutput):  # noqa: ANN001 - sync.receipt_desk.ReceiptDesk
        self.receipts = receipts
        self.output = output

    async def send(self, entry_id: str, choice: str, *, copy: bool = False) -> PrintOutcome:
        from sync.core.receipts import NoReceipt

        try:
            data = self.receipts.receipt(entry_id, copy=copy)
        except NoReceipt:
            return PrintOutcome(False, "This line has no receipt.")
        if choice == "email":
            await self.receipts.email(entry_id)  # RejectedError in words (no address) goes to show_error
            return PrintOutcome(True, f"Receipt {data.receipt_number} will be emailed to the family.")
        return await self.output.print(data)
