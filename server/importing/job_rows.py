"""Import jobs as every server process sees them: one row each in the registry.

A job runs on a thread of the process that started it, but its desk may ask any process behind
the proxy how it goes, or cancel it. So its state lives in a row here, written by its process
(progress at most every TICK_S, a heartbeat every HEARTBEAT_S) and read by all.

Why the registry and not the account's database: the job holds the account database's one write
transaction while it writes (SQLite has a single writer), so its own progress could not be
written there until it is over. The rows carry the account id, and nothing of the account's
records: the file stays in the account's database (server.importing.stored).

A row still "running" whose heartbeat is older than STALE_S belongs to a process that died; its
one transaction was rolled back with it. It reads as failed, and no longer stops a new import.
"One import per account at a time" is a unique index on the account's running row, so two
processes starting one at once cannot both succeed.
"""

from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass
from typing import Any

from pydantic import NaiveDatetime  # plain DateTime column (SQLModel maps datetime to a tz-aware one)
from sqlalchemy import JSON, Column, Index, delete, insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session

from server.registry import Registry, RegistryBase
from sync.core.ids import utcnow

TICK_S = 0.5  # progress written, and cancel looked for, at most this often
HEARTBEAT_S = 5.0  # a running job's row is touched at least this often, even with no progress
STALE_S = 30.0  # a running row not touched for this long: its process is gone
KEEP_S = 24 * 3600  # ended jobs are forgotten after a day (the audit log keeps what happened)
STOPPED = "The server stopped during the import; nothing was written. Try again."
RUNNER = f"{socket.gethostname()}:{os.getpid()}"


class ImportJobRow(RegistryBase, table=True):
    __tablename__ = "import_job"
    __table_args__ = (
        Index("ux_import_job_running", "account_id", unique=True,
              sqlite_where=text("state = 'running'"), postgresql_where=text("state = 'running'")),  # fmt: skip
    )
    account_id: str = Field(primary_key=True, max_length=36)
    id: str = Field(primary_key=True, max_length=36)
    upload_id: str = Field(max_length=36)
    file_name: str = Field(max_length=200)
    sha256: str = Field(max_length=64)
    staff_id: str = Field(max_length=36)
    desk_id: str = Field(max_length=36)
    runner: str = Field(max_length=200)  # host:pid of the process running it, for people reading logs
    state: str = Field(max_length=16)  # running | done | failed | cancelled
    phase: str = ""
    done: int = 0
    total: int = 0
    message: str = ""
    counts: dict[str, int] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    cancel_requested: bool = False
    heartbeat: float  # seconds since the epoch: every process shares this clock
    started_at: NaiveDatetime = Field(default_factory=utcnow)
    ended_at: NaiveDatetime | None = None


_t = ImportJobRow.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Progress:
    phase: str
    done: int
    total: int


class Busy(Exception):
    """Another import of this account is running."""


class JobRows:
    """The registry's import_job table, for one server process."""

    def __init__(self, registry: Registry, clock=time.time):  # noqa: ANN001 - a () -> float
        self.engine, self.writer, self.clock = registry.engine, registry.writer, clock

    def _key(self, account_id: str, job_id: str):  # noqa: ANN202
        return (_t.c.account_id == account_id) & (_t.c.id == job_id)

    def _stale(self):  # noqa: ANN202
        return (_t.c.state == "running") & (_t.c.heartbeat < self.clock() - STALE_S)

    def start(self, *, account_id: str, job_id: str, upload_id: str, file_name: str, sha256: str, staff_id: str,
              desk_id: str, phase: str) -> None:  # fmt: skip
        """The job's row, running; Busy when another of the account's jobs runs (atomically: the
        SQLite writer's lock, and on PostgreSQL the unique index of running rows)."""
        now = self.clock()
        try:
            with Session(self.writer) as db:
                # A dead process's row would hold the index: it failed (the caller reaped it first with
                # words in the audit log; this only closes a race with that).
                db.execute(update(_t).where((_t.c.account_id == account_id) & self._stale())
                           .values(state="failed", message=STOPPED, ended_at=utcnow()))  # fmt: skip
                if db.execute(select(_t.c.id).where((_t.c.account_id == account_id) & (_t.c.state == "running"))).first():
                    raise Busy()
                db.execute(delete(_t).where((_t.c.state != "running") & (_t.c.heartbeat < now - KEEP_S)))
                db.execute(insert(_t).values(account_id=account_id, id=job_id, upload_id=upload_id, file_name=file_name,
                                             sha256=sha256, staff_id=staff_id, desk_id=desk_id, runner=RUNNER,
                                             state="running", phase=phase, heartbeat=now, started_at=utcnow()))  # fmt: skip
                db.commit()
        except IntegrityError:  # PostgreSQL: another process inserted the account's running row first
            raise Busy() from None

    def get(self, account_id: str, job_id: str) -> ImportJobRow | None:
        with Session(self.engine) as db:
            return db.get(ImportJobRow, (account_id, job_id))

    def is_stale(self, row: ImportJobRow) -> bool:
        return row.state == "running" and row.heartbeat < self.clock() - STALE_S

    def stale(self, account_id: str) -> list[ImportJobRow]:
        with Session(self.engine) as db:
            return list(db.scalars(select(ImportJobRow).where((_t.c.account_id == account_id) & self._stale())))

    def running_uploads(self, account_id: str) -> set[str]:
        """The files the account's running imports read (a dead process's do not count)."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(_t.c.upload_id).where((_t.c.account_id == account_id) & (_t.c.state == "running")
                                                             & (_t.c.heartbeat >= self.clock() - STALE_S)))  # fmt: skip
            return {uid for (uid,) in rows}

    def beat(self, account_id: str, job_id: str, progress: Progress) -> bool | None:
        """Progress and heartbeat of a running job; returns whether cancel was asked, None when the
        row is no longer running (another process declared it dead)."""
        with Session(self.writer) as db:
            asked = db.execute(update(_t).where(self._key(account_id, job_id) & (_t.c.state == "running"))
                               .values(phase=progress.phase, done=progress.done, total=progress.total, heartbeat=self.clock())
                               .returning(_t.c.cancel_requested)).scalar_one_or_none()  # fmt: skip
            db.commit()
        return asked

    def cancel_asked(self, account_id: str, job_id: str) -> bool:
        with self.engine.connect() as conn:
            return bool(conn.execute(select(_t.c.cancel_requested).where(self._key(account_id, job_id))).scalar())

    def ask_cancel(self, account_id: str, job_id: str) -> None:
        with Session(self.writer) as db:
            db.execute(update(_t).where(self._key(account_id, job_id) & (_t.c.state == "running")).values(cancel_requested=True))
            db.commit()

    def end(self, account_id: str, job_id: str, *, state: str, message: str, progress: Progress,
            counts: dict[str, Any] | None, only_if_stale: bool = False) -> bool:  # fmt: skip
        """Write how a job ended; `only_if_stale`: only if it is still running and silent (a reaper),
        so of two processes reaping it at once one does. Returns whether the row was changed."""
        where = self._key(account_id, job_id)
        if only_if_stale:
            where = where & self._stale()
        with Session(self.writer) as db:
            changed = db.execute(update(_t).where(where).values(
                state=state, message=message, phase=progress.phase, done=progress.done, total=progress.total, counts=counts,
                heartbeat=self.clock(), ended_at=utcnow())).rowcount  # fmt: skip
            db.commit()
        return changed == 1
