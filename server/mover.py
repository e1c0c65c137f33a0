"""`move-account`: move one account's database to another PostgreSQL server of the shard map
while the service keeps running.

1. The new database and role are made on the target server and brought to this code's schema.
2. The account is marked as moving in the registry: every server process answers its requests
   "busy, try again" (503) within state.MOVING_TTL; its desks keep their work and retry. Other
   accounts are not touched. The mover then waits `pause` seconds for requests already running.
3. The old database is fenced: in PostgreSQL its role is locked out and its sessions closed
   (a request still running is rolled back, and its desk sends again); in any database the change
   counter's row is moved aside, so any write that still reaches it fails instead of being lost.
4. Every row is copied, the change counter included, so usn values travel with the data and the
   desks' sync cursors stay valid: a desk's next pull gets what it lacks and nothing twice.
5. The copy is checked (rows per table, change number), then the registry points the account at
   its new database and the move ends, in one transaction. The old PostgreSQL database and role
   are dropped; an old SQLite file is left in place, fenced, for the admin to delete.

If anything fails before the switch, the new database is dropped and the old one let back in.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, func, select, update
from sqlalchemy.exc import SQLAlchemyError

from server.account_db import FENCED_ID, AccountDatabase, ChangeCounter, audit
from server.errors import OperatorError
from server.model_tables import target_metadata
from server.migrations import ACCOUNT
from server.pg_admin import drop_database, let_in, lock_out
from server.placement import Placement, PlacementError, place_on
from server.registry import Registry
from server.secrets_box import SecretKeyError
from server.state import MOVING_TTL

BATCH = 2000
_counter = ChangeCounter.__table__


class MoveError(OperatorError, RuntimeError):
    """A move that cannot be done or failed; nothing was switched. The message says why."""


@dataclass(frozen=True)
class MoveResult:
    slug: str
    to: str
    rows: int
    usn: int
    seconds: float  # how long the account's requests were refused


def shard_map(data_dir: Path, placement: Placement) -> list[str]:
    """Lines for `frontdesk-server shards`: each listed server and how many accounts it holds."""
    registry = Registry(Path(data_dir))
    try:
        load = registry.pg_load()
        accounts = registry.accounts()
    finally:
        registry.close()
    lines = [f"{s.name}\t{load.get(s.name, 0)} accounts\t{'via PgBouncer ' + ':'.join(map(str, s.pool)) if s.pool else 'direct'}"
             for s in placement.servers]  # fmt: skip
    listed = {s.name for s in placement.servers}
    for name, count in sorted(load.items()):
        if name not in listed:
            lines.append(f"{name}\t{count} accounts\tNOT LISTED: add it to FRONTDESK_PG_SERVERS to manage these accounts")
    in_sqlite = sum(1 for a in accounts if "://" not in a.db_location)
    lines.append(f"sqlite\t{in_sqlite} accounts\tin the data dir")
    return lines


def move_account(
    data_dir: Path,
    slug: str,
    to: str,
    placement: Placement,
    *,
    pause: float = 1.0,
    say: Callable[[str], object] = lambda _line: None,
) -> MoveResult:
    try:
        target = placement.server(to)
    except PlacementError as exc:
        raise MoveError(str(exc)) from None
    registry = Registry(Path(data_dir))
    try:
        account = registry.account_by_slug(slug)
        if account is None:
            raise MoveError(f"There is no account {slug!r}.")
        try:
            box = registry.box()
            source_url = registry.account_db_url(account)
        except SecretKeyError as exc:
            raise MoveError(str(exc)) from None
        current = registry.pg_placement(account.id)
        if current is not None and current.server == target.name:
            if account.id in registry.moving():
                registry.end_move(account.id)  # an earlier move died half way: the account is served again
                raise MoveError(f"{slug!r} is already on {target.name}; the unfinished earlier move was called off.")
            raise MoveError(f"{slug!r} is already on {target.name}.")
        source_server = None
        if current is not None:
            try:
                source_server = placement.server(current.server)
            except PlacementError:
                raise MoveError(
                    f"{slug!r} is on the PostgreSQL server {current.server!r}, which is not listed: list it too "
                    "(--pg-server or FRONTDESK_PG_SERVERS) so the mover can reach it as admin."
                ) from None
        # The source at this code's revision first (an older one is upgraded while still in service).
        AccountDatabase(source_url).close()

        say(f"Making {slug!r}'s new database on {target.name} ...")
        try:
            placed = place_on(target, account.id)
        except SQLAlchemyError as exc:
            raise MoveError(f"Could not make the new database on {target.name}: {_first_line(exc)}") from None
        fenced = False
        try:
            AccountDatabase(placed.direct_url_with_password(), create=True).close()  # its tables, as its own role
            registry.start_move(account.id, target.name)
            say(f"{slug!r} is refused (busy, try again) from now on; waiting {pause:.1f} s for running requests ...")
            began = time.monotonic()
            time.sleep(max(pause, 2 * MOVING_TTL))

            if current is not None:
                lock_out(source_server, current.database, current.role)
                source = source_server.admin_engine(current.database)
            else:
                from server.account_db import account_engine

                source = account_engine(source_url)
            new = AccountDatabase(placed.direct_url_with_password())
            try:
                _fence(source)
                fenced = True
                say("Copying ...")
                counts, usn = _copy(source, new.engine)
                _verify(source, new.engine, counts, usn)
                with new.write_session() as db:
                    came_from = current.server if current is not None else "sqlite"
                    audit(db, "account.moved", from_server=came_from, to_server=target.name, source="admin")
                    db.commit()
                registry.relocate(account.id, placed.location, placed.record(account.id, box))
            finally:
                new.close()
                source.dispose()
            seconds = time.monotonic() - began
        except BaseException:
            _undo(registry, account.id, source_url, current, source_server, fenced)
            placed.drop()
            raise
    finally:
        registry.close()

    if current is not None:
        try:
            drop_database(source_server, current.database, current.role)
            say(f"Dropped the old database {current.database} on {current.server}.")
        except SQLAlchemyError as exc:
            say(f"The old database {current.database} on {current.server} could not be dropped ({_first_line(exc)}); drop it by hand.")
    else:
        say(f"The old SQLite file {source_url.removeprefix('sqlite:///')} is kept, fenced off; delete it when you like.")
    return MoveResult(slug, target.name, sum(counts.values()), usn, seconds)


def _fence(engine: Engine) -> None:
    """Move the change counter's row aside: every later write to this copy fails (next_usn)."""
    from server.sqlite import writer

    with writer(engine).begin() as conn:
        conn.execute(update(_counter).where(_counter.c.id == 1).values(id=FENCED_ID))


def _unfence(engine: Engine) -> None:
    from server.sqlite import writer

    with writer(engine).begin() as conn:
        conn.execute(update(_counter).where(_counter.c.id == FENCED_ID).values(id=1))


def _copy(source: Engine, target: Engine) -> tuple[dict[str, int], int]:
    """Every row of every table, the change counter as it was (unfenced) in the new one."""
    tables = target_metadata(ACCOUNT).sorted_tables
    counts: dict[str, int] = {}
    with source.connect() as src, target.begin() as dst:
        counter = dict(src.execute(select(_counter).where(_counter.c.id == FENCED_ID)).mappings().one())
        usn = counter["usn"]
        for table in tables:
            if table.name == _counter.name:  # the whole row: the audit chain's head goes along (server.audit_chain)
                dst.execute(table.delete())
                dst.execute(table.insert().values({**counter, "id": 1}))
                counts[table.name] = 1
                continue
            rows = [dict(row) for row in src.execute(select(table)).mappings()]
            for i in range(0, len(rows), BATCH):
                dst.execute(table.insert(), rows[i : i + BATCH])
            counts[table.name] = len(rows)
    return counts, usn


def _verify(source: Engine, target: Engine, counts: dict[str, int], usn: int) -> None:
    tables = {t.name: t for t in target_metadata(ACCOUNT).sorted_tables}
    with source.connect() as src, target.connect() as dst:
        for name, n in counts.items():
            table = tables[name]
            have_src = src.execute(select(func.count()).select_from(table)).scalar_one()
            have_dst = dst.execute(select(func.count()).select_from(table)).scalar_one()
            if not have_src == have_dst == n:
                raise MoveError(f"The copy of table {name} has {have_dst} rows, the original {have_src}; nothing was switched.")
        if dst.execute(select(_counter.c.usn).where(_counter.c.id == 1)).scalar_one() != usn:
            raise MoveError("The copy's change number differs from the original's; nothing was switched.")


def _undo(registry: Registry, account_id: str, source_url: str, current, source_server, fenced: bool) -> None:  # noqa: ANN001
    """Put the old database back in service after a failed move."""
    try:
        if fenced:
            if current is not None:
                engine = source_server.admin_engine(current.database)
            else:
                from server.account_db import account_engine

                engine = account_engine(source_url)
            try:
                _unfence(engine)
            finally:
                engine.dispose()
        if current is not None:
            let_in(source_server, current.database, current.role)
    finally:
        registry.end_move(account_id)


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]

