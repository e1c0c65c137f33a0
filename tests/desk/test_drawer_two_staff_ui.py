"""End of shift with two staff members on one desk (issue 18): the drawer counted is this desk's,
whoever took the money, unless the person counting chooses only their own payments, and the
dialog says whose it is. Real desk files and the real MoneyDesk; the dialog offscreen."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt

from desk.presenters.drawer import DESK, MINE, DrawerPresenter
from desk.widgets.drawer_dialog import DrawerDialog
from sync.money_desk import MoneyDesk
from sync.core.schema import Staff
from sync.store import DeskStore
from sync.views import LocationView
from tests.sync.data import change, world

pytestmark = [pytest.mark.gui, pytest.mark.timeout(30)]
OWNER, FRONT = "staff-owner", "staff-front"


@pytest.fixture
def desk(tmp_path):
    store = DeskStore(tmp_path / "desk", staff_id=FRONT)
    try:
        demo = world()
        changes = demo.changes()
        store.cache.apply_pull(changes, cursor=len(changes))
        store.cache.apply_server_changes([change(Staff(id=OWNER, username="olivia", display_name="Olivia Park"), 900),
                                          change(Staff(id=FRONT, username="sam", display_name="Sam Lee"), 901)])  # fmt: skip
        store.outbox.set_desk_code("D1")
        yield store, MoneyDesk(store, api=None), demo
    finally:
        store.close()


async def _cash_by_front_desk(store: DeskStore, money: MoneyDesk, demo) -> tuple[LocationView, dt.datetime]:
    location = next(loc for loc in store.locations() if loc.id == demo.ids["downtown"])
    await money.record_payment(demo.ids["fam_lee"], location.id, "cash", 7000)  # Sam takes $70 cash
    made = dt.datetime.now(dt.UTC)
    store.staff_id = OWNER  # then the owner signs in at the same desk to close the day
    return location, made


@pytest.mark.asyncio
async def test_the_owner_counts_this_desks_drawer_with_the_cash_another_staff_member_took(desk):
    store, money, demo = desk
    location, made = await _cash_by_front_desk(store, money, demo)
    drawer = DrawerPresenter(money, location, OWNER, since=made - dt.timedelta(minutes=1), now=made + dt.timedelta(minutes=1))
    assert drawer.whose == DESK and drawer.staff_name == "Olivia Park"
    assert drawer.period_text().startswith("This desk's drawer, everyone's payments · since ")
    assert drawer.period_text().endswith(" · 1 payment")
    assert dict(drawer.expected_lines("100"))["Cash expected in the drawer"] == "$170.00"
    drawer.set_whose(MINE)  # the owner's own takings: none
    assert drawer.period_text().startswith("Only Olivia Park's payments · ") and drawer.period_text().endswith("0 payments")
    assert dict(drawer.expected_lines("100"))["Cash expected in the drawer"] == "$100.00"
    drawer.set_whose(DESK)
    drawer.begin("100", "170", "")
    expected = await drawer.save()
    assert (expected.staff_id, expected.expected_cash_cents, expected.payments) == (None, 17000, 1)


@pytest.mark.asyncio
async def test_the_dialog_says_whose_drawer_and_switches(qtbot, desk):
    store, money, demo = desk
    location, made = await _cash_by_front_desk(store, money, demo)
    dialog = DrawerDialog(DrawerPresenter(money, location, OWNER, since=made - dt.timedelta(minutes=1),
                                          now=made + dt.timedelta(minutes=1)))  # fmt: skip
    qtbot.addWidget(dialog)
    assert dialog.whose.currentText() == "This desk's drawer (everyone's payments)"
    assert dialog.whose.accessibleName() == "Whose drawer is counted"
    qtbot.keyClicks(dialog.counted, "70")
    assert dialog.difference.text() == "The drawer is right."
    dialog.whose.setCurrentIndex(dialog.whose.findData(MINE))
    assert dialog.period.text().startswith("Only Olivia Park's payments")
    assert dialog.difference.text() == "Over by $70.00"
    qtbot.keyClick(dialog.whose, Qt.Key.Key_Up)  # back to the desk's drawer by keyboard
    assert dialog.presenter.whose == DESK and dialog.difference.text() == "The drawer is right."
