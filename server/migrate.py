"""Schema migrations of the registry and the account databases: Alembic, run from code.

Every database is made by running its history (server/migrations/) to the newest revision, and
brought up to date the same way when the code is newer than it. Opening a database stays cheap:
`ensure_current` reads the version row (one query) and loads Alembic only when there is work.

A database made by `create_all` before migrations existed has no version table. It is recognised
by comparing its tables and columns with the schema of each revision, stamped with the one it
matches, then upgraded; one that matches none is refused rather than guessed at.

A database at a revision this code does not know was upgraded by a newer server: it is refused
(SchemaTooNew), never touched.

Developers: after changing a model, `python -m server.migrate revision account -m "what changed"`
(or `registry`) writes the next revision from the models. Alembic does not see DDL events such as
the SQLite triggers of audit_event: add those to the revision by hand.
"""

from __future__ import annotations

import argparse
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    MetaData,
    create_engine,
    inspect,
    make_url,
    text,
)

from server.errors import OperatorError
from server.migrations import KINDS, directory, head, revisions

VERSION_TABLE = "alembic_version"

# Alembic's `context` and `op` are module globals: one migration at a time in this process.
_alembic_lock = threading.RLock()
# Other processes (servers, admin commands) on the same PostgreSQL database wait on this lock;
# on SQLite, the writer's BEGIN IMMEDIATE does the same.
_PG_LOCK_KEY = 0x46444D49475200  # "FDMIGR"


class MigrationError(OperatorError, RuntimeError):
    """A database this code will not bring to its schema; the message says why and what to do."""


class SchemaTooNew(MigrationError):
    pass


class SchemaUnknown(MigrationError):
    pass


@dataclass(frozen=True)
class Upgrade:
    before: str | None  # None: the database was empty
    after: str
    recognised: bool = False  # made by create_all before migrations; `before` is the revision it matched

    @property
    def changed(self) -> bool:
        return self.recognised or self.before != self.after

    def describe(self) -> str:
        if not self.changed:
            return f"revision {self.after} (up to date)"
        if self.before is None:
            return f"revision {self.after} (created)"
        older = f"{self.before}, made before migrations" if self.recognised else self.before
        return f"revision {self.after} (was {older})"


def describe_url(url: str) -> str:
    """A database URL fit for messages: a SQLite file's path, anything else without its password."""
    if url.startswith("sqlite:///"):
        return url.removeprefix("sqlite:///")
    return make_url(url).render_as_string(hide_password=True)


def current_revision(conn: Connection) -> str | None:
    """The database's revision; None when it has no version row (new, or made before migrations)."""
    if not inspect(conn).has_table(VERSION_TABLE):
        return None
    versions = conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all()
    if len(versions) > 1:
        raise MigrationError(f"the database has several schema versions {versions}; Frontdesk keeps one line of history")
    return versions[0] if versions else None


def check_known(revision: str | None, kind: str, where: str) -> None:
    if revision is not None and revision not in revisions(kind):
        raise SchemaTooNew(
            f"The {kind} database {where} is at schema revision {revision}, newer than this server knows "
            f"(its newest is {head(kind)}): a newer Frontdesk server has upgraded it. Run that version, "
            f"or restore a backup made with this one."
        )


def ensure_current(engine: Engine, writer: Engine, kind: str, *, where: str) -> str:
    """Bring a database to the code's newest revision when it is behind; returns its revision.

    The usual case, already current, is one query and no Alembic.
    """
    with engine.connect() as conn:
        revision = current_revision(conn)
    if revision == head(kind):
        return revision
    check_known(revision, kind, where)
    return upgrade(writer, kind, where=where).after


def upgrade(writer: Engine, kind: str, *, where: str) -> Upgrade:
    """Run the history to head in one write transaction; idempotent. `writer` takes the write lock at BEGIN."""
    with _alembic_lock, writer.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
        before = current_revision(conn)  # again, under the lock: another process may have done it
        check_known(before, kind, where)
        recognised = False
        if before is None and _shape(conn):
            before = _recognise(conn, kind, where)
            recognised = True
            _alembic(conn, kind, "stamp", before)
        if before != head(kind):
            _alembic(conn, kind, "upgrade", head(kind))
    return Upgrade(before, head(kind), recognised)


def read_revision(url: str) -> str | None:
    """The revision of a database, changing nothing."""
    engine = create_engine(url, connect_args={"prepare_threshold": None} if url.startswith("postgresql+psycopg") else {})
    try:
        with engine.connect() as conn:
            return current_revision(conn)
    finally:
        engine.dispose()


# --- Alembic, loaded only here ---------------------------------------------------------------------


def _config(kind: str, conn: Connection) -> Any:
    from alembic.config import Config

    config = Config()  # no alembic.ini: everything it would say is here
    config.set_main_option("script_location", str(directory(kind)).replace("%", "%%"))
    config.attributes["connection"] = conn
    return config


def _alembic(conn: Connection, kind: str, command_name: str, revision: str) -> None:
    from alembic import command

    with _alembic_lock:
        getattr(command, command_name)(_config(kind, conn), revision)


def upgrade_to(conn: Connection, kind: str, revision: str) -> None:
    """Run a history up to `revision` on a connection inside its transaction."""
    _alembic(conn, kind, "upgrade", revision)


def downgrade_to(conn: Connection, kind: str, revision: str) -> None:
    """Undo revisions down to `revision` ("base": everything); for developers and tests."""
    _alembic(conn, kind, "downgrade", revision)


def run_env(context: Any, metadata: Callable[[], MetaData]) -> None:
    """The body of both env.py files: migrate the connection server.migrate handed over.

    `metadata` gives the models' tables (server.model_tables), read only to write a new revision."""
    config = context.config
    conn = config.attributes.get("connection")
    if conn is None:
        raise MigrationError(
            "Frontdesk's migrations run through `frontdesk-server migrate` (new revisions: "
            "`python -m server.migrate revision`), which hand them a database connection; there is no alembic.ini."
        )
    context.configure(
        connection=conn,
        target_metadata=metadata() if config.attributes.get("autogenerate") else None,
        # SQLite changes a table by copying it; batch operations do that there and plain ALTERs on
        # PostgreSQL, so one revision serves both.
        render_as_batch=True,
        render_item=_render_item,
        compare_type=True,
    )
    # The caller's connection is already in its transaction: Alembic joins it (no commit of its own).
    with context.begin_transaction():
        context.run_migrations()


def _render_item(type_: str, obj: Any, _autogen_context: Any) -> str | bool:
    """SQLModel's string type written as a plain sa.String: revisions import nothing of SQLModel."""
    from sqlmodel.sql.sqltypes import AutoString

    if type_ == "type" and isinstance(obj, AutoString):
        return f"sa.String(length={obj.length})" if obj.length else "sa.String()"
    return False


# --- Recognising a database made before migrations ---------------------------------------------------


def _shape(conn: Connection) -> dict[str, frozenset[str]]:
    """Table name -> column names, without the version table."""
    insp = inspect(conn)
    return {t: frozenset(c["name"] for c in insp.get_columns(t)) for t in insp.get_table_names() if t != VERSION_TABLE}


@cache
def _revision_shapes(kind: str) -> tuple[tuple[str, dict[str, frozenset[str]]], ...]:
    """The shape of the schema at each revision, oldest first, from a scratch in-memory database."""
    scratch = create_engine("sqlite://")
    shapes = []
    try:
        with _alembic_lock, scratch.begin() as conn:
            for revision in revisions(kind):
                upgrade_to(conn, kind, revision)
                shapes.append((revision, _shape(conn)))
    finally:
        scratch.dispose()
    return tuple(shapes)


def _recognise(conn: Connection, kind: str, where: str) -> str:
    have = _shape(conn)
    shapes = _revision_shapes(kind)
    # Oldest first: when two revisions share a shape (a data-only one), the older runs the data step.
    for revision, shape in shapes:
        if shape == have:
            return revision
    newest = shapes[-1][1]
    missing = sorted(set(newest) - set(have)) + sorted(f"{t}.{c}" for t in set(newest) & set(have) for c in newest[t] - have[t])
    extra = sorted(set(have) - set(newest)) + sorted(f"{t}.{c}" for t in set(newest) & set(have) for c in have[t] - newest[t])
    raise SchemaUnknown(
        f"The {kind} database {where} has no schema version and its tables match no known revision "
        f"(against the newest: missing {', '.join(missing) or 'nothing'}; unexpected {', '.join(extra) or 'nothing'}). "
        f"It was not changed; restore it from a backup or upgrade it by hand."
    )


# --- python -m server.migrate revision KIND -m MESSAGE ----------------------------------------------


def make_revision(kind: str, message: str) -> Path | None:
    """Write the next revision of a history from the difference between its head and the models.

    Returns the new file, or None when the models and the head already agree.
    """
    from alembic import command

    rev_id = f"{len(revisions(kind)) + 1:04d}"

    def skip_empty(_context: Any, _revision: Any, directives: list) -> None:
        if directives[0].upgrade_ops.is_empty():
            directives[:] = []

    scratch = create_engine("sqlite://")
    try:
        with _alembic_lock, scratch.begin() as conn:
            _alembic(conn, kind, "upgrade", "head")
            config = _config(kind, conn)
            config.attributes["autogenerate"] = True
            script = command.revision(
                config, message=message, autogenerate=True, rev_id=rev_id, process_revision_directives=skip_empty
            )
    finally:
        scratch.dispose()
    revisions.cache_clear()
    _revision_shapes.cache_clear()
    return Path(script.path) if script is not None else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m server.migrate", description="Write schema revisions (developers).")
    sub = parser.add_subparsers(dest="command", required=True)
    rev = sub.add_parser("revision", help="write the next revision from the models")
    rev.add_argument("kind", choices=KINDS)
    rev.add_argument("-m", "--message", required=True)
    args = parser.parse_args(argv)
    path = make_revision(args.kind, args.message)
    print(f"Wrote {path}" if path else f"The {args.kind} models match revision {head(args.kind)}: nothing to write.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
