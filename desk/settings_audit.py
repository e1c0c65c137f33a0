"""Every save of this desk's settings becomes a `desk.settings` change in the outbox (sync.core.settings_audit),
so the account's audit log shows who changed which setting, from what to what, even offline.

    audit = SettingsAudit(settings_store, desk_store, on_error=window.notify)
    ...
    audit.close()                      # when the window closes

Qt-free: the store calls back on the event loop's thread, and the change is recorded on the desk
store's writer thread like any other.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from desk.settings import DeskSettings, SettingsStore
from sync.errors import SyncError
from sync.core.settings_audit import DESK_SETTINGS, setting_changes
from sync.store import DeskStore

log = logging.getLogger(__name__)


class SettingsAudit:
    def __init__(self, settings: SettingsStore, store: DeskStore,
                 on_error: Callable[[str, str], None] | None = None):  # fmt: skip
        self.settings = settings
        self.store = store
        self.on_error = on_error
        self._seen = settings.current.model_dump(mode="json")
        self._tasks: set[asyncio.Task] = set()
        self._unsubscribe = settings.subscribe(self._saved)

    def close(self) -> None:
        self._unsubscribe()

    async def settled(self) -> None:
        """Wait for the changes being recorded now (tests, and sign-out)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def _saved(self, new: DeskSettings) -> None:
        now = new.model_dump(mode="json")
        changes = setting_changes(self._seen, now)
        self._seen = now
        if not changes:
            return
        task = asyncio.get_running_loop().create_task(self._record(changes))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _record(self, changes: dict) -> None:
        try:
            await self.store.record(DESK_SETTINGS, {"changes": changes})
        except SyncError as exc:  # nobody signed in, or the outbox refuses: the settings stay saved
            log.warning("settings change not recorded for the audit log: %s", exc.message)
            if self.on_error is not None:
                self.on_error(f"Settings saved, but the change could not be recorded for the audit log: {exc.message}", "amber")
        except Exception:
            log.exception("settings change not recorded for the audit log")
            if self.on_error is not None:
                self.on_error("Settings saved, but the change could not be recorded for the audit log.", "amber")
