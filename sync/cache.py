"""The desk's local cache: a disposable SQLite copy of the account's shared records.

Everything here can be downloaded again, so the file is written with synchronous=NORMAL and is
simply rebuilt (deleted and pulled from cursor 0) when it is unreadable or was made by another
version of the schema. What cannot be downloaded again lives in the outbox (`sync.outbox`);
after every pull page the outbox's pending mutations are re-applied on top, so the screens keep
showing local work until the server's version of it arrives.

Student search runs on an FTS5 index kept current by SQL triggers (see `_FTS_DDL`): whatever
writes a student or family row, a pull or a local applier, the index follows in the same
transaction. The FTS rowid is the student's rowid, so a match joins back in one lookup.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from sqlalchemy import Column, DateTime, Engine, Integer, MetaData, String, Table, select, update
from sqlalchemy.exc import DatabaseError
from sqlalchemy.schema import CreateIndex, CreateTable
from sqlmodel import Session, SQLModel

from sync import db, pull_apply
from sync.ledger_local import undo_ledger_effects
from sync.local_effects import undo_local_effects
from sync.core.mutations import Rejected, apply_mutation
from sync.core.schema import RECORD_TYPES, SHARED_TABLES
from sync.core.wire import Change, Mutation

log = logging.getLogger(__name__)

# Checkpoints (copying the WAL into the file, with an fsync) every 20,000 pages (~80 MB) rather
# than SQLite's 1,000: a first pull writes hundreds of pages per page of changes, and a checkpoint
# every few pages cost a tenth of it (bench.sync_first_pull). The cache is disposable; the
# outbox keeps SQLite's default.
CHECKPOINT_PAGES = 20_000
CACHE_FORMAT = 1  # bump when sync_state or the FTS index change shape

_state_metadata = MetaData()
sync_state = Table(
    "sync_state",
    _state_metadata,
    Column("id", Integer, primary_key=True),  # always 1: one row
    Column("cursor", Integer, nullable=False, default=0),
    Column("last_sync", DateTime, nullable=True),  # UTC of the last successful push+pull
    Column("schema_version", String, nullable=False),
)
# How far each record type is complete: a type the signed-in staff member may not see is not
# pulled (sync.core.permissions.RECORD_VIEW), so it stays behind the main cursor until someone who
# may see it signs in here and the engine fills in what it missed. No row: complete up to 0.
type_cursor = Table(
    "type_cursor",
    _state_metadata,
    Column("type", String, primary_key=True),
    Column("cursor", Integer, nullable=False),
)

# "O'Brien" is the tokens "o" and "brien"; the squashed column (last and family name without
# apostrophes) also holds "obrien", so a name typed without its apostrophe is found too.
_SQUASH = "replace(replace({}, '''', ''), '\u2019', '')"
_FTS_ROW = (
    "SELECT new.rowid, new.first_name, new.last_name, f, " + _SQUASH.format("new.last_name || ' ' || f") + " "
    "FROM (SELECT coalesce((SELECT name FROM family WHERE id = new.family_id), '') AS f)"
)
_FTS_DDL = pull_apply.quiet_triggers([  # the triggers stand aside while a pull page is stored in bulk
    """CREATE VIRTUAL TABLE IF NOT EXISTS student_fts USING fts5(
        first_name, last_name, family_name, squashed,
        tokenize = 'unicode61 remove_diacritics 2', prefix = '1 2 3')""",
    f"""CREATE TRIGGER IF NOT EXISTS student_fts_ai AFTER INSERT ON student BEGIN
        INSERT INTO student_fts(rowid, first_name, last_name, family_name, squashed) {_FTS_ROW};
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS student_fts_au AFTER UPDATE OF first_name, last_name, family_id ON student BEGIN
        DELETE FROM student_fts WHERE rowid = old.rowid;
        INSERT INTO student_fts(rowid, first_name, last_name, family_name, squashed) {_FTS_ROW};
    END""",
    """CREATE TRIGGER IF NOT EXISTS student_fts_ad AFTER DELETE ON student BEGIN
        DELETE FROM student_fts WHERE rowid = old.rowid;
    END""",
    # A family may arrive after its students (pull order is server order), or be renamed.
    f"""CREATE TRIGGER IF NOT EXISTS family_fts_ai AFTER INSERT ON family BEGIN
        UPDATE student_fts SET family_name = new.name, squashed = {_SQUASH.format("last_name || ' ' || new.name")}
        WHERE rowid IN (SELECT rowid FROM student WHERE family_id = new.id);
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS family_fts_au AFTER UPDATE OF name ON family BEGIN
        UPDATE student_fts SET family_name = new.name, squashed = {_SQUASH.format("last_name || ' ' || new.name")}
        WHERE rowid IN (SELECT rowid FROM student WHERE family_id = new.id);
    END""",
    # Search walks this index in name order when a typed prefix matches thousands (sync.search).
    """CREATE INDEX IF NOT EXISTS student_name_order
        ON student(first_name COLLATE NOCASE, last_name COLLATE NOCASE, id)""",
    f"""CREATE TRIGGER IF NOT EXISTS family_fts_ad AFTER DELETE ON family BEGIN
        UPDATE student_fts SET family_name = '', squashed = {_SQUASH.format("last_name")}
        WHERE rowid IN (SELECT rowid FROM student WHERE family_id = old.id);
    END""",
    # Family search (sync.family_search): the family's own name and its guardians' names, each
    # on the family's or contact's rowid; students are found through student_fts above.
    """CREATE VIRTUAL TABLE IF NOT EXISTS family_name_fts USING fts5(
        name, squashed, tokenize = 'unicode61 remove_diacritics 2', prefix = '1 2 3')""",
    f"""CREATE TRIGGER IF NOT EXISTS family_name_fts_ai AFTER INSERT ON family BEGIN
        INSERT INTO family_name_fts(rowid, name, squashed) VALUES (new.rowid, new.name, {_SQUASH.format("new.name")});
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS family_name_fts_au AFTER UPDATE OF name ON family BEGIN
        DELETE FROM family_name_fts WHERE rowid = old.rowid;
        INSERT INTO family_name_fts(rowid, name, squashed) VALUES (new.rowid, new.name, {_SQUASH.format("new.name")});
    END""",
    """CREATE TRIGGER IF NOT EXISTS family_name_fts_ad AFTER DELETE ON family BEGIN
        DELETE FROM family_name_fts WHERE rowid = old.rowid;
    END""",
    """CREATE VIRTUAL TABLE IF NOT EXISTS contact_name_fts USING fts5(
        first_name, last_name, squashed, tokenize = 'unicode61 remove_diacritics 2', prefix = '1 2 3')""",
    f"""CREATE TRIGGER IF NOT EXISTS contact_name_fts_ai AFTER INSERT ON contact BEGIN
        INSERT INTO contact_name_fts(rowid, first_name, last_name, squashed)
        VALUES (new.rowid, new.first_name, new.last_name, {_SQUASH.format("new.last_name")});
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS contact_name_fts_au AFTER UPDATE OF first_name, last_name ON contact BEGIN
        DELETE FROM contact_name_fts WHERE rowid = old.rowid;
        INSERT INTO contact_name_fts(rowid, first_name, last_name, squashed)
        VALUES (new.rowid, new.first_name, new.last_name, {_SQUASH.format("new.last_name")});
    END""",
    """CREATE TRIGGER IF NOT EXISTS contact_name_fts_ad AFTER DELETE ON contact BEGIN
        DELETE FROM contact_name_fts WHERE rowid = old.rowid;
    END""",
    # The family list is read in name order (sync.family_search).
    """CREATE INDEX IF NOT EXISTS family_name_order ON family(name COLLATE NOCASE, id)""",
])


def schema_version() -> str:
    """A fingerprint of every table this file holds: any change to the records rebuilds the cache."""
    dialect = _sqlite_dialect()
    tables = [*SHARED_TABLES, sync_state]
    ddl = [str(CreateTable(t).compile(dialect=dialect)) for t in tables]
    ddl += sorted(str(CreateIndex(i).compile(dialect=dialect)) for t in tables for i in t.indexes)
    digest = hashlib.sha256("\n".join([*ddl, *_FTS_DDL]).encode()).hexdigest()[:16]
    return f"{CACHE_FORMAT}:{digest}"


def _sqlite_dialect():
    from sqlalchemy.dialects import sqlite

    return sqlite.dialect()


PendingSource = Callable[[], Sequence[Mutation]]


class Cache:
    """The cache file. `pending` tells it the outbox's pending mutations (oldest first)."""

    def __init__(self, path: Path, pending: PendingSource | None = None):
        self.path = Path(path)
        self.pending: PendingSource = pending or (lambda: ())
        self.rebuilt = False  # True when this open found an unusable file and started over
        self.engine = self._open()
        self._loading = False  # a first pull is being stored (sync.pull_apply.begin_load)
        self._finish_load()  # one stopped half way, by a crash or a lost connection

    # -- opening ---------------------------------------------------------------------------

    def _open(self) -> Engine:
        version = schema_version()
        if self.path.exists():
            engine = db.make_engine(self.path, wal_autocheckpoint=CHECKPOINT_PAGES)
            if self._intact() and self._stored_version(engine) == version:
                return engine
            engine.dispose()
            log.warning("cache %s is unreadable or from another version; rebuilding it", self.path)
            self._delete_files()
            self.rebuilt = True
        engine = db.make_engine(self.path, wal_autocheckpoint=CHECKPOINT_PAGES)
        with engine.begin() as conn:
            SQLModel.metadata.create_all(conn, tables=SHARED_TABLES)
            _state_metadata.create_all(conn)
            for ddl in _FTS_DDL:
                conn.exec_driver_sql(ddl)
            conn.execute(sync_state.insert().values(id=1, cursor=0, schema_version=version))
        return engine

    def _finish_load(self) -> None:
        with db.write_session(self.engine) as s:
            conn = s.connection()
            conn.exec_driver_sql(pull_apply.DEFERRED_INDEX_DDL)
            if pull_apply.loading(conn):
                log.info("cache %s: finishing a first pull's indexes", self.path)
                pull_apply.finish_load(conn, _SQUASH)

    def _intact(self) -> bool:
        """PRAGMA quick_check: a page torn by a crash or a bad disk means "start over", not "carry on"."""
        try:
            con = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
            try:
                return [r[0] for r in con.execute("PRAGMA quick_check").fetchall()] == ["ok"]
            finally:
                con.close()
        except sqlite3.DatabaseError:
            return False

    @staticmethod
    def _stored_version(engine: Engine) -> str | None:
        try:
            with engine.connect() as conn:
                return conn.execute(select(sync_state.c.schema_version)).scalar_one_or_none()
        except (DatabaseError, sqlite3.DatabaseError):
            return None  # not a database, no sync_state table, or corrupt: all mean "start over"

    def _delete_files(self) -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)

    def close(self) -> None:
        self.engine.dispose()

    # -- sync state ------------------------------------------------------------------------

    @property
    def loading(self) -> bool:
        """A first pull is being stored and its last page has not come yet (see `apply_pull`)."""
        return self._loading

    def cursor(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(select(sync_state.c.cursor)).scalar_one()

    def type_cursors(self) -> dict[str, int]:
        """How far each record type this desk knows is complete (0: never pulled)."""
        with self.engine.connect() as conn:
            stored = dict(conn.execute(select(type_cursor.c.type, type_cursor.c.cursor)).all())
        return {t: stored.get(t, 0) for t in RECORD_TYPES}

    def last_sync(self) -> dt.datetime | None:
        with self.engine.connect() as conn:
            return conn.execute(select(sync_state.c.last_sync)).scalar_one()

    def set_last_sync(self, when: dt.datetime) -> None:
        with db.write_session(self.engine) as s:
            s.execute(update(sync_state).values(last_sync=when))

    # -- writes (call them from the one writer thread) -----------------------------------

    def apply_pull(self, changes: Sequence[Change], cursor: int | None, types_to: Mapping[str, int] | None = None,
                   *, more: bool = False) -> int:  # fmt: skip
        """Store one pull page and its cursor in one transaction, pending work re-applied on top.

        `types_to` moves the record types' own cursors (every type to `cursor` when None); a
        page that fills in types behind the rest leaves the main `cursor` alone (None).
        `more`: other pages follow in this pull. The pages of a first pull (from cursor 0) are
        stored as a load: secondary and search indexes are made after the last page
        (sync.pull_apply.begin_load); until then search finds only what was there before.
        Returns how many changes were stored (unknown record types, from a newer server, are
        skipped: this desk has nowhere to show them).
        """
        latest: dict[str, dict[str, Change]] = {}  # by type, then id: the last version of each row
        for change in changes:
            if change.type in RECORD_TYPES:
                latest.setdefault(change.type, {})[change.id] = change
            else:
                log.info("pull: skipping a %r record this desk does not know", change.type)
        loading = self._loading
        with db.write_session(self.engine) as s:
            if more and not loading and cursor is not None and s.execute(select(sync_state.c.cursor)).scalar_one() == 0:
                pull_apply.begin_load(s.connection(), [t.name for t in SHARED_TABLES])
                loading = True
            _store_changes(s, latest, loading)
            if loading and not more:
                pull_apply.finish_load(s.connection(), _SQUASH)
                loading = False
            if cursor is not None:
                s.execute(update(sync_state).values(cursor=cursor))
            moved = [(t, c) for t, c in ({t: cursor for t in RECORD_TYPES} if types_to is None else types_to).items()
                     if c is not None]  # fmt: skip
            if moved:
                s.connection().exec_driver_sql(
                    "INSERT INTO type_cursor (type, cursor) VALUES (?, ?) ON CONFLICT(type) DO UPDATE SET cursor = excluded.cursor",
                    moved,
                )
            self._reapply(s, self.pending())
        self._loading = loading  # committed
        return sum(len(rows) for rows in latest.values())

    def apply_server_changes(self, changes: Sequence[Change]) -> int:
        """Store rows the server handed back outside a pull (a card payment's ledger rows), so
        the screen shows them at once. The cursor does not move: the next pull brings the same
        rows again, with everything before them, and storing a row twice changes nothing."""
        latest: dict[str, dict[str, Change]] = {}
        for change in changes:
            if change.type in RECORD_TYPES:
                latest.setdefault(change.type, {})[change.id] = change
        with db.write_session(self.engine) as s:
            _store_changes(s, latest, self._loading)
        return sum(len(rows) for rows in latest.values())

    def apply_local(self, draft: Mutation, record: Callable[[], Mutation]) -> Mutation:
        """Show a new local change in the cache, recording it with `record` (the outbox append).

        The draft is applied first in an open cache transaction, so a change that makes no sense
        here raises Rejected before anything is recorded; `record` runs before that transaction
        commits, so the outbox is always the first to hold it (a crash in between is repaired at
        the next open by re-applying what is pending).
        """
        with db.write_session(self.engine) as s:
            apply_mutation(s, draft, lambda: None)
            s.flush()
            return record()

    def reapply(self, mutations: Sequence[Mutation]) -> None:
        """Apply pending mutations again (after a crash between the outbox write and ours)."""
        with db.write_session(self.engine) as s:
            self._reapply(s, mutations)

    def forget(self, rejected: Sequence[Mutation]) -> None:
        """Take back what rejected mutations showed locally; other pending work stays on top."""
        if not rejected:
            return
        with db.write_session(self.engine) as s:
            for mutation in rejected:
                undo_local_effects(s, mutation)
                undo_ledger_effects(s, mutation)
            self._reapply(s, self.pending())

    @staticmethod
    def _reapply(s: Session, mutations: Sequence[Mutation]) -> None:
        for mutation in mutations:
            try:
                with s.begin_nested():  # a savepoint: a rejected one leaves no half-written rows
                    apply_mutation(s, mutation, lambda: None)
            except Rejected as exc:
                # The server will say so too, and the staff will see it in "needs attention".
                log.info("pending mutation %s no longer applies locally: %s", mutation.id, exc.message)
        s.flush()


def _store_changes(s: Session, latest: dict[str, dict[str, Change]], loading: bool) -> None:
    """Upsert (or delete, for tombstones) the last version of each row, referenced types first."""
    pull_apply.store_changes(s, latest, _SQUASH, loading=loading)  # a page at a time, search indexes in bulk
