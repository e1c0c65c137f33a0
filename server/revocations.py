"""Sign-ins whose access tokens die before they expire (issue 19: "signing out revokes the
access token at once").

Every access token names its sign-in (claim "sid": the family of refresh tokens it came from).
Signing out, reusing a refresh token, disabling a staff member and retiring a desk write the
family into the registry's revoked_session table, kept until the last access token it could have
issued has expired. Each server process holds that short list in memory and reads it again at
most every RECHECK seconds, in a thread, so the hot path costs a set lookup; the process that
revoked knows at once, the others within RECHECK.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterable

from sqlalchemy import delete
from sqlmodel import Session, select

from server.registry import Registry, RevokedSession
from sync.core.ids import utcnow

RECHECK = 1.0  # seconds a process trusts its list
PRUNE_EVERY = 600.0  # seconds between deletions of rows whose tokens have all expired


class Revocations:
    """This process's copy of the revoked sign-ins."""

    def __init__(self, registry: Registry, recheck: float = RECHECK):
        self.registry = registry
        self.recheck = recheck
        self._ids: frozenset[str] = frozenset()
        self._read_at = float("-inf")
        self._pruned_at = float("-inf")
        # Noted by this process since the last read began: a read that raced the revoking
        # transaction must not drop them.
        self._recent: set[str] = set()
        self._lock = threading.Lock()

    def stale(self) -> bool:
        return time.monotonic() - self._read_at >= self.recheck

    def revoked(self, session_id: str) -> bool:
        """Whether the sign-in is revoked, by the list as last read (no I/O)."""
        return bool(session_id) and session_id in self._ids

    def reload(self) -> None:
        """Read the list again (blocks: call it in a thread); old rows are dropped now and then."""
        with self._lock:
            if not self.stale():
                return
            now = utcnow()
            with Session(self.registry.engine) as db:
                ids = frozenset(db.exec(select(RevokedSession.session_id).where(RevokedSession.until > now)).all())
            self._ids = ids | self._recent
            self._recent = set()
            self._read_at = time.monotonic()
            prune = self._read_at - self._pruned_at > PRUNE_EVERY
            if prune:
                self._pruned_at = self._read_at
        if prune:
            self._prune(now)

    def note(self, session_ids: Iterable[str]) -> None:
        """Known here at once (this process revoked them), before the next read."""
        ids = set(session_ids)
        with self._lock:
            self._ids = self._ids | ids
            self._recent |= ids

    def _prune(self, now: dt.datetime) -> None:
        with Session(self.registry.writer) as db:
            db.execute(delete(RevokedSession).where(RevokedSession.until <= now))
            db.commit()
