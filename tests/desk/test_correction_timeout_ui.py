"""A card void that gets no answer, in the void / refund dialog on the real stack (issue 18): the
same countdown and Cancel as the payment dialog, and words that say only what the desk knows. The
desk reaches the server through the fault proxy, which holds the void request back (stall) longer
than the desk waits; it reaches the server afterwards, too late, and is refused there.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time

import pytest
from PySide6.QtCore import Qt

from desk.presenters.correction import GIVEN_UP_WORDS
from desk.widgets.correction_dialog import CorrectionDialog
from server import admin
from sync.core.card_abandon import NOT_CONFIRMED_CHANGE
from tests.desk.desk_helpers import config_for, ops_done, signed_in_desk, until
from tests.desk.test_family_ui import (
    CTRL_SHIFT,
    a_family_with_a_refundable,
    closed,
    open_family,
)
from tests.desk.test_payment_dialog_ui import key_card, open_payment
from tests.desk.test_payment_timeout_ui import seconds_left
from tests.fixtures import cards as tc
from tests.helpers.fault_proxy import FaultProxy
from tests.helpers.server_process import account_db_path
from tests.server.api import query
from tests.server.payments_api import sandbox_rows

pytestmark = [pytest.mark.gui, pytest.mark.asyncio(loop_factories=["qasync"]), pytest.mark.timeout(60)]
STALL = 3.0  # how long the proxy holds the void back: longer than Cancel takes


def attempt_status(account: dict, key: str) -> str | None:
    db = account_db_path(account["data_dir"], account["slug"])
    rows = query(db, "SELECT status FROM card_attempt WHERE key = ?", key)
    return rows[0][0] if rows else None


async def a_card_payment(qtbot, window):
    """A $10.00 keyed card payment taken in the payment dialog: (screen, its ledger row)."""
    screen, dialog, _view = await open_payment(qtbot, window)
    key_card(qtbot, dialog, tc.VISA_2)
    qtbot.keyClick(dialog.cvc, Qt.Key.Key_Return)
    await until(lambda: dialog.primary.text() == "Done", what="the card approved", timeout=15)
    qtbot.keyClick(dialog.primary, Qt.Key.Key_N)  # no receipt
    qtbot.keyClick(dialog.primary, Qt.Key.Key_Return)
    await until(lambda: closed(dialog), what="the payment dialog closed")
    await until(screen.search.hasFocus, what="the desk active again (its keys work)")
    payment = dialog.presenter.outcome
    row = screen.presenter.row(payment.entry_id)
    assert row is not None and row.correction == "void" and row.method == "card_keyed"
    return screen, row


async def test_cancel_mid_void_gives_it_up_at_once_and_the_server_then_confirms_not_voided(
    qtbot, live_server, account, tmp_path, memory_keyring,
):
    admin.add_staff(account["data_dir"], "acme", "mia", "mia's password", group="manager", display_name="Mia")
    with FaultProxy(live_server.port, stall_seconds=STALL) as proxy:
        config = dataclasses.replace(config_for(proxy.url, account, tmp_path / "desk"), username="mia")
        async with signed_in_desk(qtbot, config, "mia's password") as (session, window):  # a manager may void
            screen, payment = await a_card_payment(qtbot, window)
            balance = screen.presenter.view.balance_cents
            screen.select_entry(payment.id)
            qtbot.keyClick(screen.ledger, Qt.Key.Key_V, CTRL_SHIFT)
            dialog = screen.dialog
            assert isinstance(dialog, CorrectionDialog) and not dialog.presenter.is_refund
            qtbot.keyClicks(dialog.reason, "Wrong family")
            proxy.fail_next("stall", path=f"/v1/payments/{payment.id}/void")
            qtbot.keyClick(dialog.reason, Qt.Key.Key_Return)
            # The payment dialog's countdown, from the same 15 s hard limit, and its Cancel.
            assert seconds_left(dialog.primary.text()) == 15 and not dialog.primary.isEnabled()
            assert dialog.cancel.isEnabled() and dialog.cancel.accessibleName() == "Cancel the card void"
            await until(lambda: proxy.planned() == 0, what="the void on its way (held by the proxy)")
            started = time.monotonic()
            qtbot.mouseClick(dialog.cancel, Qt.MouseButton.LeftButton)
            await ops_done()
            assert time.monotonic() - started < 1.5  # Cancel does not wait for the network
            assert dialog.isVisible(), "the dialog stays to say what became of the void"
            assert dialog.problem.text() == NOT_CONFIRMED_CHANGE.format(what="void")
            assert dialog.problem.property("tone") == "amber"
            assert dialog.primary.isEnabled() and dialog.primary.text() == "Void"
            assert dialog.cancel.isEnabled() and dialog.cancel.accessibleName() == "Cancel"
            key = dialog.presenter.card_clock.given_up
            assert key and window.money.card_call_status(key) in ("cancelling", "not_charged")
            not_voided = GIVEN_UP_WORDS["not_charged"][0].format(what="void", done="voided")
            await until(lambda: dialog.problem.text() == not_voided, what="Not voided", timeout=15)
            assert dialog.problem.property("tone") == "ok"
            await until(lambda: session.engine.status.pending == 0, what="the abandon sent")
            # The held void reaches the server after the desk gave up: it is answered with the key's
            # remembered refusal (server.payments.card_corrections), never sent to the gateway.
            await asyncio.sleep(max(0.0, started + STALL + 1.0 - time.monotonic()))
            assert attempt_status(account, key) == "declined"
            fresh = screen.presenter.row(payment.id)
            assert fresh is not None and not fresh.voided and fresh.correction == "void"  # it can be voided again
            assert window.money.family(screen.presenter.view.id, window.location.id).balance_cents == balance
            qtbot.keyClick(dialog, Qt.Key.Key_Escape)  # nothing under way: Escape closes as usual
            await until(lambda: closed(dialog), what="the dialog closed")
    assert sandbox_rows(account["data_dir"], "idempotency_key = ?", key) == []


async def test_a_card_refund_counts_down_and_gives_up_at_the_hard_limit(qtbot, live_server, account, tmp_path, memory_keyring):
    """No Cancel: the countdown runs out (2 s here), the refund is given up on by its key, and the
    dialog says so until the server confirmed it was not made."""
    admin.add_staff(account["data_dir"], "acme", "mia", "mia's password", group="manager", display_name="Mia")
    with FaultProxy(live_server.port, stall_seconds=STALL + 2) as proxy:
        config = dataclasses.replace(config_for(proxy.url, account, tmp_path / "desk"), username="mia")
        async with signed_in_desk(qtbot, config, "mia's password") as (_session, window):
            window.money.card_time_limit = 2.0
            view, payment = a_family_with_a_refundable(window, "card_present")
            screen = open_family(qtbot, window, view.name, view.id)
            screen.select_entry(payment.id)
            qtbot.keyClick(screen.ledger, Qt.Key.Key_V, CTRL_SHIFT)
            dialog = screen.dialog
            assert isinstance(dialog, CorrectionDialog) and dialog.presenter.is_refund
            qtbot.keyClicks(dialog.amount, "\b" * 10 + "1.00")
            qtbot.keyClicks(dialog.reason, "Class cancelled")
            proxy.fail_next("stall", path=f"/v1/payments/{payment.id}/refund")
            qtbot.keyClick(dialog.reason, Qt.Key.Key_Return)
            assert seconds_left(dialog.primary.text()) == 2
            assert dialog.cancel.accessibleName() == "Cancel the card refund"
            await until(lambda: seconds_left(dialog.primary.text()) == 1, what="the countdown at 1 s")
            await ops_done()
            await until(lambda: dialog.problem.text() == NOT_CONFIRMED_CHANGE.format(what="refund"),
                        what="the refund given up on", timeout=5)
            assert dialog.isVisible() and dialog.primary.text() == "Refund $1.00"
            not_refunded = GIVEN_UP_WORDS["not_charged"][0].format(what="refund", done="refunded")
            await until(lambda: dialog.problem.text() == not_refunded, what="Not refunded", timeout=15)
            key = dialog.presenter.card_clock.given_up
            qtbot.keyClick(dialog, Qt.Key.Key_Escape)
            await until(lambda: closed(dialog), what="the dialog closed")
    assert [kind for kind, *_ in sandbox_rows(account["data_dir"], "idempotency_key = ?", key)] == []
