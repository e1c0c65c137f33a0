"""SQLite engines for the desk's two files (cache and outbox).

pysqlite's own transaction handling is switched off and replaced by explicit BEGINs (the
SQLAlchemy recipe), so that a write transaction can say BEGIN IMMEDIATE: it takes the write lock
up front instead of failing half way with "database is locked" when it first writes.
Reads use a plain (deferred) BEGIN, so in WAL mode they never wait for the writer.

Connections are handed between threads (reads on the UI thread, writes on the one writer
thread), hence check_same_thread=False; SQLite itself is in serialized mode and the pool never
gives one connection to two threads at once.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

from sqlalchemy import Connection, Engine, create_engine, event
from sqlmodel import Session

Synchronous = Literal["OFF", "NORMAL", "FULL"]
BUSY_TIMEOUT_MS = 5000
_BEGIN_OPTION = "frontdesk_begin"


def make_engine(path: Path, synchronous: Synchronous = "NORMAL", wal_autocheckpoint: int | None = None) -> Engine:
    """An engine on one SQLite file in WAL mode with the given durability (and, when given, how
    many WAL pages may gather before SQLite copies them into the database file)."""
    engine = create_engine(
        f"sqlite+pysqlite:///{path}",
        connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000},
        pool_size=4,
        max_overflow=8,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: object) -> None:
        dbapi_conn.isolation_level = None  # we send BEGIN ourselves (see _on_begin)
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA synchronous={synchronous}")
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        if wal_autocheckpoint is not None:
            cur.execute(f"PRAGMA wal_autocheckpoint={int(wal_autocheckpoint)}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get(_BEGIN_OPTION, "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


def writer(engine: Engine) -> Engine:
    """The same engine (same pool) whose transactions begin IMMEDIATE: use it for every write."""
    return engine.execution_options(**{_BEGIN_OPTION: "IMMEDIATE"})


@contextmanager
def write_session(engine: Engine) -> Iterator[Session]:
    """One write transaction: committed when the block ends, rolled back if it raises."""
    with Session(writer(engine), expire_on_commit=False) as session:
        with session.begin():
            yield session


@contextmanager
def read_session(engine: Engine) -> Iterator[Session]:
    """A read snapshot; nothing is written, the transaction just ends with the block."""
    with Session(engine, autoflush=False) as session:
        yield session
