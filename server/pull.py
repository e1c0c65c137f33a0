"""Changes after a cursor, in the account's change order, a page at a time."""

from __future__ import annotations

from sqlalchemy import union_all
from sqlmodel import Session, select

from server.account_db import Tombstone, current_usn
from sync.schema import RECORD_TYPES, record_to_wire
from sync.wire import Change, PullResponse

_USN_TABLES = [cls.__table__ for cls in RECORD_TYPES.values()] + [Tombstone.__table__]  # type: ignore[attr-defined]


def pull(db: Session, after: int, limit: int) -> PullResponse:
    """Rows and tombstones with usn > after, lowest usn first, at most `limit` of them.

    Every write takes a usn of its own, so ordering by usn is total and `cursor` (the last usn
    of the page) can be passed back as `after` without skipping or repeating a change. All the
    reads run in one transaction, so the page comes from one snapshot of the database.
    """
    # First only the numbers (cheap, from the usn indexes): where this page ends, and if more follow.
    every_usn = union_all(*(select(t.c.usn.label("usn")).where(t.c.usn > after) for t in _USN_TABLES)).subquery()
    usns = list(db.exec(select(every_usn.c.usn).order_by(every_usn.c.usn).limit(limit + 1)))
    if not usns:
        return PullResponse(changes=[], cursor=after, more=False, head=current_usn(db))
    more = len(usns) > limit
    last = usns[:limit][-1]

    changes: list[Change] = []
    for type_name, cls in RECORD_TYPES.items():
        for row in db.exec(select(cls).where(cls.usn > after, cls.usn <= last)):
            changes.append(Change(type=type_name, id=row.id, usn=row.usn, data=record_to_wire(row)))
    for stone in db.exec(select(Tombstone).where(Tombstone.usn > after, Tombstone.usn <= last)):
        changes.append(Change(type=stone.type, id=stone.id, usn=stone.usn, deleted=True))
    changes.sort(key=lambda c: c.usn)
    return PullResponse(changes=changes, cursor=last, more=more, head=current_usn(db))
