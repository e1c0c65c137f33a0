"""`frontdesk-server verify-audit ACCOUNT`: walk the audit chain and name the first entry that does not match.

What it finds (server.audit_chain says what each hash covers):
- an entry whose content was edited (its hash no longer matches what it holds);
- an entry removed, added or replaced in the middle (a gap in the numbers, or a prev_hash that is
  not the previous entry's hash);
- entries cut off the end, or added after it without the server (the counter row's head differs
  from the last entry);
- the database's own guards gone: a dropped or disabled append-only trigger.

It reads in one transaction (one consistent snapshot while the server keeps writing), streaming the
entries in chain order, and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy import Connection, Engine

from server.account_db import AuditEvent, ChangeCounter
from server.audit_chain import GENESIS, entry_hash

_t = AuditEvent.__table__
_counter = ChangeCounter.__table__
_STREAM = 2000
SQLITE_GUARDS = ("audit_event_no_update", "audit_event_no_delete", "audit_event_no_overwrite")
PG_GUARDS = ("audit_event_append_only", "audit_event_no_truncate")


@dataclass(frozen=True)
class BadEntry:
    chain_no: int
    event_id: str | None  # None: the entry is not there at all (cut off the end)
    at: dt.datetime | None
    action: str | None
    reason: str

    def describe(self) -> str:
        if self.event_id is None:
            return f"entry #{self.chain_no}: {self.reason}"
        when = self.at.isoformat(sep=" ", timespec="seconds") if self.at else "?"
        return f"entry #{self.chain_no} (id {self.event_id}, {when} UTC, {self.action}): {self.reason}"


@dataclass
class Verification:
    entries: int = 0
    head_no: int = 0
    head_hash: str = GENESIS
    last_hash: str = GENESIS  # of the last entry walked
    bad: BadEntry | None = None
    missing_guards: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.bad is None and not self.missing_guards


def verify_chain(engine: Engine, recorded: tuple[int, str] | None = None) -> Verification:
    """`recorded`: a head a backup's manifest kept (number, hash); the entry of that number must
    still have that hash, or the chain was rewritten whole since (server.backup)."""
    with engine.connect() as conn, conn.begin():
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"))
        result = Verification(missing_guards=_missing_guards(conn))
        head = conn.execute(sa.select(_counter.c.audit_no, _counter.c.audit_hash).where(_counter.c.id == 1)).one_or_none()
        result.head_no, result.head_hash = head if head is not None else (0, GENESIS)
        result.bad = _walk(conn, result, recorded)
        if result.bad is None:
            result.bad = _check_head(result)
        if result.bad is None and recorded is not None and recorded[0] > result.entries:
            result.bad = BadEntry(result.entries + 1, None, None, None,
                                  f"the backup recorded entries up to #{recorded[0]}; the log now ends at #{result.entries}")  # fmt: skip
    return result


def _walk(conn: Connection, result: Verification, recorded: tuple[int, str] | None) -> BadEntry | None:
    rows = conn.execution_options(stream_results=True, yield_per=_STREAM).execute(
        sa.select(_t.c.chain_no, _t.c.prev_hash, _t.c.hash, _t.c.id, _t.c.at, _t.c.staff_id, _t.c.desk_id, _t.c.action,
                  _t.c.record_type, _t.c.record_id, sa.cast(_t.c.detail, sa.Text))
        .order_by(_t.c.chain_no)  # fmt: skip
    )
    try:
        return _walk_rows(rows, result, recorded)
    finally:
        rows.close()  # a walk that stopped early leaves no server-side cursor open


def _walk_rows(rows: sa.CursorResult, result: Verification, recorded: tuple[int, str] | None) -> BadEntry | None:
    last_no, last_hash = 0, GENESIS
    for chain_no, prev_hash, hash_, event_id, at, staff_id, desk_id, action, record_type, record_id, detail_text in rows:
        reason = None
        if chain_no != last_no + 1:
            gone = f"#{last_no + 1}" if chain_no == last_no + 2 else f"#{last_no + 1} to #{chain_no - 1}"
            reason = f"the entries before it ({gone}) are missing: removed from the database"
        elif prev_hash != last_hash:
            reason = "it does not follow the entry before it (that entry was changed or replaced, or this one put in its place)"
        elif entry_hash(chain_no, prev_hash, event_id, at, staff_id, desk_id, action, record_type, record_id, detail_text) != hash_:
            reason = ("its details are not valid JSON any more: changed after it was written" if not _is_json(detail_text)
                      else "its content does not match its hash: changed after it was written")  # fmt: skip
        elif recorded is not None and recorded[0] == chain_no and recorded[1] != hash_:
            reason = "it is not the entry the backup recorded at this place: the log was rewritten since"
        if reason is not None:
            return BadEntry(chain_no, event_id, at, action, reason)
        last_no, last_hash = chain_no, hash_
        result.entries, result.last_hash = last_no, last_hash
    return None


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def _check_head(result: Verification) -> BadEntry | None:
    """The chain was whole; does it end where the server last wrote?"""
    last = result.entries
    if result.head_no > last:
        gone = f"#{last + 1}" if result.head_no == last + 1 else f"#{last + 1} to #{result.head_no}"
        return BadEntry(last + 1, None, None, None, f"the last entries ({gone}) are missing: cut off the end of the log")
    if result.head_no < last:
        added = f"entry #{last} was" if last == result.head_no + 1 else f"entries #{result.head_no + 1} to #{last} were"
        return BadEntry(result.head_no + 1, None, None, None, f"{added} added to the database, not by the server")
    if result.head_hash != result.last_hash:
        return BadEntry(last, None, None, None, "the last entry is not the one the server wrote last (replaced by another)")
    return None


def _missing_guards(conn: Connection) -> list[str]:
    """The append-only triggers that are gone (or disabled)."""
    if conn.dialect.name == "sqlite":
        have = set(conn.execute(sa.text("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_event'")).scalars())
        return [name for name in SQLITE_GUARDS if name not in have]
    have = set(conn.execute(sa.text(
        "SELECT tgname FROM pg_trigger WHERE tgrelid = 'audit_event'::regclass AND NOT tgisinternal AND tgenabled <> 'D'"
    )).scalars())  # fmt: skip
    return [name for name in PG_GUARDS if name not in have]


def report(slug: str, v: Verification) -> list[str]:
    """Lines for the terminal: the verdict first."""
    lines = []
    if v.bad is not None:
        lines.append(f"{slug}: the audit log was changed. The first entry that does not match is {v.bad.describe()}.")
    for name in v.missing_guards:
        lines.append(f"{slug}: the database no longer refuses changes to the audit log: its trigger {name} is missing or disabled.")
    if v.ok:
        lines.append(f"{slug}: the audit log is intact: {v.entries} entries, head #{v.head_no} {v.head_hash[:16]}.")
    return lines
