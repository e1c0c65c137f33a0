"""First pull of a big account into an empty desk cache, against raw sqlite3 executemany.

What the desk does is timed, from the first page to the last stored: parse each page's JSON as
its client does (sync.pull_apply.parse_page: the rows validated as they are read) and store it
as its engine does (Cache.apply_pull with `more`: upserts, cursor, one transaction a page; the
first pull is a load, so the secondary and search indexes are made after the last page, and that
is timed too), page after page. (Parsing the next page on another thread while one is stored
was tried: both need the GIL, and it was slower.) The baseline inserts the same rows, as tuples,
into the same tables and indexes (all of them present from the start) with executemany in one
transaction per page, on a file with the cache's settings (WAL, synchronous=NORMAL, the cache's
checkpoint interval). The pages' JSON is made before either clock starts. Peak memory is the
process's peak RSS (the pages held included).

    python -m bench.sync_first_pull            # 100k students + 1M attendance rows
    BENCH_SCALE=0.1 python -m bench.sync_first_pull
"""

from __future__ import annotations

import datetime as dt
import os
import resource
import sqlite3
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from bench.dataset import account_changes
from sync.cache import CHECKPOINT_PAGES, Cache
from sync.pull_apply import parse_page
from sync.core.schema import RECORD_TYPES, Attendance, record_to_wire
from sync.core.wire import Change, PullResponse

PAGE = 5000


def attendance_changes(students: list[str], count: int, first_usn: int) -> Iterator[Change]:
    sessions = [str(uuid.UUID(int=i + 1)) for i in range(max(1, count // max(1, len(students)) + 1))]
    usn = first_usn
    day = dt.datetime(2025, 1, 6, 16, 0)
    for i in range(count):
        student = students[i % len(students)]
        session = sessions[i // len(students)]
        usn += 1
        row = Attendance(id=str(uuid.UUID(int=(1 << 100) + i)), session_id=session, student_id=student, status="present",
                         mark_id=str(uuid.UUID(int=(1 << 101) + i)), marked_at=day, staff_id="staff", usn=usn)  # fmt: skip
        yield Change(type="attendance", id=row.id, usn=usn, data=record_to_wire(row))


def pages(students_n: int, attendance_n: int) -> Iterator[bytes]:
    base, _ = account_changes(students_n)
    students = [c.id for c in base if c.type == "student"]
    first_usn = base[-1].usn
    # The families and students are held as the pages' bytes, not as the ~1M objects they were
    # made of: a desk holds one page at a time, and a heap that size made every full garbage
    # collection during the timed part walk it (40% of the desk's time at 100k students).
    head = list(_paged(iter(base)))
    del base
    yield from head
    del head
    yield from _paged(attendance_changes(students, attendance_n, first_usn), last=True)


def _paged(changes: Iterator[Change], last: bool = False) -> Iterator[bytes]:
    """Pages of PAGE changes; with `last`, the final one says no more follow."""
    page: list[Change] = []
    for change in changes:
        if len(page) == PAGE:
            yield PullResponse(changes=page, cursor=page[-1].usn, more=True).model_dump_json().encode()
            page = []
        page.append(change)
    if page:
        yield PullResponse(changes=page, cursor=page[-1].usn, more=not last).model_dump_json().encode()


def run() -> None:
    scale = float(os.environ.get("BENCH_SCALE", "1"))
    students_n, attendance_n = int(100_000 * scale), int(1_000_000 * scale)
    print(f"\nfirst pull: {students_n:,} students (+ families) and {attendance_n:,} attendance rows, pages of {PAGE}")
    bodies = list(pages(students_n, attendance_n))  # made before the clocks start; bytes, not objects
    held_mb = sum(len(b) for b in bodies) / 2**20
    with tempfile.TemporaryDirectory() as tmp:
        cache = Cache(Path(tmp) / "cache.sqlite3")
        rows = 0
        t0 = time.perf_counter()
        for body in bodies:
            page = parse_page(body)  # as the desk's client reads a page (sync.client.ApiClient.pull)
            rows += len(page.changes)
            cache.apply_pull(page.changes, page.cursor, more=page.more)  # as sync.engine stores a page
        ours = time.perf_counter() - t0
        cache.close()

        raw = sqlite3.connect(Path(tmp) / "raw.sqlite3", isolation_level=None)
        raw.execute("PRAGMA journal_mode=WAL")
        raw.execute("PRAGMA synchronous=NORMAL")
        raw.execute(f"PRAGMA wal_autocheckpoint={CHECKPOINT_PAGES}")  # as the cache's (sync.db.make_engine)
        schema = sqlite3.connect(Path(tmp) / "cache.sqlite3")
        for table in ("location", "family", "student", "attendance"):  # the same tables and indexes, no FTS
            for (ddl,) in schema.execute(
                "SELECT sql FROM sqlite_master WHERE tbl_name = ? AND sql IS NOT NULL AND type IN ('table', 'index')"
                " ORDER BY type = 'index'", (table,)):  # fmt: skip
                raw.execute(ddl)
        schema.close()
        base = 0.0
        for body in bodies:
            page = PullResponse.model_validate_json(body)  # the rows as plain dicts, for the baseline
            grouped: dict[str, list[tuple]] = {}
            for c in page.changes:  # tuples made outside the timing: the baseline only inserts
                cls = RECORD_TYPES[c.type]
                cols = [name for name in cls.__table__.columns.keys()]  # type: ignore[attr-defined]
                data = {**(c.data or {}), "id": c.id, "usn": c.usn}
                grouped.setdefault(c.type, []).append(tuple(data.get(col) for col in cols))
            t0 = time.perf_counter()
            raw.execute("BEGIN")
            for type_name, tuples in grouped.items():
                cls = RECORD_TYPES[type_name]
                table = cls.__table__.name  # type: ignore[attr-defined]
                marks = ",".join("?" * len(tuples[0]))
                raw.executemany(f"INSERT OR REPLACE INTO {table} VALUES ({marks})", tuples)
            raw.execute("COMMIT")
            base += time.perf_counter() - t0
        raw.close()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  desk first pull : {rows / ours:>10,.0f} rows/s  ({ours:.1f} s for {rows:,} rows, JSON parse included)")
    print(f"  raw executemany : {rows / base:>10,.0f} rows/s  ({base:.1f} s)")
    print(f"  ratio           : {base / ours:.2f} of the raw rate (goal >= 0.50)")
    print(f"  peak RSS        : {peak_mb:,.0f} MB, of which {held_mb:,.0f} MB are the pages this benchmark holds")


if __name__ == "__main__":
    run()
