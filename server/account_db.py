"""One database per account: the shared record tables plus the server's own bookkeeping.

The server-only tables use their own MetaData, so the desk cache (which creates every table of
SQLModel.metadata it is told to) never gets them, and SHARED_TABLES stays the whole wire contract.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import DDL, JSON, Column, Index, Engine, MetaData, UniqueConstraint, event, select, update
from sqlalchemy.pool import StaticPool
from pydantic import NaiveDatetime  # plain DateTime column (SQLModel maps datetime to a tz-aware one)
from sqlmodel import Field, Session, SQLModel

from server.audit_chain import GENESIS, canonical_detail, entry_hash
from server.errors import Busy
from server.migrate import describe_url, ensure_current
from server.migrations import ACCOUNT
from server.pg_admin import pg_engine
from server.private_files import private_sqlite
from server.sqlite import sqlite_engine, writer
from sync.core.ids import new_id, utcnow


class AccountBase(SQLModel):
    metadata = MetaData()


class StaffCredential(AccountBase, table=True):
    __tablename__ = "staff_credential"
    staff_id: str = Field(primary_key=True, max_length=36)
    password_hash: str
    changed_at: NaiveDatetime = Field(default_factory=utcnow)


class StaffPin(AccountBase, table=True):
    """A staff member's quick-unlock PIN (Argon2), for a locked desk; kept apart from the password."""

    __tablename__ = "staff_pin"
    staff_id: str = Field(primary_key=True, max_length=36)
    pin_hash: str
    changed_at: NaiveDatetime = Field(default_factory=utcnow)


class CustomGroup(AccountBase, table=True):
    """A user group an owner or manager made, beside the built-in ones (sync.core.permissions)."""

    __tablename__ = "staff_group"
    name: str = Field(primary_key=True, max_length=64)
    label: str
    permissions: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: NaiveDatetime = Field(default_factory=utcnow)


class StaffGrant(AccountBase, table=True):
    """An advanced permission given to one staff member beyond their group."""

    __tablename__ = "staff_grant"
    staff_id: str = Field(primary_key=True, max_length=36)
    permission: str = Field(primary_key=True, max_length=64)


class AppliedMutation(AccountBase, table=True):
    """The first result of every mutation a desk pushed: the memory that makes push exactly-once.

    The constraints, not only the code, guarantee it: a second row for the same mutation id or
    the same (desk, seq) cannot be written, whatever two requests race.
    """

    __tablename__ = "applied_mutation"
    __table_args__ = (UniqueConstraint("desk_id", "seq"),)
    mutation_id: str = Field(primary_key=True, max_length=36)
    desk_id: str = Field(max_length=36)
    seq: int
    staff_id: str = Field(max_length=36)
    type: str = Field(max_length=64)
    status: str  # applied | rejected
    code: str | None = None
    message: str | None = None
    usn: int | None = None
    applied_at: NaiveDatetime = Field(default_factory=utcnow)


class ChangeCounter(AccountBase, table=True):
    """The account's change sequence number (one row): the last usn handed out.

    Its row also holds the audit chain's head (server.audit_chain): the last entry's number and
    hash. Every writer of either takes this one row's lock, so there is one lock order and no
    deadlock between a push and an audit entry written beside it."""

    __tablename__ = "change_counter"
    id: int = Field(default=1, primary_key=True)
    usn: int = 0
    audit_no: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    audit_hash: str = Field(default=GENESIS, max_length=64, sa_column_kwargs={"server_default": GENESIS})


class Tombstone(AccountBase, table=True):
    """A deleted record, kept with its own usn so that every desk learns of the deletion."""

    type: str = Field(primary_key=True, max_length=64)
    id: str = Field(primary_key=True, max_length=36)
    usn: int = Field(index=True)


class AuditEvent(AccountBase, table=True):
    """Append-only and hash-chained (server.audit_chain): who did what, from which desk, at what server time.

    chain_no, prev_hash and hash are filled when the entry is flushed (_chain_new_entries), under
    the change counter's row lock: the chain's order is the order entries were committed in."""

    __tablename__ = "audit_event"
    __table_args__ = (
        # "Did this staff member ever sign in at this desk?" (server.permissions.signed_in_at), asked at push.
        Index("ix_audit_event_staff_desk", "staff_id", "desk_id", "action"),
        Index("ux_audit_event_chain_no", "chain_no", unique=True),  # one entry per place: the chain cannot fork
    )
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    at: NaiveDatetime = Field(default_factory=utcnow, index=True)
    staff_id: str | None = Field(default=None, max_length=36)
    desk_id: str | None = Field(default=None, max_length=36)
    action: str = Field(max_length=64)
    record_type: str | None = None
    record_id: str | None = None
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    chain_no: int | None = Field(default=None, nullable=False)
    prev_hash: str | None = Field(default=None, max_length=64, nullable=False)
    hash: str | None = Field(default=None, max_length=64, nullable=False)


# SQLite: the migrations make these (0001, a_audit); create_all (tests of old databases) too. REPLACE
# deletes the row it replaces without firing DELETE triggers, so a BEFORE INSERT trigger refuses an
# insert whose id or place in the chain is taken (REPLACE, upserts and a second INSERT alike).
SQLITE_TRIGGERS = (
    *(f"CREATE TRIGGER IF NOT EXISTS audit_event_no_{verb.lower()} BEFORE {verb} ON audit_event "
      "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END" for verb in ("UPDATE", "DELETE")),
    "CREATE TRIGGER IF NOT EXISTS audit_event_no_overwrite BEFORE INSERT ON audit_event "
    "WHEN EXISTS (SELECT 1 FROM audit_event WHERE id = NEW.id) "
    "OR EXISTS (SELECT 1 FROM audit_event WHERE chain_no = NEW.chain_no) "
    "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END",
)  # fmt: skip
for _sql in SQLITE_TRIGGERS:
    event.listen(AuditEvent.__table__, "after_create", DDL(_sql).execute_if(dialect="sqlite"))

_counter = ChangeCounter.__table__


def next_usn(db: Session) -> int:
    """Hand out the account's next change number, inside the caller's transaction.

    The counter row is updated in the database (not cached), so a rolled-back savepoint gives its
    numbers back, and its row lock keeps usn order equal to commit order.
    """
    return reserve_usns(db, 1)


def reserve_usns(db: Session, count: int) -> int:
    """Reserve `count` consecutive change numbers; returns the first."""
    last = db.execute(
        update(_counter).where(_counter.c.id == 1).values(usn=_counter.c.usn + count).returning(_counter.c.usn)
    ).scalar_one_or_none()
    if last is None:
        # The counter row was fenced off by `move-account` (server.mover): this database is the old
        # copy of a moved account, and nothing may be written to it any more.
        raise Busy(MOVED, retry_after=1)
    return last - count + 1


MOVED = "This account's data was just moved on the server. Please try again."
FENCED_ID = 0  # the counter row's id in a database left behind by a move


# The head as a scalar subquery, for reads that bring it along with something else.
HEAD = select(_counter.c.usn).where(_counter.c.id == 1).scalar_subquery()


def current_usn(db: Session) -> int:
    return head_or_moved(db.execute(select(_counter.c.usn).where(_counter.c.id == 1)).scalar_one_or_none())


def head_or_moved(usn: int | None) -> int:
    """The change number read; none: the old copy of a moved account (see reserve_usns)."""
    if usn is None:
        raise Busy(MOVED, retry_after=1)
    return usn


def lock_audit_head(conn: Any) -> tuple[int, str]:
    """Take the change counter's row lock and read the audit chain's head (number, hash): one
    statement. An UPDATE, not a read: in PostgreSQL it waits for a writer holding the row and then
    returns the row as that writer committed it."""
    row = conn.execute(
        update(_counter).where(_counter.c.id == 1).values(audit_no=_counter.c.audit_no)
        .returning(_counter.c.audit_no, _counter.c.audit_hash)
    ).one_or_none()  # fmt: skip
    if row is None:  # the old copy of a moved account: nothing may be written to it (reserve_usns)
        raise Busy(MOVED, retry_after=1)
    return row[0], row[1]


def store_audit_head(conn: Any, chain_no: int, hash_: str) -> None:
    conn.execute(update(_counter).where(_counter.c.id == 1).values(audit_no=chain_no, audit_hash=hash_))


@event.listens_for(Session, "before_flush")
def _chain_new_entries(session: Session, _flush_context: Any, _instances: Any) -> None:
    """Link the audit entries this flush writes to the chain's head, in the order they were added.

    The head is read and written back in each flush that has entries, inside its transaction: a
    savepoint rolled back takes its entries and its head back together."""
    new = [o for o in session.new if isinstance(o, AuditEvent) and o.chain_no is None]
    if not new:
        return
    conn = session.connection()
    chain_no, prev = lock_audit_head(conn)
    for e in new:
        chain_no += 1
        e.chain_no, e.prev_hash = chain_no, prev
        e.hash = prev = entry_hash(chain_no, prev, e.id, e.at, e.staff_id, e.desk_id, e.action, e.record_type, e.record_id,
                                   canonical_detail(e.detail))  # fmt: skip
    store_audit_head(conn, chain_no, prev)


def audit(
    db: Session,
    action: str,
    *,
    staff_id: str | None = None,
    desk_id: str | None = None,
    record_type: str | None = None,
    record_id: str | None = None,
    **detail: Any,
) -> None:
    db.add(
        AuditEvent(
            action=action,
            staff_id=staff_id,
            desk_id=desk_id,
            record_type=record_type,
            record_id=record_id,
            detail=detail,
        )
    )


def account_engine(url: str, *, create: bool = False) -> Engine:
    """An engine on an account's database: a SQLite file (which must exist unless `create`) or a URL."""
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        if not create and not path.exists():
            # Opening would make an empty database and hide that the account's data is gone.
            raise FileNotFoundError(f"account database {path} is missing")
        return sqlite_engine(private_sqlite(path), **_JSON)  # owner-only, and so its WAL (server.private_files)
    return pg_engine(url, **_JSON)  # through PgBouncer too: no prepared statements (server.pg_admin)


# JSON is written as canonical text (sorted keys): an audit entry's detail is stored as the
# very text its hash covers (server.audit_chain), so verifying reads the text and never re-encodes it.
_JSON = {"json_serializer": canonical_detail}


def loop_engine(url: str) -> Engine | None:
    """For a SQLite file, an engine of one connection for the event loop's own short reads, or None.

    The event loop's reads run one at a time and to the end (nothing awaits between checkout and
    return), so one connection is enough, and it is never waited for: the shared pool's
    connections may all be held by writers waiting for the write lock."""
    if not url.startswith("sqlite:///"):
        return None
    return sqlite_engine(Path(url.removeprefix("sqlite:///")), poolclass=StaticPool)


class AccountDatabase:
    """The engines of one account's database; made or brought up to date when it is opened."""

    def __init__(self, url: str, *, create: bool = False):
        self.url = url
        self.engine: Engine = account_engine(url, create=create)
        self.writer: Engine = writer(self.engine)
        self.loop_engine: Engine | None = loop_engine(url)
        # A read of one statement needs no transaction: on PostgreSQL, without one it is one round
        # trip (through PgBouncer) instead of three (BEGIN, the query, ROLLBACK).
        self._one_statement: Engine | None = (
            None if self.loop_engine is not None else self.engine.execution_options(isolation_level="AUTOCOMMIT")
        )
        # The migrations (server/migrations/account) make the tables and the change counter's row;
        # when the database is already at the newest revision this is one query.
        try:
            self.revision = ensure_current(self.engine, self.writer, ACCOUNT, where=describe_url(url))
        except BaseException:
            self.close()  # a refused database leaves no connection behind
            raise

    replaced_by: AccountDatabase | None = None  # set when the account moved to another database

    def current(self) -> AccountDatabase:
        """This database, or the one the account moved to since it was handed out."""
        db = self
        while db.replaced_by is not None:
            db = db.replaced_by
        return db

    def read_session(self) -> Session:
        return Session(self.engine)

    def write_session(self) -> Session:
        return Session(self.writer)

    def loop_session(self) -> Session | None:
        """A session for a short read on the event loop (SQLite: see loop_engine), or None:
        then the database is a server away, and reads belong in a thread."""
        return Session(self.loop_engine) if self.loop_engine is not None else None

    def one_statement_session(self) -> Session:
        """A session for reads of one statement each, outside any transaction where the
        database has them cheaper so (PostgreSQL); a read session otherwise."""
        return Session(self._one_statement) if self._one_statement is not None else self.read_session()

    def close(self) -> None:
        self.engine.dispose()
        if self.loop_engine is not None:
            self.loop_engine.dispose()


class AccountDatabases:
    """One AccountDatabase per account, opened on first use and kept (no global engine).

    Each is kept with the location it was opened for (the registry's db_location): when that
    changes (`move-account`), the next request opens the new one, and the old one is closed.
    """

    def __init__(self) -> None:
        self._open: dict[str, tuple[str, AccountDatabase]] = {}
        self._lock = threading.Lock()

    def get(self, account_id: str, url: str | Callable[[], str], location: str | None = None) -> AccountDatabase:
        """`url` may be a function: the URL is then only made (a password decrypted) when opening."""
        key = location if location is not None else url if isinstance(url, str) else None
        with self._lock:
            held = self._open.get(account_id)
            if held is not None and (key is None or held[0] == key):
                return held[1]
            db = AccountDatabase(url if isinstance(url, str) else url())
            self._open[account_id] = (key or db.url, db)
        if held is not None:
            held[1].replaced_by = db  # a long-poll holding the old one follows (AccountDatabase.current)
            held[1].close()
        return db

    def peek(self, account_id: str, location: str) -> AccountDatabase | None:
        """The database open for this location already, if it is; never opens one."""
        held = self._open.get(account_id)
        return held[1] if held is not None and held[0] == location else None

    def opened(self, account_id: str) -> AccountDatabase | None:
        with self._lock:
            held = self._open.get(account_id)
            return held[1] if held is not None else None

    def close(self) -> None:
        with self._lock:
            for _key, db in self._open.values():
                db.close()
            self._open.clear()
