"""A plan written into the account database, inside the caller's transaction.

Rows go in by bulk insert, in chunks, each with its own change number (usn) from one reserved
range, referenced records first (families before their guardians and students), so a desk's pull
brings them like any other change. Cancel is checked between chunks; the caller rolls back.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import insert
from sqlmodel import Session

from server.account_db import reserve_usns
from server.importing.plan import Cancelled, Plan, Progress
from sync.core.schema import RECORD_TYPES

CHUNK = 2000


def write_plan(db: Session, plan: Plan, *, progress: Progress | None = None,
               cancelled: Callable[[], bool] | None = None) -> tuple[int, int] | None:  # fmt: skip
    """Insert every planned record; returns the (first, last) usn given, None when there was nothing."""
    total = plan.total_records
    if total == 0:
        return None
    first = usn = reserve_usns(db, total)
    done = 0
    for cls in RECORD_TYPES.values():  # referenced rows first, as a pull brings them
        rows = plan.records.get(cls, [])
        for i in range(0, len(rows), CHUNK):
            if cancelled is not None and cancelled():
                raise Cancelled()
            chunk = rows[i : i + CHUNK]
            for row in chunk:
                row["usn"] = usn
                usn += 1
            db.execute(insert(cls.__table__), chunk)  # type: ignore[attr-defined]
            done += len(chunk)
            if progress is not None:
                progress("Writing to the account", done, total)
    return first, usn - 1
