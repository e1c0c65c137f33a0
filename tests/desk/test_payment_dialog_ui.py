"""Card payments in the take-payment dialog on the real stack: a swiped card (a keyboard-mode
swiper's burst, anywhere in the app), a keyed card, a decline, and no connection.

The server's sandbox gateway answers like a real one for test numbers (tests/fixtures/cards.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from desk.widgets.payment_dialog import PaymentDialog
from sync.money_desk import NO_CONNECTION_FOR_CARD
from tests.desk.desk_helpers import config_for, ops_done, signed_in_desk, until
from tests.desk.test_family_ui import CTRL, a_family_that_owes, closed, ledger_texts, open_family
from tests.fixtures import cards as tc
from tests.helpers.keys import type_text

pytestmark = [pytest.mark.gui, pytest.mark.asyncio(loop_factories=["qasync"])]
SWIPER_GAP_MS = 3


def cents_text(cents: int) -> str:
    return f"${cents // 100:,}.{cents % 100:02d}"


async def open_payment(qtbot, window, at_least: int = 1000) -> tuple[object, PaymentDialog, object]:
    view = a_family_that_owes(window, at_least)
    screen = open_family(qtbot, window, view.name, view.id)
    qtbot.keyClick(screen.search, Qt.Key.Key_P, CTRL)
    dialog = screen.dialog
    assert isinstance(dialog, PaymentDialog) and dialog.isVisible()
    await until(dialog.amount.hasFocus, what="the payment dialog active with the amount ready")
    qtbot.keyClicks(dialog.amount, "\b" * 10 + "10")  # $10.00
    return screen, dialog, view


def key_card(qtbot, dialog: PaymentDialog, number: str, expiry: str = "12/39", cvc: str = "123") -> None:
    assert dialog.choose_method("card_keyed")
    qtbot.keyClicks(dialog.card_number, number)
    qtbot.keyClicks(dialog.expiry, expiry)
    qtbot.keyClicks(dialog.cvc, cvc)


def files_under(*roots: Path) -> list[Path]:
    return [p for root in roots for p in root.rglob("*") if p.is_file()]


async def test_a_swiped_card_is_routed_to_the_open_dialog_and_charged_with_enter(
    qtbot, live_server, account, tmp_path, memory_keyring,
):
    async with signed_in_desk(qtbot, config_for(live_server.url, account, tmp_path / "desk"), account["password"]) as (
        session, window,
    ):
        screen, dialog, view = await open_payment(qtbot, window)
        rows = screen.ledger.rowCount()

        # A chip card: read, with a warning that the bank may decline a swipe.
        type_text(tc.magtek(tc.MASTERCARD, service="201"), gap_ms=SWIPER_GAP_MS)
        # Said once the track gap after the Enter has passed with no further track.
        await until(lambda: dialog.swipe_prompt.text().startswith("Mastercard"), what="the swipe read")
        assert dialog.current_method() == "card_swipe"
        assert dialog.swipe_prompt.text().startswith("Mastercard ending 4444 is read") and "chip" in dialog.swipe_prompt.text()
        assert dialog.amount.text() == "10"  # the swipe's keys went nowhere
        # Another card swiped instead: the last one swiped is the one charged.
        type_text(tc.magtek(tc.VISA), gap_ms=SWIPER_GAP_MS)
        await until(lambda: dialog.swipe_prompt.text().startswith("Visa ending 1111 is read"), what="the second card")
        assert dialog.swipe_prompt.property("tone") == "ok"
        qtbot.keyClick(dialog.primary, Qt.Key.Key_Return)
        await ops_done()
        assert dialog.pages_stack.currentWidget() is dialog.done_page, dialog.problem.text()
        assert dialog.outcome.text().startswith("Approved: $10.00 on Visa **** 1111")
        assert dialog.receipt_buttons["print"].isChecked()
        qtbot.keyClick(dialog.primary, Qt.Key.Key_N)  # no receipt (a test prints nothing)
        assert screen.ledger.rowCount() == rows + 1
        last = ledger_texts(screen)[-1]
        assert "1111" in last[2] and last[3] == "-$10.00" and "not sent yet" not in last[1]
        assert screen.balance.text() == f"Balance due {cents_text(view.due_cents - 1000)}" or view.due_cents == 1000
        qtbot.keyClick(dialog.primary, Qt.Key.Key_Return)
        await until(lambda: closed(dialog), what="the dialog closed")
        await until(screen.search.hasFocus, what="the desk active again")

        # With the family still open, a card swiped opens the payment for it, the card already in.
        type_text(tc.magtek(tc.VISA), gap_ms=SWIPER_GAP_MS)
        await until(lambda: screen.dialog is not None and screen.dialog is not dialog, what="a new payment dialog")
        again = screen.dialog
        assert again is not dialog and isinstance(again, PaymentDialog) and again.isVisible()
        assert again.current_method() == "card_swipe" and again.swipe_prompt.text().startswith("Visa ending 1111 is read")
        qtbot.keyClick(again, Qt.Key.Key_Escape)  # not this time: nothing is charged
        await until(lambda: closed(again), what="the second dialog closed")
        assert screen.ledger.rowCount() == rows + 1
        await until(lambda: QApplication.focusWidget() is not None, what="the desk active again")

        # With no family in view (check-in, nobody picked), a payment card is only said.
        qtbot.keyClick(window, Qt.Key.Key_F1)
        type_text(tc.magtek(tc.VISA), gap_ms=SWIPER_GAP_MS)
        await until(lambda: "payment card" in window.toast.last_text, what="the payment card named")
        await until(lambda: session.engine.status.pending == 0, what="all sent")

    secrets = {tc.VISA, tc.MASTERCARD, tc.VISA[6:12]}
    found = {(str(f), s) for f in files_under(tmp_path / "desk", account["data_dir"]) for s in secrets
             if s.encode() in f.read_bytes()}
    assert found == set()


async def test_a_keyed_card_is_approved_and_its_fields_are_cleared(qtbot, live_server, account, tmp_path, memory_keyring):
    async with signed_in_desk(qtbot, config_for(live_server.url, account, tmp_path / "desk"), account["password"]) as (
        _session, window,
    ):
        screen, dialog, _view = await open_payment(qtbot, window)
        key_card(qtbot, dialog, "4242 4242 4242 4242")
        assert dialog.card_number.echoMode() == dialog.card_number.EchoMode.PasswordEchoOnEdit
        assert dialog.primary.text() == "Charge $10.00"
        qtbot.keyClick(dialog.cvc, Qt.Key.Key_Return)
        await ops_done()
        assert dialog.pages_stack.currentWidget() is dialog.done_page, dialog.problem.text()
        assert dialog.outcome.text().startswith("Approved: $10.00 on Visa **** 4242")
        assert (dialog.card_number.text(), dialog.expiry.text(), dialog.cvc.text()) == ("", "", "")
        assert "4242" in ledger_texts(screen)[-1][2]


async def test_a_declined_card_says_why_and_records_nothing(qtbot, live_server, account, tmp_path, memory_keyring):
    async with signed_in_desk(qtbot, config_for(live_server.url, account, tmp_path / "desk"), account["password"]) as (
        session, window,
    ):
        screen, dialog, view = await open_payment(qtbot, window)
        rows, pending = screen.ledger.rowCount(), session.store.pending_count()
        key_card(qtbot, dialog, tc.DECLINE_GENERIC)
        qtbot.keyClick(dialog.cvc, Qt.Key.Key_Return)
        await ops_done()
        assert dialog.isVisible() and dialog.pages_stack.currentWidget() is dialog.form_page
        assert dialog.problem.text().startswith("Declined: ") and dialog.problem.isVisible()
        assert (dialog.card_number.text(), dialog.cvc.text()) == ("", "")  # typed again for another card
        assert dialog.primary.isEnabled() and dialog.cancel.isEnabled()
        assert screen.ledger.rowCount() == rows and session.store.pending_count() == pending
        assert window.money.family(view.id, window.location.id).balance_cents == view.balance_cents

        # Then cash instead, in the same dialog.
        assert dialog.choose_method("cash")
        qtbot.keyClick(dialog.amount, Qt.Key.Key_Return)
        await ops_done()
        assert dialog.pages_stack.currentWidget() is dialog.done_page, dialog.problem.text()
        assert screen.ledger.rowCount() == rows + 1


async def test_a_card_with_no_connection_is_refused_with_words_and_cash_still_works(
    qtbot, live_server, account, tmp_path, memory_keyring,
):
    async with signed_in_desk(qtbot, config_for(live_server.url, account, tmp_path / "desk"), account["password"]) as (
        session, window,
    ):
        screen, dialog, _view = await open_payment(qtbot, window)
        rows = screen.ledger.rowCount()
        window.money.card_retry_delays = (0.05,)  # one quick retry with the same key, then the words
        live_server.stop()
        key_card(qtbot, dialog, tc.VISA_2)
        qtbot.keyClick(dialog.cvc, Qt.Key.Key_Return)
        await ops_done()
        assert dialog.problem.text() == NO_CONNECTION_FOR_CARD
        assert dialog.isVisible() and screen.ledger.rowCount() == rows
        assert dialog.choose_method("cash")
        qtbot.keyClick(dialog.amount, Qt.Key.Key_Return)
        await ops_done()
        assert dialog.pages_stack.currentWidget() is dialog.done_page, dialog.problem.text()
        last = ledger_texts(screen)[-1]
        assert last[2] == "Cash" and "not sent yet" in last[1]
        assert "Recorded at this desk" in dialog.outcome.text()
        assert session.store.pending_count() >= 1
