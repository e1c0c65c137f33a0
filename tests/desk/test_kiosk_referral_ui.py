"""The front desk hears when the kiosk sends a family over: one amber toast per child and day."""

from __future__ import annotations

import pytest

from desk.presenters.formatting import now_at
from desk.widgets.main_window import MainWindow
from sync.core.kiosk_referrals import KIOSK_REFERRAL, payload_for
from sync.views import SyncStatus
from tests.sync.test_kiosk_queries import filled_store

pytestmark = [pytest.mark.gui, pytest.mark.asyncio(loop_factories=["qasync"])]


async def test_a_referral_pulled_from_the_kiosk_is_said_once(qtbot, tmp_path):
    store, w = filled_store(tmp_path / "desk")
    try:
        window = MainWindow(store, staff_name="Alex", account_name="Acme", location_code="DT",
                            status=SyncStatus(online=True, pending=0))  # fmt: skip
        qtbot.addWidget(window)
        window.show()
        today = now_at(window.location.timezone, store.clock).date()
        await store.record(KIOSK_REFERRAL, payload_for(w.ids["emma"], window.location.id, today, ["waiver", "balance"]))
        await store.record(KIOSK_REFERRAL, payload_for(w.ids["emma"], window.location.id, today, ["balance"]))  # same day: nothing new
        assert len(store.kiosk_referrals(window.location.id, today)) == 1
        said: list[tuple[str, str]] = []
        window.notify = lambda text, tone="ok": said.append((text, tone))
        window.data_changed(frozenset({"kiosk_referral"}))
        window.data_changed(frozenset({"kiosk_referral"}))
        assert said == [("The kiosk sent Emma Lee to the front desk: balance due, waiver missing", "amber")]
    finally:
        store.close()
