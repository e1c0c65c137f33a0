"""SQLite engines that behave under concurrent requests.

pysqlite's own transaction handling starts transactions late and as DEFERRED, so two writers can
both read, then one fails with "database is locked" when it upgrades. We take over: the driver
is put in autocommit mode and SQLAlchemy's begin emits BEGIN ourselves, IMMEDIATE for writers,
so a writer waits (busy_timeout) for the lock up front instead of failing half way.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, create_engine, event

BUSY_TIMEOUT_MS = 30_000
_BEGIN_OPTION = "frontdesk_sqlite_begin"


def sqlite_engine(path: Path, **kwargs) -> Engine:
    """An engine on a SQLite file in WAL mode; use `writer(engine)` for write transactions.

    `kwargs` go to create_engine (e.g. a poolclass)."""
    engine = create_engine(
        f"sqlite:///{path}",
        connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000},
        **kwargs,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        # The server's databases are the copy of record: a commit must survive a power cut.
        cur.execute("PRAGMA synchronous=FULL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        mode = conn.get_execution_options().get(_BEGIN_OPTION, "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


def writer(engine: Engine) -> Engine:
    """The same pool, but transactions take the write lock at BEGIN."""
    if engine.dialect.name != "sqlite":
        return engine
    return engine.execution_options(**{_BEGIN_OPTION: "IMMEDIATE"})


SQLITE_BUSY, SQLITE_LOCKED = 5, 6


def lock_contention(exc: BaseException) -> bool:
    """Another connection held the file past busy_timeout: SQLITE_BUSY or SQLITE_LOCKED, told by
    the driver's result code (an extended code keeps the primary one in its low byte)."""
    orig = getattr(exc, "orig", None) or exc
    code = getattr(orig, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in (SQLITE_BUSY, SQLITE_LOCKED)
