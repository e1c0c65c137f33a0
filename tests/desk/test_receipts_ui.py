"""After a payment, the receipt question does what it says: a real print through CUPS on the
printer and paper of this desk's settings, or an email request queued for the server."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from desk.settings import DeskSettings
from tests.desk.desk_helpers import config_for, ops_done, signed_in_desk, until
from tests.desk.test_family_ui import a_family_that_owes, closed, open_family
from tests.printing import poppler

pytestmark = [pytest.mark.gui, pytest.mark.asyncio(loop_factories=["qasync"])]
CTRL = Qt.KeyboardModifier.ControlModifier


async def pay_cash(qtbot, screen, amount: str, receipt_key: Qt.Key):
    qtbot.keyClick(screen.search, Qt.Key.Key_P, CTRL)
    dialog = screen.dialog
    qtbot.keyClicks(dialog.amount, "\b" * 10 + amount)
    qtbot.keyClick(dialog.amount, Qt.Key.Key_Return)
    await ops_done()
    assert dialog.pages_stack.currentWidget() is dialog.done_page, dialog.problem.text()
    qtbot.keyClick(dialog.primary, receipt_key)
    qtbot.keyClick(dialog.primary, Qt.Key.Key_Return)
    await until(lambda: closed(dialog), what="the dialog closed")
    await ops_done()
    return screen.presenter.view.ledger[-1]


async def test_print_goes_to_the_chosen_printer_and_email_is_queued(qtbot, live_server, account, tmp_path,
                                                                    memory_keyring, cups_pdf):  # fmt: skip
    async with signed_in_desk(qtbot, config_for(live_server.url, account, tmp_path / "desk"), account["password"]) as (
        session, window,
    ):
        window.settings.save(DeskSettings(printer=cups_pdf.printer, receipt_layout="thermal"))
        view = a_family_that_owes(window, at_least=500)
        screen = open_family(qtbot, window, view.name, view.id)

        before = set(cups_pdf.out_dir.glob("*.pdf"))
        line = await pay_cash(qtbot, screen, "3", Qt.Key.Key_P)
        await until(lambda: "sent to the printer" in (window.toast.last_text or ""), timeout=30, what="printed")
        assert f"Receipt {line.receipt_no} sent to the printer {cups_pdf.printer}" in window.toast.last_text
        words = poppler.text(cups_pdf.newest_after(before))
        assert line.receipt_no in words and "$3.00" in words and f"{view.name} family" in words

        line = await pay_cash(qtbot, screen, "2", Qt.Key.Key_E)
        assert window.toast.last_text == f"Receipt {line.receipt_no} will be emailed to the family."
        [asked] = window.receipts.emails(line.id)
        assert asked.status == "queued" and asked.to_address
        await until(lambda: session.engine.status.pending == 0, what="the request sent to the server")

        # The Receipts tab says how the email went (the test server has no mail set up: it says so),
        # and prints a copy of the first receipt, marked as one.
        screen.tabs.setCurrentIndex(2)
        await until(lambda: (screen.refresh(), "Not sent" in (screen.receipts.item(0, 5).text() if screen.receipts.item(0, 5) else ""))[1],
                    timeout=20, what="the server's answer about the email")  # fmt: skip
        assert "Email is not set up on the server" in screen.receipts.item(0, 5).text()
        screen.receipts.selectRow(1)
        before = set(cups_pdf.out_dir.glob("*.pdf"))
        window.toast.last_text = ""
        screen.print_copy.click()
        await until(lambda: "sent to the printer" in (window.toast.last_text or ""), timeout=30, what="the copy printed")
        words = poppler.text(cups_pdf.newest_after(before))
        assert "COPY" in words and screen.receipts.item(1, 0).text() in words
