"""Taking back what a money change showed in the cache before the server refused it.

Ledger rows are facts made by one change each: a row written here and not yet confirmed by a
pull (usn None) is simply deleted, with the allocations of a payment and a drawer count alike.
A row the server already confirmed is the server's, and stays.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from sync.core import ledger_mutations as lm
from sync.core.mutations import Rejected, parse_payload
from sync.core.schema import DrawerCount, LedgerAllocation, LedgerEntry
from sync.core.wire import Mutation


def undo_ledger_effects(s: Session, mutation: Mutation) -> None:
    if mutation.type not in lm.PAYLOADS:
        return
    try:
        payload = parse_payload(mutation)
    except Rejected:
        return  # it never applied locally either
    if isinstance(payload, lm.DrawerCountPayload):
        count = s.get(DrawerCount, payload.count_id)
        if count is not None and count.usn is None:
            s.delete(count)
        s.flush()
        return
    entry_id = getattr(payload, "entry_id", None)
    if not entry_id:
        return
    entry = s.get(LedgerEntry, entry_id)
    if entry is not None and entry.usn is None:
        s.delete(entry)
    for alloc in s.exec(select(LedgerAllocation).where(LedgerAllocation.payment_id == entry_id, col(LedgerAllocation.usn).is_(None))):
        s.delete(alloc)
    s.flush()
