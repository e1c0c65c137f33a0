"""This desk's swiper settings at work: the business's own member-card rule, and the key gap."""

from __future__ import annotations

import asyncio

import pytest
from pydantic import ValidationError

from desk.settings import DeskSettings, SettingsStore, save
from desk.swipe_handling import install_swiper, usb_models
from desk.widgets.main_window import MainWindow
from devices.cards import MemberSwipe
from tests.desk.fakes import FakeStore
from tests.desk.desk_helpers import until
from tests.helpers.keys import type_text

pytestmark = pytest.mark.gui
ASYNC = pytest.mark.asyncio(loop_factories=["qasync"])
TAG = "%GYM*123456?\r"  # a gym's key tag on track 1: its own prefix, a star, six digits


async def window_with(qtbot, tmp_path, settings: DeskSettings):
    save(settings, tmp_path)
    window = MainWindow(FakeStore(), staff_name="Alex", account_name="Acme", settings=SettingsStore(tmp_path))
    qtbot.addWidget(window)
    window.show()
    window.activateWindow()
    await until(window.isActiveWindow, what="the main window active")
    kem = install_swiper(window, usb=False)
    got: list = []
    kem.swiped.connect(got.append)
    window.checkin.search.setFocus()
    return window, got


async def typed(window, text: str, gap_ms: float) -> None:
    type_text(text, gap_ms=gap_ms)
    await asyncio.sleep(0.4)  # past the detector's stall time: a half-typed burst is settled


@ASYNC
async def test_the_business_own_member_card_rule_is_used(qtbot, tmp_path):
    rule = {"name": "key tags", "track": 1, "pattern": r"GYM\*(?P<number>\d{6})"}
    window, got = await window_with(qtbot, tmp_path, DeskSettings.model_validate({"member_card_rules": [rule]}))
    await typed(window, TAG, 3)
    assert got == [MemberSwipe("123456", "key tags")]
    assert window.checkin.search.text() == ""  # the burst never reached the field


@ASYNC
async def test_without_the_rule_the_tag_is_not_a_member_card(qtbot, tmp_path):
    window, got = await window_with(qtbot, tmp_path, DeskSettings())
    await typed(window, TAG, 3)
    assert len(got) == 1 and not isinstance(got[0], MemberSwipe)


@ASYNC
async def test_a_new_key_gap_applies_at_once(qtbot, tmp_path):
    window, got = await window_with(qtbot, tmp_path, DeskSettings())
    await typed(window, ";00423817?\r", 12)  # a slowish swiper: within the default 30 ms
    assert len(got) == 1
    window.settings.save(window.settings.current.model_copy(update={"swipe_max_gap_ms": 8}))
    await typed(window, ";00423817?", 12)  # now it is a person typing: the keys reach the field
    assert len(got) == 1 and window.checkin.search.text() == ";00423817?"


def test_bad_rules_are_refused_and_usb_models_extend_the_table(tmp_path):
    with pytest.raises(ValidationError, match="not a valid regular expression"):
        DeskSettings.model_validate({"member_card_rules": [{"name": "x", "track": 2, "pattern": "(unclosed"}]})
    save(DeskSettings.model_validate({"usb_swipers": [{"name": "Acme reader", "vendor_id": 0x1234, "protocol": "magtek"}]}),
         tmp_path)
    models = usb_models(SettingsStore(tmp_path))
    assert models[-1].name == "Acme reader" and models[-1].vendor_id == 0x1234 and models[-1].product_id is None
    assert any(m.name.startswith("MagTek") for m in models)
