"""Changes after a cursor, in the account's change order, a page at a time."""

from __future__ import annotations

from sqlalchemy import bindparam, literal, union_all
from sqlmodel import Session, select

from server.account_db import Tombstone, current_usn
from sync.schema import RECORD_TYPES, record_to_wire
from sync.wire import Change, PullResponse

_USN_TABLES = [cls.__table__ for cls in RECORD_TYPES.values()] + [Tombstone.__table__]  # type: ignore[attr-defined]
_TOMBSTONES = len(_USN_TABLES) - 1
# The page's numbers and tables, built once: a statement object caches its compiled form, and
# building this union of every table anew cost more than running it (bench/load's profile).
_EVERY_USN = union_all(
    *(select(t.c.usn.label("usn"), literal(i).label("t")).where(t.c.usn > bindparam("after")) for i, t in enumerate(_USN_TABLES))
).subquery()
_PAGE = select(_EVERY_USN.c.usn, _EVERY_USN.c.t).order_by(_EVERY_USN.c.usn).limit(bindparam("limit"))


def pull(db: Session, after: int, limit: int) -> PullResponse:
    """Rows and tombstones with usn > after, lowest usn first, at most `limit` of them.

    Every write takes a usn of its own, so ordering by usn is total and `cursor` (the last usn
    of the page) can be passed back as `after` without skipping or repeating a change. All the
    reads run in one transaction, so the page comes from one snapshot of the database.
    """
    # First only the numbers (cheap, from the usn indexes): where this page ends, if more follow,
    # and which tables hold the page's rows, so only those are read (a desk's pull after a
    # check-in touches two or three of them, not every one).
    head = current_usn(db)
    if after >= head:  # the usual answer to a desk that is up to date: one read
        return PullResponse(changes=[], cursor=after, more=False, head=head)
    found = list(db.execute(_PAGE, {"after": after, "limit": limit + 1}))
    if not found:
        return PullResponse(changes=[], cursor=after, more=False, head=current_usn(db))
    more = len(found) > limit
    last = found[:limit][-1][0]
    tables = {t for _usn, t in found[:limit]}

    changes: list[Change] = []
    for i, (type_name, cls) in enumerate(RECORD_TYPES.items()):
        if i not in tables:
            continue
        for row in db.exec(select(cls).where(cls.usn > after, cls.usn <= last)):
            changes.append(Change(type=type_name, id=row.id, usn=row.usn, data=record_to_wire(row)))
    if _TOMBSTONES in tables:
        for stone in db.exec(select(Tombstone).where(Tombstone.usn > after, Tombstone.usn <= last)):
            changes.append(Change(type=stone.type, id=stone.id, usn=stone.usn, deleted=True))
    changes.sort(key=lambda c: c.usn)
    return PullResponse(changes=changes, cursor=last, more=more, head=current_usn(db))
