"""Saving this desk's settings lands in the account's audit log: who, which setting, before and after.

The desk's real SettingsStore (a file in a temporary folder) and DeskStore, the real sync engine,
and the real server over HTTP on loopback. Secrets are named but not shown; staff who may not
manage settings see the change refused (needs attention) and the server audits the refusal.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from desk.settings import DeskSettings, SettingsStore
from desk.settings_audit import SettingsAudit
from server import admin
from sync.client import ApiClient
from sync.engine import SyncEngine
from sync.core.settings_audit import HIDDEN, setting_changes
from tests.helpers.server_process import ThreadedServer
from tests.sync.conftest import FAST, server_rows, sign_in

pytestmark = [pytest.mark.timeout(60)]
PASSWORD = "correct horse"


def test_changes_are_named_by_setting_with_secrets_hidden():
    before = {"printer": None, "kiosk": {"opens_before_minutes": 30, "exit_pin_hash": "a"}, "rules": [1]}
    after = {"printer": "TM-T20", "kiosk": {"opens_before_minutes": 20, "exit_pin_hash": "b"}, "rules": [1]}
    assert setting_changes(before, after) == {
        "printer": {"before": None, "after": "TM-T20"},
        "kiosk.opens_before_minutes": {"before": 30, "after": 20},
        "kiosk.exit_pin_hash": {"before": HIDDEN, "after": HIDDEN},
    }
    assert setting_changes(after, after) == {}


def audit_rows(data_dir: Path) -> list[tuple[str, str, dict]]:
    rows = server_rows(data_dir, "SELECT action, staff_id, detail FROM audit_event WHERE detail LIKE '%desk.settings%' ORDER BY at")
    return [(action, staff, json.loads(detail)) for action, staff, detail in rows]


@pytest.mark.asyncio
async def test_a_saved_setting_is_audited_with_before_and_after(server_account, http, desks, tmp_path):
    data_dir = server_account["data_dir"]
    owner_id = admin.add_staff(data_dir, "acme", "olive", PASSWORD, group="owner")
    with ThreadedServer(data_dir) as server:
        desk = desks("a")
        client = ApiClient(http, server.url)
        await sign_in(client, desk, {**server_account, "username": "olive", "password": PASSWORD})
        engine = SyncEngine(desk, client, **FAST)
        settings = SettingsStore(tmp_path / "config")
        audit = SettingsAudit(settings, desk)
        try:
            settings.save(settings.current.model_copy(update={"idle_lock_minutes": 9.0, "printer": "Front TM-T20"}))
            settings.save(settings.current)  # saved again unchanged: nothing more to say
            await audit.settled()
            assert desk.outbox.counts()["pending"] == 1
            await engine.sync_now()
        finally:
            audit.close()
            await engine.stop()
        assert desk.outbox.counts()["pending"] == 0
        (action, staff_id, detail), = audit_rows(data_dir)
        assert action == "mutation.applied" and staff_id == owner_id
        assert detail["changes"] == {
            "idle_lock_minutes": {"before": DeskSettings().idle_lock_minutes, "after": 9.0},
            "printer": {"before": None, "after": "Front TM-T20"},
        }
        assert server_rows(data_dir, "SELECT desk_id FROM audit_event WHERE action = 'mutation.applied' "
                           "AND detail LIKE '%desk.settings%'") == [(desk.desk_id,)]
        # Closed: later saves (another window's) are not recorded twice.
        settings.save(settings.current.model_copy(update={"sounds": not settings.current.sounds}))
        await audit.settled()
        assert desk.outbox.counts()["pending"] == 0


@pytest.mark.asyncio
async def test_staff_who_may_not_manage_settings_are_refused_and_audited(server_account, http, desks, tmp_path):
    data_dir = server_account["data_dir"]
    with ThreadedServer(data_dir) as server:
        desk = desks("a")
        client = ApiClient(http, server.url)
        await sign_in(client, desk, server_account)  # alex: front desk, no settings.manage
        engine = SyncEngine(desk, client, **FAST)
        settings = SettingsStore(tmp_path / "config")
        audit = SettingsAudit(settings, desk)
        try:
            settings.save(settings.current.model_copy(update={"swipe_max_gap_ms": 45}))
            await audit.settled()
            await engine.sync_now()
        finally:
            audit.close()
            await engine.stop()
        counts = desk.outbox.counts()
        assert counts["pending"] == 0 and counts["rejected"] == 1  # in "needs attention", the queue moved on
        (action, staff_id, detail), = audit_rows(data_dir)
        assert action == "mutation.rejected" and staff_id == server_account["staff_id"] and detail["code"] == "forbidden"


@pytest.mark.asyncio
async def test_nobody_signed_in_saves_settings_and_says_it_was_not_audited(desks, tmp_path):
    desk = desks("a")
    desk.staff_id = None
    told: list[tuple[str, str]] = []
    settings = SettingsStore(tmp_path / "config")
    audit = SettingsAudit(settings, desk, on_error=lambda text, tone: told.append((text, tone)))
    try:
        settings.save(settings.current.model_copy(update={"sounds": not settings.current.sounds}))
        await audit.settled()
    finally:
        audit.close()
    assert settings.current.sounds is not DeskSettings().sounds  # the settings themselves are saved
    assert desk.outbox.counts()["pending"] == 0
    assert told and told[0][1] == "amber" and "audit log" in told[0][0]
