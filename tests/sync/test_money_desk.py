"""MoneyDesk against the real server over loopback: payments offline and after, receipt numbers,
refusals, drawer figures, corrections and their permissions, and card payments through the
server's sandbox gateway (approved, declined, answers lost on the way, no connection at all).

The desk reaches the server through tests/helpers/fault_proxy.py, so "offline" is a network
that is really down and "a lost answer" is a connection really cut after the server answered.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import pytest
import pytest_asyncio
from sqlmodel import Session, select

from server import admin
from sync.auth import DeskAuth
from sync.client import ApiClient
from sync.engine import SyncEngine
from sync.errors import RejectedError
from sync.core.ledger_mutations import VOID_ENTRY
from sync.core.card_abandon import NOT_CONFIRMED
from sync.money_desk import CardInput, CardNotConfirmed, DeclinedError, MoneyDesk
from sync.core.schema import Family, LedgerEntry, Location
from sync.store import DeskStore
from tests.fixtures.cards import DECLINE_INSUFFICIENT_FUNDS, VISA_2, magtek
from tests.helpers.enrollment import code_for
from tests.helpers.fault_proxy import FaultProxy
from tests.helpers.server_process import ThreadedServer
from tests.sync.conftest import FAST, server_rows

MANAGER = {"username": "morgan", "password": "manager pass"}


@pytest.fixture
def accounts(server_account) -> dict[str, dict]:
    """The seeded account's front-desk staff member and a manager (who may void and refund)."""
    manager_id = admin.add_staff(server_account["data_dir"], "acme", MANAGER["username"], MANAGER["password"],
                                 group="manager", display_name="Morgan Reyes")  # fmt: skip
    return {"desk": server_account, "manager": {**server_account, **MANAGER, "staff_id": manager_id}}


@pytest.fixture
def server(accounts) -> Iterator[ThreadedServer]:
    with ThreadedServer(accounts["desk"]["data_dir"]) as running:
        yield running


@pytest.fixture
def proxy(server) -> Iterator[FaultProxy]:
    with FaultProxy(server.port) as p:
        yield p


@dataclass
class Desk:
    store: DeskStore
    client: ApiClient
    engine: SyncEngine
    money: MoneyDesk

    async def sync(self):
        return await self.engine.sync_now()


@pytest_asyncio.fixture
async def open_desk(desks, http, proxy, memory_keyring) -> AsyncIterator:
    """open_desk(account, name) signs a desk in through DeskAuth (the desk code lands in its
    outbox file) and syncs it once; every engine is stopped at the end."""
    started: list[SyncEngine] = []

    async def open_(account: dict, name: str = "a") -> Desk:
        store = desks(name)
        client = ApiClient(http, proxy.url)
        auth = DeskAuth(client, proxy.url, account["slug"], store.desk_id, f"Desk {name}", keep_desk_code=store.keep_desk_code,
                        enrollment_code=code_for(proxy.url, account["slug"]), desk_folder=store.data_dir)  # fmt: skip
        signed = await auth.login(account["username"], account["password"])
        store.staff_id = signed.staff.id
        engine = SyncEngine(store, client, **FAST)
        started.append(engine)
        status = await engine.sync_now()
        assert status.online and status.error is None, status
        money = MoneyDesk(store, client)
        money.card_retry_delays = (0.05, 0.1)
        return Desk(store, client, engine, money)

    try:
        yield open_
    finally:
        for engine in started:
            await engine.stop()


def family_and_location(store: DeskStore, skip: int = 0) -> tuple[str, str]:
    with Session(store.cache.engine) as s:
        family = s.exec(select(Family).order_by(Family.name, Family.id).offset(skip)).first()
        location = s.exec(select(Location).order_by(Location.name)).first()
        assert family is not None and location is not None, "the desk has pulled nothing"
        return family.id, location.id


def on_server(account: dict, sql: str, *params) -> list[tuple]:
    return server_rows(account["data_dir"], sql, *params)


# -- recorded payments: offline first, then exactly once on the server ---------------------------


@pytest.mark.asyncio
async def test_cash_taken_offline_is_queued_then_lands_on_the_server_once_with_its_receipt(
    accounts, open_desk, proxy
):
    account = accounts["desk"]
    desk = await open_desk(account)
    family, location = family_and_location(desk.store)
    assert desk.store.desk_code and desk.store.desk_code.startswith("D")

    proxy.down = True  # the network goes; the desk keeps working
    charge = await desk.money.post_charge(family, location, 4500, "drop_in", "Open gym")
    paid = await desk.money.record_payment(family, location, "cash", 4500, tendered_cents=5000, apply_to=[charge])
    assert paid.pending_sync and paid.change_cents == 500
    code = desk.store.outbox.desk_code()
    assert paid.receipt_no.endswith(f"-{code}-000001")
    status = await desk.sync()
    assert not status.online and status.pending == 2
    assert on_server(account, "SELECT count(*) FROM ledger_entry WHERE id = ?", paid.entry_id) == [(0,)]

    proxy.down = False
    proxy.fail_next("cut_response", path="/v1/sync/push")  # the server applies them, the answer is lost
    status = await desk.sync()
    assert status.error is not None and status.pending == 2
    status = await desk.sync()  # sent again: the server answers with its first results
    assert (status.online, status.pending, status.rejected, status.error) == (True, 0, 0, None)

    rows = on_server(account, "SELECT receipt_no, amount_cents, method, tendered_cents, change_cents, desk_id FROM ledger_entry "
                              "WHERE id = ?", paid.entry_id)  # fmt: skip
    assert rows == [(paid.receipt_no, -4500, "cash", 5000, 500, desk.store.desk_id)]
    assert on_server(account, "SELECT count(*) FROM ledger_entry WHERE receipt_no = ?", paid.receipt_no) == [(1,)]
    assert on_server(account, "SELECT charge_id, amount_cents FROM ledger_allocation WHERE payment_id = ?", paid.entry_id) == [
        (charge, 4500)
    ]
    view = desk.money.family(family, location)
    row = {r.id: r for r in view.ledger}[paid.entry_id]
    assert not row.pending and row.receipt_no == paid.receipt_no  # confirmed by the pull, number kept
    assert {r.id: r for r in view.ledger}[charge].open_cents == 0


@pytest.mark.asyncio
async def test_a_check_needs_its_number_and_the_server_keeps_it(accounts, open_desk):
    account = accounts["desk"]
    desk = await open_desk(account)
    family, location = family_and_location(desk.store)
    with pytest.raises(RejectedError, match="check number"):
        await desk.money.record_payment(family, location, "check", 2500)
    paid = await desk.money.record_payment(family, location, "check", 2500, check_number="1042")
    assert (await desk.sync()).pending == 0
    assert on_server(account, "SELECT method, check_number FROM ledger_entry WHERE id = ?", paid.entry_id) == [("check", "1042")]
    assert {r.id: r for r in desk.money.family(family).ledger}[paid.entry_id].method_text == "Check #1042"


@pytest.mark.asyncio
async def test_bad_input_is_refused_with_words_before_anything_is_written(accounts, open_desk):
    desk = await open_desk(accounts["desk"])
    other = await open_desk(accounts["desk"], "b")
    family, location = family_and_location(desk.store)
    their_family, _ = family_and_location(desk.store, skip=1)
    theirs = await other.money.post_charge(their_family, location, 3000, "fee", "Leotard")  # another desk's charge...
    assert (await other.sync()).pending == 0
    await desk.sync()  # ...that this desk now has
    paid = await desk.money.record_payment(family, location, "cash", 2000)

    before = (desk.store.outbox.counts(), desk.store.outbox.receipt_counter(), desk.money.family(family), desk.money.family(their_family))
    refusals = [
        (lambda: desk.money.record_payment(family, location, "cash", 0), "more than zero"),
        (lambda: desk.money.record_payment(family, location, "cash", -100), "more than zero"),
        (lambda: desk.money.post_charge(family, location, 0, "fee", "x"), "more than zero"),
        (lambda: desk.money.record_payment(family, location, "cash", 1000, apply_to=[theirs]), "not this family's"),
        (lambda: desk.money.refund(paid.entry_id, 2001, "moved"), "more than this payment can still refund"),
    ]
    for attempt, words in refusals:
        with pytest.raises(RejectedError, match=words):
            await attempt()
    after = (desk.store.outbox.counts(), desk.store.outbox.receipt_counter(), desk.money.family(family), desk.money.family(their_family))
    assert after == before


@pytest.mark.asyncio
async def test_receipt_numbers_stay_unique_and_consecutive_across_a_restart_and_desks(accounts, open_desk, desks, proxy):
    account = accounts["desk"]
    desk = await open_desk(account)
    family, location = family_and_location(desk.store)
    numbers = [(await desk.money.record_payment(family, location, "cash", 100 + i)).receipt_no for i in range(2)]
    code = desk.store.desk_code
    await desk.engine.stop()
    desk.store.close()

    proxy.down = True  # restarted without the server: the code and the counter are in the outbox file
    again = desks("a")
    again.staff_id = accounts["desk"]["staff_id"]
    money = MoneyDesk(again, api=None)
    assert again.desk_code == code
    numbers += [(await money.record_payment(family, location, "cash", 300 + i)).receipt_no for i in range(2)]
    prefix = numbers[0].rsplit("-", 1)[0]
    assert numbers == [f"{prefix}-{n:06d}" for n in range(1, 5)]

    proxy.down = False
    second = await open_desk(account, "b")
    assert second.store.desk_code != code  # each desk of the account has its own code
    theirs = (await second.money.record_payment(family, location, "cash", 500)).receipt_no
    assert theirs.endswith(f"-{second.store.desk_code}-000001")
    engine = SyncEngine(again, desk.client, **FAST)
    try:
        assert (await engine.sync_now()).pending == 0
    finally:
        await engine.stop()
    assert (await second.sync()).pending == 0
    stored = [r[0] for r in on_server(account, "SELECT receipt_no FROM ledger_entry WHERE receipt_no IN (?, ?, ?, ?, ?)",
                                      *numbers, theirs)]  # fmt: skip
    assert sorted(stored) == sorted([*numbers, theirs])


@pytest.mark.asyncio
async def test_drawer_figures_hold_after_the_server_round_trip_and_the_count_is_kept(accounts, open_desk):
    account = accounts["desk"]
    desk = await open_desk(account)
    family, location = family_and_location(desk.store)
    start = desk.store.clock.now() - dt.timedelta(seconds=1)
    await desk.money.record_payment(family, location, "cash", 4500, tendered_cents=5000)
    await desk.money.record_payment(family, location, "cash", 1500)
    await desk.money.record_payment(family, location, "check", 8000, check_number="9")
    await desk.money.record_payment(family, location, "terminal", 2500)
    end = desk.store.clock.now() + dt.timedelta(seconds=1)
    staff = desk.store.staff_id
    local_figures = desk.money.drawer_expected(location, staff, start, end, opening_float_cents=10000)
    assert (await desk.sync()).pending == 0
    synced = desk.money.drawer_expected(location, staff, start, end, opening_float_cents=10000)
    assert synced == local_figures  # the server's rows say the same as the desk's own
    assert (synced.expected_cash_cents, synced.check_cents, synced.terminal_cents, synced.payments) == (16000, 8000, 2500, 4)

    count_id = await desk.money.record_drawer_count(synced, 15900, note="a dollar short")
    assert (await desk.sync()).pending == 0
    assert on_server(account, "SELECT expected_cash_cents, counted_cash_cents, difference_cents, staff_id, desk_id "
                              "FROM drawer_count WHERE id = ?", count_id) == [(16000, 15900, -100, staff, desk.store.desk_id)]  # fmt: skip


# -- corrections of recorded payments: offline too, with the server's permission check -----------


@pytest.mark.asyncio
async def test_a_manager_voids_and_refunds_and_a_refused_void_is_taken_back(accounts, open_desk):
    front = await open_desk(accounts["desk"], "front")
    manager = await open_desk(accounts["manager"], "office")
    family, location = family_and_location(front.store)
    before = front.money.family(family).balance_cents
    paid = await front.money.record_payment(family, location, "cash", 6000)
    assert (await front.sync()).pending == 0

    # The front desk may not void (the server decides): the desk shows the void at once, then
    # takes it back and lists it when the server refuses it.
    void = await front.money.void(paid.entry_id, "wrong family")
    assert front.money.family(family).balance_cents == before
    status = await front.sync()
    assert (status.pending, status.rejected) == (0, 1)
    [refused] = front.store.rejected()
    assert refused.type == VOID_ENTRY and refused.summary.startswith("Void of")
    assert front.money.family(family).balance_cents == before - 6000
    assert void.entry_id not in {r.id for r in front.money.family(family).ledger}

    await manager.sync()
    refund = await manager.money.refund(paid.entry_id, 2500, "one class cancelled")
    assert refund.receipt_no and refund.receipt_no.endswith(f"-{manager.store.desk_code}-000001")
    assert (await manager.sync()).pending == 0
    assert on_server(accounts["desk"], "SELECT kind, amount_cents, corrects_id, receipt_no FROM ledger_entry WHERE id = ?",
                     refund.entry_id) == [("refund", 2500, paid.entry_id, refund.receipt_no)]  # fmt: skip
    await front.sync()
    row = {r.id: r for r in front.money.family(family).ledger}[paid.entry_id]
    assert row.refundable_cents == 3500 and not row.pending


# -- card payments: online, through the server's sandbox gateway ----------------------------------


@pytest.mark.asyncio
async def test_a_swiped_card_is_approved_shown_at_once_and_on_the_server_once(accounts, open_desk, caplog):
    account = accounts["desk"]
    desk = await open_desk(account)
    family, location = family_and_location(desk.store)
    charge = await desk.money.post_charge(family, location, 7500, "tuition", "April tuition")
    counter = desk.store.outbox.receipt_counter()
    # The charge is only on this desk so far: a card cannot pay it until it is sent...
    with pytest.raises(RejectedError, match="not reached the server yet") as not_sent:
        await desk.money.charge_card(family, location, 7500, CardInput.swiped(magtek(VISA_2)), apply_to=[charge])
    assert not_sent.value.code == "not_sent" and desk.store.outbox.receipt_counter() == counter
    # ...which a desk that can send its pending work does first, by itself.
    desk.money.send_pending = desk.engine.sync_now
    with caplog.at_level(logging.DEBUG):
        paid = await desk.money.charge_card(family, location, 7500, CardInput.swiped(magtek(VISA_2)), apply_to=[charge])
    assert VISA_2 not in caplog.text and VISA_2[:6] not in caplog.text  # nothing of the card in any log
    assert (paid.method, paid.card_text, paid.pending_sync) == ("card_present", "Visa **** 4242", False)
    assert paid.approval_code and desk.store.outbox.receipt_counter() == counter + 1
    row = {r.id: r for r in desk.money.family(family).ledger}[paid.entry_id]  # shown before any pull
    assert (row.method_text, row.pending, row.receipt_no, row.correction) == ("Visa **** 4242", False, paid.receipt_no, "void")
    assert {r.id: r for r in desk.money.family(family).ledger}[charge].open_cents == 0
    assert (await desk.sync()).pending == 0  # the charge goes up; the pull brings the payment again
    assert on_server(account, "SELECT count(*), min(receipt_no), min(card_last4) FROM ledger_entry WHERE id = ?", paid.entry_id) == [
        (1, paid.receipt_no, "4242")
    ]
    with Session(desk.store.cache.engine) as s:
        assert len(s.exec(select(LedgerEntry).where(LedgerEntry.id == paid.entry_id)).all()) == 1


@pytest.mark.asyncio
async def test_a_declined_card_records_nothing_and_says_why(accounts, open_desk):
    account = accounts["desk"]
    desk = await open_desk(account)
    family, location = family_and_location(desk.store)
    before = desk.money.family(family)
    with pytest.raises(DeclinedError) as declined:
        await desk.money.charge_card(family, location, 2000, CardInput.keyed(DECLINE_INSUFFICIENT_FUNDS, 12, 2030, "123"))
    assert declined.value.decline_code == "insufficient_funds" and declined.value.message
    assert DECLINE_INSUFFICIENT_FUNDS not in str(declined.value) and DECLINE_INSUFFICIENT_FUNDS not in repr(declined.value)
    assert desk.money.family(family) == before
    assert on_server(account, "SELECT count(*) FROM ledger_entry WHERE desk_id = ?", desk.store.desk_id) == [(0,)]


@pytest.mark.asyncio
@pytest.mark.parametrize("where", ["network", "gateway"])
async def test_a_lost_answer_is_asked_again_with_the_same_key_and_charges_once(accounts, open_desk, proxy, server, where):
    account = accounts["desk"]
    desk = await open_desk(account)
    family, location = family_and_location(desk.store)
    if where == "network":
        proxy.fail_next("cut_response", path="/v1/payments/card")  # the server answered; the desk never heard it
    else:
        server.app.state.gateway.fault = "lost_answer"  # the gateway charged; the server never heard it
    paid = await desk.money.charge_card(family, location, 3300, CardInput.keyed(VISA_2, 12, 2030, "123"))
    assert paid.card_text == "Visa **** 4242"
    rows = on_server(account, "SELECT id, receipt_no FROM ledger_entry WHERE desk_id = ?", desk.store.desk_id)
    assert rows == [(paid.entry_id, paid.receipt_no)]


@pytest.mark.asyncio
async def test_no_connection_for_a_card_gives_the_attempt_up_and_the_server_says_not_charged(accounts, open_desk, proxy):
    account = accounts["desk"]
    desk = await open_desk(account)
    family, location = family_and_location(desk.store)
    proxy.down = True
    with pytest.raises(CardNotConfirmed) as refused:
        await desk.money.charge_card(family, location, 1200, CardInput.swiped(magtek(VISA_2)))
    # Sent and not answered: the desk cannot know, so it gives the attempt up by its key.
    assert refused.value.message == NOT_CONFIRMED
    assert desk.money.card_call_status(refused.value.key) == "cancelling"
    assert [m.type for m in desk.store.outbox.pending()] == ["payment.abandon"]
    proxy.down = False
    await desk.sync()
    deadline = asyncio.get_running_loop().time() + 10
    while desk.money.card_call_status(refused.value.key) == "cancelling":
        assert asyncio.get_running_loop().time() < deadline, "the server never said what became of the attempt"
        await asyncio.sleep(0.1)
        await desk.sync()
    assert desk.money.card_call_status(refused.value.key) == "not_charged"
    assert on_server(account, "SELECT count(*) FROM ledger_entry WHERE desk_id = ?", desk.store.desk_id) == [(0,)]
    cash = await desk.money.record_payment(family, location, "cash", 1200)  # the desk takes cash instead
    assert cash.receipt_no.endswith("-000002")  # the card attempt kept its number: none is used twice


@pytest.mark.asyncio
async def test_card_payments_are_voided_and_refunded_through_the_gateway_by_a_manager(accounts, open_desk):
    account = accounts["desk"]
    front = await open_desk(account, "front")
    manager = await open_desk(accounts["manager"], "office")
    family, location = family_and_location(front.store)
    first = await front.money.charge_card(family, location, 5000, CardInput.swiped(magtek(VISA_2)))
    second = await front.money.charge_card(family, location, 4000, CardInput.keyed(VISA_2, 12, 2030, "123"))
    with pytest.raises(RejectedError) as not_allowed:  # the front desk may not refund: the server says so
        await front.money.refund(first.entry_id, 1000, "moved")
    assert not_allowed.value.status == 403 and not_allowed.value.message

    await manager.sync()
    balance = manager.money.family(family).balance_cents
    void = await manager.money.void(first.entry_id, "charged the wrong card")
    assert (void.kind, void.amount_cents, void.pending_sync) == ("void", 5000, False)
    assert void.balance_after_cents == balance + 5000
    refund = await manager.money.refund(second.entry_id, 1500, "one class cancelled")
    assert (refund.kind, refund.amount_cents, refund.pending_sync) == ("refund", 1500, False)
    assert refund.receipt_no and refund.receipt_no.endswith(f"-{manager.store.desk_code}-000001")
    rows = {r.id: r for r in manager.money.family(family).ledger}
    assert rows[first.entry_id].voided and rows[second.entry_id].refundable_cents == 2500
    assert rows[refund.entry_id].method_text == "Visa **** 4242"
    with pytest.raises(RejectedError, match="already voided"):
        await manager.money.void(first.entry_id, "again")
    assert on_server(account, "SELECT kind, amount_cents FROM ledger_entry WHERE corrects_id IN (?, ?) ORDER BY usn",
                     first.entry_id, second.entry_id) == [("void", 5000), ("refund", 1500)]  # fmt: skip
