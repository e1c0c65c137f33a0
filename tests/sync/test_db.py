from __future__ import annotations

import threading
import time
from pathlib import Path

from sqlalchemy import text

from sync import db


def test_writes_queue_for_the_lock_instead_of_failing_and_reads_never_wait(tmp_path: Path):
    engine = db.make_engine(tmp_path / "x.sqlite3", synchronous="FULL")
    try:
        with db.write_session(engine) as s:
            s.execute(text("CREATE TABLE t (n INTEGER)"))
        holding, release, order = threading.Event(), threading.Event(), []

        def slow_writer() -> None:
            with db.write_session(engine) as s:
                s.execute(text("INSERT INTO t VALUES (1)"))
                holding.set()
                release.wait(5)
                order.append("first")

        def second_writer() -> None:
            with db.write_session(engine) as s:  # BEGIN IMMEDIATE waits (busy_timeout), no "database is locked"
                s.execute(text("INSERT INTO t VALUES (2)"))
                order.append("second")

        first = threading.Thread(target=slow_writer)
        first.start()
        assert holding.wait(5)
        second = threading.Thread(target=second_writer)
        second.start()
        started = time.monotonic()
        with db.read_session(engine) as s:  # a snapshot read while a writer holds the lock
            assert s.execute(text("SELECT count(*) FROM t")).scalar() == 0
        assert time.monotonic() - started < 2.0  # a blocked read would wait out the 5 s busy timeout
        time.sleep(0.2)
        release.set()
        first.join(5)
        second.join(5)
        assert order == ["first", "second"]
        with engine.connect() as conn:
            assert conn.execute(text("SELECT n FROM t ORDER BY n")).scalars().all() == [1, 2]
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    finally:
        engine.dispose()


def test_a_failed_write_leaves_nothing(tmp_path: Path):
    engine = db.make_engine(tmp_path / "x.sqlite3")
    try:
        with db.write_session(engine) as s:
            s.execute(text("CREATE TABLE t (n INTEGER)"))
        try:
            with db.write_session(engine) as s:
                s.execute(text("INSERT INTO t VALUES (1)"))
                raise RuntimeError("power cut")
        except RuntimeError:
            pass
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM t")).scalar() == 0
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL: the cache's setting
    finally:
        engine.dispose()
