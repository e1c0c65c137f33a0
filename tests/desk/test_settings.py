"""desk.settings: this desk's settings survive restarts, bad files and power cuts."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from desk.settings import DeskSettings, SettingsStore, load, save, settings_path


def test_saved_settings_come_back_and_unknown_keys_are_ignored(tmp_path):
    s = DeskSettings(printer="Front Desk TM-T88", receipt_layout="page", idle_lock_minutes=10)
    s.receipts.check = "email"
    save(s, tmp_path)
    data = json.loads(settings_path(tmp_path).read_text())
    data["from_a_newer_version"] = True
    settings_path(tmp_path).write_text(json.dumps(data))
    loaded = load(tmp_path)
    assert loaded.notice == ""
    assert loaded.settings.printer == "Front Desk TM-T88" and loaded.settings.receipt_layout == "page"
    assert loaded.settings.receipts.for_method("check") == "email"
    assert loaded.settings.receipts.for_method("card_keyed") == "print"
    assert not any(p.name.startswith(".settings-") for p in tmp_path.iterdir())  # no temp file left behind


def test_a_damaged_file_is_kept_aside_and_defaults_are_used(tmp_path):
    settings_path(tmp_path).write_text("{ not json")
    loaded = load(tmp_path)
    assert loaded.settings == DeskSettings()
    kept = [p for p in tmp_path.iterdir() if p.name.startswith("settings.json.bad-")]
    assert len(kept) == 1 and kept[0].read_text() == "{ not json"
    assert kept[0].name in loaded.notice and "usual settings" in loaded.notice
    settings_path(tmp_path).write_text(json.dumps({"receipt_layout": "scroll"}))  # valid JSON, bad value
    assert load(tmp_path).notice


def test_bad_values_are_refused_before_saving(tmp_path):
    with pytest.raises(ValidationError):
        DeskSettings(idle_lock_minutes=-1)
    store = SettingsStore(tmp_path)
    seen = []
    store.subscribe(seen.append)
    store.save(store.current.model_copy(update={"printer": "PDF"}))
    assert seen[0].printer == "PDF" and load(tmp_path).settings.printer == "PDF"


def test_a_failed_write_leaves_the_old_file(tmp_path, monkeypatch):
    save(DeskSettings(printer="old"), tmp_path)

    def fail(*_args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("desk.settings.os.replace", fail)
    with pytest.raises(OSError):
        save(DeskSettings(printer="new"), tmp_path)
    assert load(tmp_path).settings.printer == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["settings.json"]


def test_kiosk_settings_become_the_kiosks_options(tmp_path):
    from desk.kiosk.options import KioskOptions

    s = DeskSettings.model_validate({"kiosk": {"opens_before_minutes": 20, "blocking_alerts": ["waiver"], "idle_seconds": 30}})
    save(s, tmp_path)
    options = KioskOptions.from_settings(load(tmp_path).settings.kiosk)
    assert (options.opens_before_minutes, options.closes_after_minutes, options.blocking_alerts, options.idle_seconds) == (
        20, 15, frozenset({"waiver"}), 30.0)
    assert KioskOptions.from_settings(DeskSettings().kiosk) == KioskOptions()
    with pytest.raises(ValidationError):
        DeskSettings.model_validate({"kiosk": {"blocking_alerts": ["homework"]}})
