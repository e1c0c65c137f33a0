"""Changes after a cursor, in the account's change order, a page at a time."""

from __future__ import annotations

import functools
import threading
import time

from sqlalchemy import bindparam, literal, union_all
from sqlmodel import Session, col, select

from server.account_db import Tombstone, current_usn
from sync.core.schema import RECORD_TYPES, record_to_wire
from sync.core.wire import Change, PullResponse

_USN_TABLES = [cls.__table__ for cls in RECORD_TYPES.values()] + [Tombstone.__table__]  # type: ignore[attr-defined]
_TOMBSTONES = len(_USN_TABLES) - 1
_TYPE_INDEX = {name: i for i, name in enumerate(RECORD_TYPES)}
EVERY_TYPE: frozenset[str] = frozenset(RECORD_TYPES)


@functools.cache
def _page_statement(tables: frozenset[int]):  # noqa: ANN202
    """The page's numbers over some of the tables, built once per set of tables: a statement
    object caches its compiled form, and building this union anew cost more than running it
    (bench/load's profile). Tombstones are filtered by the types the pull may bring."""
    parts = []
    for i in sorted(tables):
        t = _USN_TABLES[i]
        where = (t.c.usn > bindparam("after")) & (t.c.usn <= bindparam("upto"))
        if i == _TOMBSTONES:
            where &= t.c.type.in_(bindparam("types", expanding=True))
        parts.append(select(t.c.usn.label("usn"), literal(i).label("t")).where(where))
    every = union_all(*parts).subquery()
    return select(every.c.usn, every.c.t).order_by(every.c.usn).limit(bindparam("limit"))


def pull(db: Session, after: int, limit: int, types: frozenset[str] = EVERY_TYPE, until: int | None = None,
         head: int | None = None) -> PullResponse:  # fmt: skip
    """Rows and tombstones of `types` with after < usn <= until (the head when None), lowest usn
    first, at most `limit` of them.

    Every write takes a usn of its own, and a usn is taken under the counter's row lock, so no
    change below the head read here can still commit: when the page is not full, everything up
    to the head has been seen, and `cursor` moves there even past changes of other types (a
    coach's desk is not asked again about the ledger rows it may not see). When it is full,
    `cursor` is the last usn of the page, to be passed back as `after`. A pull of some types
    below `until` fills in what a desk lacks (server.api.routes.sync: records a staff member
    newly may see).

    On SQLite the reads run in one transaction (one snapshot). On PostgreSQL they may run each
    on its own (server.api.routes.sync: no BEGIN and ROLLBACK round trips), which is what READ
    COMMITTED gives inside a transaction too, and as safe: a row that changes after the head was
    read takes a usn above it, so it leaves this page's range and comes in a later one, and no
    row enters the range once the head was read.
    """
    types = frozenset(types) & EVERY_TYPE
    # First only the numbers (cheap, from the usn indexes): where this page ends, if more follow,
    # and which tables hold the page's rows, so only those are read (a desk's pull after a
    # check-in touches two or three of them, not every one).
    if head is None:
        head = current_usn(db)
    upto = head if until is None else min(until, head)
    if after >= upto or not types:  # the usual answer to a desk that is up to date: one read
        return PullResponse(changes=[], cursor=max(after, upto), more=False, head=head, types=sorted(types))
    statement = _page_statement(frozenset(_TYPE_INDEX[t] for t in types) | {_TOMBSTONES})
    found = list(db.execute(statement, {"after": after, "upto": upto, "limit": limit + 1, "types": sorted(types)}))
    more = len(found) > limit
    found = found[:limit]
    last = found[-1][0] if more else upto
    tables = {t for _usn, t in found}

    changes: list[Change] = []
    for i, (type_name, cls) in enumerate(RECORD_TYPES.items()):
        if i not in tables:
            continue
        for row in db.exec(select(cls).where(cls.usn > after, cls.usn <= last)):
            changes.append(Change(type=type_name, id=row.id, usn=row.usn, data=record_to_wire(row)))
    if _TOMBSTONES in tables:
        stones = select(Tombstone).where(Tombstone.usn > after, Tombstone.usn <= last, col(Tombstone.type).in_(types))
        for stone in db.exec(stones):
            changes.append(Change(type=stone.type, id=stone.id, usn=stone.usn, deleted=True))
    changes.sort(key=lambda c: c.usn)
    return PullResponse(changes=changes, cursor=last, more=more, head=head, types=sorted(types))


class RecentPages:
    """Pages answered in the last few seconds, by everything that decides one: the account, the
    range (after the cursor, up to the head or `until`), the page size and the record types.

    After a push every other desk of the account wakes and asks for the same range at once
    (bench/load: four pulls of one page per check-in, each four round trips on PostgreSQL); the
    first reads it, the others are answered from here. Safe because a range's content only ever
    leaves it: a row written again takes a change number above the head and comes in a later
    page, and nothing new can take a number at or below the head. So a page kept for a few
    seconds is what a desk that asked a moment earlier was given, and every desk still ends equal
    to the server. Small pages only: the live case, not a new desk's first pull.
    """

    def __init__(self, seconds: float = 2.0, most: int = 2000, largest: int = 200):
        self.seconds, self.most, self.largest = seconds, most, largest
        self._pages: dict[tuple, tuple[float, PullResponse]] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple) -> PullResponse | None:
        with self._lock:
            held = self._pages.get(key)
        if held is None or time.monotonic() - held[0] > self.seconds:
            return None
        return held[1]

    def put(self, key: tuple, page: PullResponse) -> None:
        if not page.changes or len(page.changes) > self.largest:
            return
        now = time.monotonic()
        with self._lock:
            self._pages[key] = (now, page)
            # Oldest first (insertion order): drop what expired, and the oldest beyond `most`.
            while self._pages:
                oldest_key, (at, _page) = next(iter(self._pages.items()))
                if now - at <= self.seconds and len(self._pages) <= self.most:
                    break
                del self._pages[oldest_key]
