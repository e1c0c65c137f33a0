"""Fixtures for the printing tests: receipts to render, and a real CUPS printer (tests.printing.cups)."""

from __future__ import annotations

import datetime as dt
import io

import pytest  # noqa: F401

from sync.core.receipt_data import PaymentMethod, ReceiptData, ReceiptLine

# cups_pdf (a real CUPS daemon with a cups-pdf default printer) is in tests/conftest.py: the desk's
# tests print through it too.


def logo_png() -> bytes:
    from PIL import Image, ImageDraw  # Pillow comes with reportlab

    image = Image.new("RGB", (240, 80), "white")
    draw = ImageDraw.Draw(image)
    draw.ellipse((4, 4, 76, 76), fill="#0e7490")
    draw.rectangle((90, 28, 236, 52), fill="#f59e0b")
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def receipt(**changes) -> ReceiptData:  # noqa: ANN003 - any ReceiptData field
    base = dict(
        business_name="Springfield Gymnastics", location_name="Downtown",
        location_address="1200 Main St\nSpringfield, IL 62701", timezone="America/Chicago",
        receipt_number="DT-000123", issued_at=dt.datetime(2025, 3, 10, 22, 5),  # 5:05 PM CDT
        staff_name="Alex Kim", family_name="Lee",
        lines=(ReceiptLine("Level 2 Tumbling - March", 8500), ReceiptLine("Registration fee", 2500)),
        applied_to=(ReceiptLine("March tuition", 11000),),
        method=PaymentMethod("card", brand="Visa", last4="4242"), balance_after_cents=0,
        header_text="Thank you!", footer_text="Refunds within 30 days with this receipt.",
    )
    base.update(changes)
    return ReceiptData(**base)  # type: ignore[arg-type]
