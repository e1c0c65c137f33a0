"""The nightly round: every account's sessions planned ahead (server.sessions), once a day.

Runs in the server's lifespan: FIRST_DELAY seconds after start (a server that was down over
night catches up; not at once, so a start or a restart is not slowed by opening every account),
then whenever the clock's UTC day has changed since an account's last round, looked at every
CHECK_SECONDS. Several server processes may each run it: planning is idempotent and takes the
account's write lock, so the second finds nothing to do.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

from server.sessions import plan_sessions
from server.state import ServerState
from sync.core.clock import SYSTEM, Clock

log = logging.getLogger("frontdesk.server.nightly")
CHECK_SECONDS = 600.0
FIRST_DELAY = 120.0


class Nightly:
    def __init__(self, state: ServerState, clock: Clock = SYSTEM, ring=None):
        self.state, self.clock, self.ring = state, clock, ring
        self.done: dict[str, dt.date] = {}  # account id -> the UTC day of its last round
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="nightly-sessions")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass

    async def _run(self) -> None:
        await asyncio.sleep(FIRST_DELAY)
        while True:
            await asyncio.to_thread(self.round)
            await asyncio.sleep(CHECK_SECONDS)

    def round(self) -> int:
        """Plan every account not yet planned on the clock's day; returns how many were."""
        today = self.clock.now().date()
        count = 0
        for account in self.state.registry.accounts():
            if self.done.get(account.id) == today:
                continue
            try:
                adb = self.state.account_db(account)
                with adb.write_session() as db:
                    plan = plan_sessions(db, self.clock)
                    db.commit()
            except Exception:  # one account's trouble must not stop the others' sessions
                log.exception("nightly sessions: account %s", account.id)
                continue
            self.done[account.id] = today
            count += 1
            if plan.changed and self.ring is not None:
                self.ring(account.id)
        return count
