"""The Families screen on the real sync stack: find a family, take cash, post a charge, void.

Real server over loopback, real desk cache and outbox, real widgets driven by keys.
"""

from __future__ import annotations

import dataclasses

import pytest
import shiboken6
from PySide6.QtCore import Qt

from desk.widgets.charge_dialog import ChargeDialog
from desk.widgets.correction_dialog import CorrectionDialog
from desk.widgets.drawer_dialog import DrawerDialog
from desk.widgets.payment_dialog import PaymentDialog
from server import admin
from tests.desk.desk_helpers import config_for, ops_done, signed_in_desk, until
from tests.desk.test_checkin_ui import a_child_with_a_class_today

pytestmark = [pytest.mark.gui, pytest.mark.asyncio(loop_factories=["qasync"])]
CTRL = Qt.KeyboardModifier.ControlModifier
CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


def families_in_cache(window):
    """Family views from the real cache, each once, found the way staff find them (by name)."""
    seen = set()
    for letters in "aeiounrst":
        for hit in window.store.search_students(letters, limit=50):
            if hit.family_id not in seen:
                seen.add(hit.family_id)
                yield window.money.family(hit.family_id, window.location.id)


def a_family_that_owes(window, at_least: int = 1):
    """(family view) from the real cache: a family with a balance due."""
    for view in families_in_cache(window):
        if view.due_cents >= at_least:
            return view
    raise AssertionError("the seeded account has no family with a balance due")


def open_family(qtbot, window, name: str, family_id: str):
    """F3, type the family name, arrows to it, Enter: the family's file opens."""
    qtbot.keyClick(window, Qt.Key.Key_F3)
    screen = window.families
    assert window.current_screen() is screen and screen.search.hasFocus()
    qtbot.keyClicks(screen.search, name)
    ids = [h.id for h in screen.presenter.hits]
    assert family_id in ids, (name, ids)
    for _ in range(ids.index(family_id)):
        qtbot.keyClick(screen.search, Qt.Key.Key_Down)
    qtbot.keyClick(screen.search, Qt.Key.Key_Return)
    assert screen.presenter.view is not None and screen.presenter.view.id == family_id
    assert screen.name.text() == f"{name} family"
    return screen


def closed(dialog) -> bool:
    """The dialog is gone (closed, and deleted once closed)."""
    return not shiboken6.isValid(dialog) or not dialog.isVisible()


def ledger_texts(screen) -> list[list[str]]:
    t = screen.ledger
    return [[t.item(r, c).text() for c in range(t.columnCount())] for r in range(t.rowCount())]


async def test_find_a_family_take_cash_with_change_and_see_the_balance_and_ledger_follow(
    qtbot, live_server, account, tmp_path, memory_keyring,
):
    async with signed_in_desk(qtbot, config_for(live_server.url, account, tmp_path / "desk"), account["password"]) as (
        session, window,
    ):
        view = a_family_that_owes(window)
        screen = open_family(qtbot, window, view.name, view.id)
        due = view.due_cents
        assert screen.balance.text() == f"Balance due ${due // 100:,}.{due % 100:02d}"
        assert screen.balance.property("tone") == "red"
        rows_before = screen.ledger.rowCount()
        assert rows_before == len(view.ledger) > 0
        printed = []
        screen.presenter.receipt_hook = lambda outcome, choice: printed.append((outcome.receipt_no, choice))

        qtbot.keyClick(screen.search, Qt.Key.Key_P, CTRL)  # Ctrl+P: the amount starts at the balance due
        dialog = screen.dialog
        assert isinstance(dialog, PaymentDialog) and dialog.isVisible()
        assert dialog.amount.text() == f"{due // 100}.{due % 100:02d}" and dialog.current_method() == "cash"
        qtbot.keyClicks(dialog.amount, "\b" * 10 + "20")  # pay part of it: 20 -> $20.00
        assert dialog.primary.text() == "Take $20.00"
        dialog.tendered.setFocus()
        qtbot.keyClicks(dialog.tendered, "50")
        assert dialog.change.text() == "Change $30.00"
        qtbot.keyClick(dialog.tendered, Qt.Key.Key_Return)  # Enter takes it
        await ops_done()
        assert dialog.pages_stack.currentWidget() is dialog.done_page, dialog.problem.text()
        assert "Paid $20.00 by cash" in dialog.outcome.text() and "Give change: $30.00" in dialog.outcome.text()
        assert dialog.receipt_buttons["print"].isChecked()  # cash: a printed receipt by default

        # The family behind the dialog already shows it.
        left = due - 2000
        assert screen.balance.text() == (f"Balance due ${left // 100:,}.{left % 100:02d}" if left else "Nothing due")
        assert screen.ledger.rowCount() == rows_before + 1
        # ...and so does its balance badge in the list of families found (it stayed at the old due).
        badges = [screen.results.item(i).data(Qt.ItemDataRole.AccessibleTextRole) for i in range(screen.results.count())]
        mine = badges[[h.id for h in screen.presenter.hits].index(view.id)]
        assert mine.endswith(f". ${left // 100:,}.{left % 100:02d} due" if left else ". "), mine
        last = ledger_texts(screen)[-1]
        assert last[2] == "Cash" and last[3] == "-$20.00"
        assert window.toast.last_text.startswith("$20.00 paid (cash) · Receipt ")
        receipt_no = screen.presenter.view.ledger[-1].receipt_no
        assert receipt_no and screen.receipts.item(0, 0).text() == receipt_no

        qtbot.keyClick(dialog.primary, Qt.Key.Key_N)  # N: no receipt; P: print after all
        assert dialog.receipt_buttons["none"].isChecked()
        qtbot.keyClick(dialog.primary, Qt.Key.Key_P)
        assert dialog.receipt_buttons["print"].isChecked()
        qtbot.keyClick(dialog.primary, Qt.Key.Key_Return)  # Done: the receipt choice goes to the hook
        await until(lambda: closed(dialog), what="the dialog closed")
        assert printed == [(receipt_no, "print")]
        await until(screen.search.hasFocus, what="the search field ready for the next family")

        # It reaches the server, and the pull that confirms it keeps the same line.
        await until(lambda: session.engine.status.pending == 0 and session.engine.status.online, what="sent")
        await until(lambda: not window.money.family(view.id, window.location.id).ledger[-1].pending, what="confirmed")
        window.data_changed(frozenset({"ledger_entry"}))
        assert "not sent yet" not in ledger_texts(screen)[-1][1]


async def test_a_charge_is_posted_and_the_front_desk_cannot_void(qtbot, live_server, account, tmp_path, memory_keyring):
    async with signed_in_desk(qtbot, config_for(live_server.url, account, tmp_path / "desk"), account["password"]) as (
        _session, window,
    ):
        assert window.rail.buttons[window.screens.index(window.families)].isVisibleTo(window)  # front desk: ledger.view
        view = a_family_that_owes(window)
        screen = open_family(qtbot, window, view.name, view.id)
        assert screen.pay_button.isVisibleTo(window) and screen.charge_button.isVisibleTo(window)
        qtbot.keyClick(screen.search, Qt.Key.Key_C, CTRL_SHIFT)
        dialog = screen.dialog
        assert isinstance(dialog, ChargeDialog)
        qtbot.keyClick(dialog.amount, Qt.Key.Key_Return)
        assert dialog.problem.text() == "Type the amount." and dialog.isVisible()
        qtbot.keyClicks(dialog.amount, "15.5")
        dialog.category.setCurrentIndex(dialog.category.findData("fee"))
        qtbot.keyClicks(dialog.description, "Late pick-up")
        qtbot.keyClick(dialog.description, Qt.Key.Key_Return)
        await until(lambda: closed(dialog), what="the dialog closed")
        await until(screen.search.hasFocus, what="the desk active again (its keys work)")
        assert window.toast.last_text == f"Charge posted: Late pick-up · $15.50 · {view.name} family"
        last = ledger_texts(screen)[-1]
        assert last[1].startswith("Late pick-up") and last[3] == "$15.50"
        total = view.balance_cents + 1550
        assert screen.balance.text() == f"Balance due ${total // 100:,}.{total % 100:02d}"

        # Front desk staff may not void: the button says why and the key does nothing but say it.
        screen.select_entry(screen.presenter.view.ledger[-1].id)
        assert not screen.correct_button.isEnabled() and "manager" in screen.correct_button.toolTip()
        qtbot.keyClick(screen.search, Qt.Key.Key_V, CTRL_SHIFT)
        assert screen.dialog is None or not screen.dialog.isVisible()
        assert "manager" in window.toast.last_text


async def test_a_manager_voids_a_same_day_cash_payment_and_counts_the_drawer(
    qtbot, live_server, account, tmp_path, memory_keyring,
):
    admin.add_staff(account["data_dir"], "acme", "mia", "mia's password", group="manager", display_name="Mia")
    config = dataclasses.replace(config_for(live_server.url, account, tmp_path / "desk"), username="mia")
    async with signed_in_desk(qtbot, config, "mia's password") as (session, window):
        view = a_family_that_owes(window)
        screen = open_family(qtbot, window, view.name, view.id)
        qtbot.keyClick(screen.search, Qt.Key.Key_P, CTRL)
        dialog = screen.dialog
        qtbot.keyClicks(dialog.amount, "\b" * 10 + "12.50")
        qtbot.keyClick(dialog.amount, Qt.Key.Key_Return)
        await ops_done()
        qtbot.keyClick(dialog.primary, Qt.Key.Key_N)  # no receipt (a test prints nothing)
        qtbot.keyClick(dialog.primary, Qt.Key.Key_Return)
        await until(lambda: closed(dialog), what="the payment dialog closed")
        await until(screen.search.hasFocus, what="the desk active again (its keys work)")
        payment = screen.presenter.view.ledger[-1]
        assert payment.kind == "payment" and payment.correction == "void"

        screen.select_entry(payment.id)
        assert screen.correct_button.isEnabled() and screen.correct_button.accessibleName() == "Void"
        qtbot.keyClick(screen.ledger, Qt.Key.Key_V, CTRL_SHIFT)
        dialog = screen.dialog
        assert isinstance(dialog, CorrectionDialog) and not dialog.presenter.is_refund
        qtbot.keyClick(dialog.reason, Qt.Key.Key_Return)
        assert "Say why" in dialog.problem.text()
        qtbot.keyClicks(dialog.reason, "Wrong family")
        qtbot.keyClick(dialog.reason, Qt.Key.Key_Return)
        await until(lambda: closed(dialog), what="the dialog closed")
        assert window.toast.last_text.startswith("Voided $12.50")
        await until(screen.search.hasFocus, what="the desk active again (its keys work)")
        fresh = screen.presenter.view
        assert fresh.balance_cents == view.balance_cents
        voided = next(r for r in fresh.ledger if r.id == payment.id)
        assert voided.voided and voided.correction is None
        row = [r for r in range(screen.ledger.rowCount()) if screen.ledger.item(r, 0).data(Qt.ItemDataRole.UserRole) == payment.id][0]
        assert "(voided" in screen.ledger.item(row, 1).text() and screen.ledger.item(row, 1).font().strikeOut()

        # End of shift: the voided payment is not in the drawer; the count is saved.
        qtbot.keyClick(screen.search, Qt.Key.Key_E, CTRL_SHIFT)
        drawer = screen.dialog
        assert isinstance(drawer, DrawerDialog)
        qtbot.keyClicks(drawer.opening_float, "100")
        qtbot.keyClicks(drawer.counted, "99")
        assert drawer.difference.text() == "Short by $1.00"
        qtbot.keyClick(drawer.counted, Qt.Key.Key_Return)
        await ops_done()
        await until(lambda: closed(drawer), what="the drawer dialog closed")
        assert window.toast.last_text.startswith("Drawer count saved: $99.00 counted, short by $1.00")
        await until(lambda: session.engine.status.pending == 0 and session.engine.status.online, what="all sent")
        assert session.store.rejected() == []


def a_family_with_a_refundable(window, method: str = "cash"):
    """(family view, ledger row) from the real cache: an earlier day's payment that can be refunded,
    of a family with an email address on file."""
    for view in families_in_cache(window):
        row = next((r for r in view.ledger if r.correction == "refund" and r.method == method), None)
        if row is not None and (view.email or any(g.email for g in view.guardians)):
            return view, row
    raise AssertionError(f"the seeded account has no refundable {method} payment")


async def test_a_refund_asks_how_the_receipt_goes_and_emails_it(qtbot, live_server, account, tmp_path, memory_keyring):
    admin.add_staff(account["data_dir"], "acme", "mia", "mia's password", group="manager", display_name="Mia")
    config = dataclasses.replace(config_for(live_server.url, account, tmp_path / "desk"), username="mia")
    async with signed_in_desk(qtbot, config, "mia's password") as (session, window):
        view, payment = a_family_with_a_refundable(window)
        screen = open_family(qtbot, window, view.name, view.id)
        screen.select_entry(payment.id)
        assert screen.correct_button.accessibleName() == "Refund"
        qtbot.keyClick(screen.ledger, Qt.Key.Key_V, CTRL_SHIFT)
        dialog = screen.dialog
        assert isinstance(dialog, CorrectionDialog) and dialog.presenter.is_refund
        assert dialog.chosen_receipt() == "print"  # after cash, as the receipt question after a cash payment
        qtbot.keyClicks(dialog.amount, "\b" * 10 + "5.00")
        qtbot.keyClicks(dialog.reason, "Class cancelled")
        qtbot.mouseClick(dialog.receipt_buttons["email"], Qt.MouseButton.LeftButton)
        assert dialog.chosen_receipt() == "email"
        qtbot.keyClick(dialog.reason, Qt.Key.Key_Return)
        await until(lambda: closed(dialog), what="the refund dialog closed")
        refunds = [r for r in screen.presenter.view.ledger if r.kind == "refund" and r.amount_cents == 500]
        assert len(refunds) == 1 and refunds[0].receipt_no, "the refund, with its receipt number"
        await until(lambda: "will be emailed" in window.toast.last_text, what="the receipt emailed")
        (asked,) = window.receipts.emails(refunds[0].id)  # the request, recorded here (offline too)
        assert asked.to_address and "@" in asked.to_address
        await until(lambda: session.engine.status.pending == 0, what="all sent")
        assert session.store.rejected() == []


async def test_ctrl_f_on_a_student_card_opens_the_family(qtbot, live_server, account, tmp_path, memory_keyring):
    async with signed_in_desk(qtbot, config_for(live_server.url, account, tmp_path / "desk"), account["password"]) as (
        session, window,
    ):
        student, _ = a_child_with_a_class_today(session.store, window.location)
        screen = window.checkin
        qtbot.keyClicks(screen.search, student.first_name)
        ids = [h.id for h in screen.presenter.hits]
        for _ in range(ids.index(student.student_id)):
            qtbot.keyClick(screen.search, Qt.Key.Key_Down)
        qtbot.keyClick(screen.search, Qt.Key.Key_Return)
        family_id = screen.presenter.card.student.family_id
        qtbot.keyClick(screen.search, Qt.Key.Key_F, CTRL)
        assert window.current_screen() is window.families
        assert window.families.presenter.view.id == family_id
        assert student.full_name in [window.families.students.item(r, 0).text()
                                     for r in range(window.families.students.rowCount())]


async def test_the_screen_and_its_actions_show_only_to_who_may_use_them(qtbot, styled_app):
    from desk.permission_view import apply_permissions
    from desk.widgets.main_window import MainWindow
    from sync.core.permissions import BUILTIN_GROUPS, LEDGER_VIEW
    from tests.desk.fakes import FakeStore
    from tests.desk.presenters.money_fakes import NOW, FakeMoney

    window = MainWindow(FakeStore(), staff_name="Sam", account_name="Tumble Town")
    qtbot.addWidget(window)
    window.show()
    families = window.rail.buttons[window.screens.index(window.families)]
    assert families.name.text() == "Families" and families.key.text() == "F3"
    screen = window.families
    screen.presenter.money = FakeMoney()  # the Lee family's file, without a cache
    screen.presenter.money.now = lambda: NOW
    screen.file.families = _NoFamilyFile()  # guardians and notes: tests/desk/test_family_file_ui.py
    screen.presenter.receipts = None  # nor receipt emails to read
    screen.presenter.open("f-lee")

    apply_permissions(window, BUILTIN_GROUPS["coach"])
    assert not families.isVisibleTo(window)

    apply_permissions(window, [LEDGER_VIEW])  # sees balances, takes no money
    assert families.isVisibleTo(window)
    window.show_screen(window.screens.index(screen))
    assert screen.name.text() == "Lee family" and screen.balance.text() == "Balance due $100.00"
    assert not screen.pay_button.isVisibleTo(window) and not screen.charge_button.isVisibleTo(window)
    assert not screen.drawer_button.isVisibleTo(window)
    assert screen.take_payment() is None and screen.post_charge() is None

    apply_permissions(window, BUILTIN_GROUPS["manager"])
    assert screen.pay_button.isVisibleTo(window) and screen.charge_button.isVisibleTo(window)
    assert screen.select_entry("p1") and screen.correct_button.isEnabled()
    assert screen.correct_button.accessibleName() == "Refund"
    pending = [r for r in range(screen.ledger.rowCount()) if "(not sent yet)" in screen.ledger.item(r, 1).text()]
    assert pending and screen.ledger.item(pending[0], 1).font().italic()
    window.close()


class _NoFamilyFile:
    """A FamilyDesk with no family file at all (the fake store has no cache)."""

    def file(self, family_id, today):
        raise LookupError(family_id)

    def duplicates_of(self, family_id, region):
        return []
