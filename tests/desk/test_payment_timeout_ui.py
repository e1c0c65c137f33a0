"""A card payment that gets no answer, in the take-payment dialog on the real stack (issue 18):
the countdown on the main button, Cancel at any moment, and the words, which say only what the
desk knows: "We could not confirm the charge…" while the server has not said, then "Not charged"
once it confirmed. The desk reaches the server through the fault proxy, which holds the charge
request back (stall) longer than the desk waits; it reaches the server afterwards, too late.
"""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import Qt

from desk.presenters.card_clock import ASKING
from desk.presenters.payment import GIVEN_UP_WORDS
from sync.core.card_abandon import NOT_CONFIRMED
from tests.desk.desk_helpers import config_for, ops_done, signed_in_desk, until
from tests.desk.test_family_ui import ledger_texts
from tests.desk.test_payment_dialog_ui import key_card, open_payment
from tests.fixtures import cards as tc
from tests.helpers.fault_proxy import FaultProxy
from tests.helpers.server_process import account_db_path
from tests.server.api import query
from tests.server.payments_api import sandbox_rows

pytestmark = [pytest.mark.gui, pytest.mark.asyncio(loop_factories=["qasync"]), pytest.mark.timeout(60)]
CARD_PATH = "/v1/payments/card"


def late_refused(account: dict, key: str) -> bool:
    """The server refused a copy of the call that came after the abandon (server.payments.abandon)."""
    db = account_db_path(account["data_dir"], account["slug"])
    return bool(query(db, "SELECT 1 FROM audit_event WHERE action = 'payment.card_late_refused' AND record_id = ?", key))


def seconds_left(text: str) -> int:
    assert text.startswith(ASKING + " ") and text.endswith(" s"), text
    return int(text.removeprefix(ASKING + " ").removesuffix(" s"))


async def test_the_countdown_runs_out_and_the_server_then_confirms_not_charged(
    qtbot, live_server, account, tmp_path, memory_keyring,
):
    with FaultProxy(live_server.port, stall_seconds=4.0) as proxy:
        async with signed_in_desk(qtbot, config_for(proxy.url, account, tmp_path / "desk"), account["password"]) as (
            _session, window,
        ):
            window.money.card_time_limit = 2.0
            screen, dialog, _view = await open_payment(qtbot, window)
            key_card(qtbot, dialog, tc.VISA_2)
            proxy.fail_next("stall", path=CARD_PATH)
            qtbot.keyClick(dialog.cvc, Qt.Key.Key_Return)
            seen = {seconds_left(dialog.primary.text())}
            assert seen == {2} and not dialog.primary.isEnabled()
            assert dialog.cancel.isEnabled() and dialog.cancel.accessibleName() == "Cancel the card payment"
            await until(lambda: seconds_left(dialog.primary.text()) == 1, what="the countdown at 1 s")
            await ops_done()
            assert dialog.problem.text() == NOT_CONFIRMED and dialog.problem.property("tone") == "amber"
            assert dialog.isVisible() and dialog.pages_stack.currentWidget() is dialog.form_page
            key = dialog.presenter.given_up
            # The family's ledger says so at once, then what the server said.
            assert any("cancelling…" in row[1] for row in ledger_texts(screen))
            await until(lambda: dialog.problem.text() == GIVEN_UP_WORDS["not_charged"][0], what="Not charged", timeout=15)
            assert dialog.problem.text().startswith("Not charged")
            await until(lambda: any(row[1].startswith("Card payment of 10.00: cancelled") for row in ledger_texts(screen)),
                        what="the ledger line cancelled")
            # The charge reached the server after the desk gave up: refused, never at the gateway.
            await until(lambda: late_refused(account, key), what="the late charge refused", timeout=10)
    assert sandbox_rows(account["data_dir"], "idempotency_key = ?", key) == []


async def test_cancel_mid_request_gives_the_attempt_up_at_once(qtbot, live_server, account, tmp_path, memory_keyring):
    with FaultProxy(live_server.port, stall_seconds=3.0) as proxy:
        async with signed_in_desk(qtbot, config_for(proxy.url, account, tmp_path / "desk"), account["password"]) as (
            session, window,
        ):
            assert window.money.card_time_limit == 15.0  # the default hard limit
            screen, dialog, view = await open_payment(qtbot, window)
            rows = screen.ledger.rowCount()
            key_card(qtbot, dialog, tc.MASTERCARD)
            proxy.fail_next("stall", path=CARD_PATH)
            qtbot.keyClick(dialog.cvc, Qt.Key.Key_Return)
            assert seconds_left(dialog.primary.text()) == 15
            await until(lambda: proxy.planned() == 0, what="the charge on its way (held by the proxy)")
            started = time.monotonic()
            qtbot.mouseClick(dialog.cancel, Qt.MouseButton.LeftButton)
            await ops_done()
            assert time.monotonic() - started < 1.5  # Cancel does not wait for the network
            assert dialog.isVisible() and dialog.problem.text() == NOT_CONFIRMED
            assert dialog.primary.isEnabled() and dialog.primary.text() == "Charge $10.00"
            assert dialog.cancel.isEnabled() and dialog.cancel.accessibleName() == "Cancel"
            key = dialog.presenter.given_up
            assert key and window.money.card_call_status(key) in ("cancelling", "not_charged")
            await until(lambda: dialog.problem.text().startswith("Not charged"), what="Not charged", timeout=15)
            assert screen.ledger.rowCount() == rows + 1  # the attempt's line, no payment
            assert window.money.family(view.id, window.location.id).balance_cents == view.balance_cents
            await until(lambda: session.engine.status.pending == 0, what="the abandon sent")
            await until(lambda: late_refused(account, key), what="the late charge refused", timeout=10)
            # Escape now closes the dialog as usual (nothing is under way).
            qtbot.keyClick(dialog, Qt.Key.Key_Escape)
            await until(lambda: not dialog.isVisible(), what="the dialog closed")
    assert sandbox_rows(account["data_dir"], "idempotency_key = ?", key) == []
