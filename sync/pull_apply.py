"""Storing a pull page in the cache: rows validated a page at a time, indexes in bulk.

A first pull brings every row of the account (100k students and a million attendance rows at a
big school), so what the cache does per row is what a first pull costs (bench.sync_first_pull):

- Rows: the client reads a page with `parse_page`, which validates each row for its record type
  as the JSON is read (the same fields and checks as `sync.core.schema.record_from_wire`) and turns it
  into the parameters SQLite stores, in the same pass (`Pulled`): the conversions are those of
  SQLAlchemy's bind processors, without their per-value overhead (tests/sync/test_pull_apply.py
  holds them equal). A model object per row, or a loop over its columns, cost as much as reading
  it. Plain `Change`s (tests, a payment's answer) go through the same schema a type at a time.
- Garbage collection is paused while a page is read or stored (see `gc_paused`).
- Search: the FTS5 triggers of `sync.cache` keep the indexes current one row at a time; FTS5
  flushes its pending terms at every statement that writes it from a trigger, which made the
  triggers cost more than all the rest of a first pull. So while a page is stored the triggers
  stand aside (a row in `fts_bulk`, inside the page's own transaction, never committed) and the
  index rows of what the page touched are rewritten with one statement each, from the same
  expressions the triggers use. Deletions (rare) still go through the triggers.
- A first pull goes further: it is a load into empty tables, and makes its secondary and search
  indexes once, after its last page (`begin_load`, `finish_load`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import gc
import json
from collections.abc import Callable, Iterator, Sequence
from typing import Annotated, Any, Literal, NamedTuple, NotRequired, Union

from pydantic import AfterValidator, BaseModel, Field, TypeAdapter, ValidationError, create_model
from sqlalchemy import Boolean, Date, DateTime, Time, delete
from sqlalchemy.dialects import sqlite
from sqlmodel import Session
from typing_extensions import TypedDict  # pydantic reads a TypedDict from here before Python 3.12

from sync.core.schema import RECORD_TYPES
from sync.core.wire import Change, PullResponse

_DIALECT = sqlite.dialect()

# While it holds a row, the FTS triggers do nothing (their WHEN clause, see `quiet_triggers`).
FTS_BULK_DDL = "CREATE TABLE IF NOT EXISTS fts_bulk (id INTEGER PRIMARY KEY)"
_QUIET = " WHEN NOT EXISTS (SELECT 1 FROM fts_bulk) BEGIN"


def quiet_triggers(ddl: Sequence[str]) -> list[str]:
    """The FTS DDL with every trigger made to stand aside while `fts_bulk` holds a row."""
    out = [FTS_BULK_DDL]
    for statement in ddl:
        if statement.lstrip().startswith("CREATE TRIGGER"):
            head, sep, body = statement.partition(" BEGIN")
            assert sep, statement
            statement = head + _QUIET + body
        out.append(statement)
    return out


def store_changes(s: Session, latest: dict[str, dict[str, Change | Pulled]], squash: str, *, loading: bool = False) -> None:
    """Upsert (or delete, for tombstones) the last version of each row, referenced types first.

    `squash` is the SQL template of the search index's squashed column (sync.cache._SQUASH).
    While the cache is `loading` (see `begin_load`) the search indexes are left to `finish_load`.
    """
    with gc_paused():
        _store(s, latest, squash, loading)


def _store(s: Session, latest: dict[str, dict[str, Change | Pulled]], squash: str, loading: bool) -> None:
    conn = s.connection()
    touched: dict[str, list[str]] = {}
    for type_name, cls in RECORD_TYPES.items():  # deletions first, through the triggers
        gone = [c.id for c in latest.get(type_name, {}).values() if c.deleted]
        if gone:
            table = cls.__table__  # type: ignore[attr-defined]
            s.execute(delete(table).where(table.c.id.in_(gone)))
    quiet = False
    for type_name in RECORD_TYPES:
        mine = [c for c in latest.get(type_name, {}).values() if not c.deleted]
        if not mine:
            continue
        if type_name in _SEARCHED and not quiet and not loading:
            conn.exec_driver_sql("INSERT INTO fts_bulk (id) VALUES (1)")
            quiet = True
        sql, bind = _plan(type_name)
        # Straight to the driver: SQLAlchemy's per-row statement handling cost more than SQLite.
        conn.exec_driver_sql(sql, bind(mine))
        if type_name in _SEARCHED:
            touched[type_name] = [c.id for c in mine]
    if quiet:
        for sql in _fts_index(squash, everything=False):
            conn.exec_driver_sql(sql, {"students": json.dumps(touched.get("student", [])),
                                       "families": json.dumps(touched.get("family", [])),
                                       "contacts": json.dumps(touched.get("contact", []))})  # fmt: skip
        conn.exec_driver_sql("DELETE FROM fts_bulk")


_SEARCHED = frozenset({"student", "family", "contact"})  # the record types the FTS triggers follow


@functools.cache
def _fts_index(squash: str, everything: bool) -> list[str]:
    """The index rows of the students, families and contacts a page touched, rewritten: what the
    triggers of sync.cache would have left, in one statement per index instead of one per row.
    A student's row follows its family's name too, so a touched family rewrites its students'.
    With `everything`, every index is emptied and made again from its table (`finish_load`)."""
    ids = "SELECT value FROM json_each(:{})"
    students = "1" if everything else f"id IN ({ids.format('students')}) OR family_id IN ({ids.format('families')})"
    families = "1" if everything else f"id IN ({ids.format('families')})"
    contacts = "1" if everything else f"id IN ({ids.format('contacts')})"

    def clear(index: str, table: str, where: str) -> str:
        return f"DELETE FROM {index}" if everything else f"DELETE FROM {index} WHERE rowid IN (SELECT rowid FROM {table} WHERE {where})"

    with_family = "last_name || ' ' || f"
    return [
        clear("student_fts", "student", students),
        "INSERT INTO student_fts(rowid, first_name, last_name, family_name, squashed) "
        f"SELECT rowid, first_name, last_name, f, {squash.format(with_family)} "
        "FROM (SELECT rowid, first_name, last_name, coalesce((SELECT name FROM family WHERE family.id = student.family_id), '') AS f "
        f"FROM student WHERE {students})",
        clear("family_name_fts", "family", families),
        f"INSERT INTO family_name_fts(rowid, name, squashed) SELECT rowid, name, {squash.format('name')} "
        f"FROM family WHERE {families}",
        clear("contact_name_fts", "contact", contacts),
        f"INSERT INTO contact_name_fts(rowid, first_name, last_name, squashed) "
        f"SELECT rowid, first_name, last_name, {squash.format('last_name')} FROM contact WHERE {contacts}",
    ]


# A first pull loads the whole account into empty tables. Its pages are stored like any other,
# but without the secondary indexes and the search indexes, which are made once at the end from
# the full tables (`finish_load`): a million rows inserted into five indexes each, page after
# page, cost SQLite twice what inserting them and sorting each index once does
# (bench.sync_first_pull). The unique indexes stay (upserts need them). Which indexes wait is
# kept in `deferred_index`, committed with each page, so a desk stopped half way finishes the
# load when it opens the cache again (sync.cache.Cache).
DEFERRED_INDEX_DDL = "CREATE TABLE IF NOT EXISTS deferred_index (name TEXT PRIMARY KEY, sql TEXT NOT NULL)"


def begin_load(conn: Any, tables: Sequence[str]) -> None:
    """Drop the secondary indexes of `tables` (kept in deferred_index) and quiet the FTS triggers."""
    conn.exec_driver_sql("INSERT OR IGNORE INTO fts_bulk (id) VALUES (1)")
    marks = ", ".join("?" * len(tables))
    conn.exec_driver_sql(
        "INSERT OR IGNORE INTO deferred_index (name, sql) SELECT name, sql FROM sqlite_master"
        f" WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ({marks})", tuple(tables))  # fmt: skip
    for (name,) in conn.exec_driver_sql("SELECT name FROM deferred_index").all():
        conn.exec_driver_sql(f'DROP INDEX IF EXISTS "{name}"')


def loading(conn: Any) -> bool:
    """Whether a load begun by `begin_load` is not finished yet."""
    return bool(conn.exec_driver_sql(
        "SELECT EXISTS (SELECT 1 FROM fts_bulk) OR EXISTS (SELECT 1 FROM deferred_index)").scalar())  # fmt: skip


def finish_load(conn: Any, squash: str) -> None:
    """Make the deferred indexes and every search index from the tables; the triggers wake."""
    for sql in _fts_index(squash, everything=True):
        conn.exec_driver_sql(sql)
    for (sql,) in conn.exec_driver_sql("SELECT sql FROM deferred_index").all():
        conn.exec_driver_sql(sql)
    conn.exec_driver_sql("DELETE FROM deferred_index")
    conn.exec_driver_sql("DELETE FROM fts_bulk")


def row(type_name: str, change: Change) -> dict:
    """The column values of one pulled row, validated like `record_from_wire` would (dates parsed)."""
    return _model(type_name).model_validate({**(change.data or {}), "id": change.id, "usn": change.usn}).__dict__


@functools.cache
def _model(type_name: str) -> type[BaseModel]:
    """A plain pydantic twin of a record class: the same fields and checks as
    `sync.core.schema.record_from_wire`, without SQLModel's machinery (about ten times faster)."""
    cls = RECORD_TYPES[type_name]
    return create_model(f"{cls.__name__}Row", **{n: (f.annotation, f) for n, f in cls.model_fields.items()})  # type: ignore[call-overload]


class Pulled(NamedTuple):
    """A change as `parse_page` reads it: its row validated and already in the form SQLite stores
    (the table's columns in order, as SQLAlchemy's bind processors would make them); no row for
    a tombstone. The engine reads `type` and `id` like a `Change`'s."""

    type: str
    id: str
    usn: int
    deleted: bool
    row: tuple | None


@functools.cache
def _plan(type_name: str) -> tuple[str, Callable[[Sequence[Change | Pulled]], list[tuple]]]:
    """The upsert of one record type for the driver, and what makes its parameters from changes."""
    table = RECORD_TYPES[type_name].__table__  # type: ignore[attr-defined]
    names = [c.name for c in table.columns]
    columns = ", ".join(f'"{n}"' for n in names)
    updates = ", ".join(f'"{n}" = excluded."{n}"' for n in names if n != "id")
    marks = ", ".join("?" * len(names))
    sql = f'INSERT INTO "{table.name}" ({columns}) VALUES ({marks}) ON CONFLICT("id") DO UPDATE SET {updates}'
    plain = TypeAdapter(list[_pulled(type_name)])  # type: ignore[misc]

    def bind(changes: Sequence[Change | Pulled]) -> list[tuple]:
        # Read by parse_page, a change's row is ready; a plain Change (a test, a payment's
        # answer) is validated here, a type at a time, by the same schema.
        ready = [c.row for c in changes if type(c) is Pulled]
        if len(ready) < len(changes):
            others = [{"type": type_name, "id": c.id, "usn": c.usn, "data": c.data} for c in changes if type(c) is not Pulled]
            ready += [p.row for p in plain.validate_python(others)]
        return ready  # type: ignore[return-value]

    return sql, bind


@functools.cache
def _pulled(type_name: str) -> Any:
    """The schema of one change of a record type, read into a `Pulled`.

    Its row has the record's fields and checks (those of `sync.core.schema.record_from_wire`; its id
    and usn are the change's own), read into a dict, then made into the row's parameters by one
    generated function: a model per row, and a loop over the columns per row, each cost about as
    much as reading the row.
    """
    cls = RECORD_TYPES[type_name]
    table = cls.__table__  # type: ignore[attr-defined]
    fields: dict[str, Any] = {}
    env: dict[str, Any] = {"Pulled": Pulled, "T": type_name, "no_row": _no_row}
    items = []
    for i, column in enumerate(table.columns):
        if column.name in ("id", "usn"):
            items.append(f"c[{column.name!r}]")
            continue
        f = cls.model_fields[column.name]
        checked = Annotated[(f.annotation, *f.metadata)] if f.metadata else f.annotation
        if f.is_required():
            fields[column.name] = checked
            value = f"d[{column.name!r}]"
        else:
            assert f.default_factory is None, (type_name, column.name)  # one shared default, as the model's
            fields[column.name] = NotRequired[checked]  # type: ignore[valid-type]
            env[f"default{i}"] = f.default
            value = f"d.get({column.name!r}, default{i})"
        conv = _converter(column.type)
        if conv is None:
            items.append(value)
        else:
            env[f"conv{i}"] = conv
            items.append(f"(None if (v := {value}) is None else conv{i}(v))")
    data = TypedDict(f"{cls.__name__}Data", fields)  # type: ignore[operator]
    id_field = cls.model_fields["id"]
    change = TypedDict(f"{cls.__name__}Change", {  # type: ignore[operator]
        "type": Literal[type_name],
        "id": Annotated[(id_field.annotation, *id_field.metadata)],
        "usn": int,
        "deleted": NotRequired[bool],
        "data": NotRequired[data | None],
    })
    pulled = eval(  # noqa: S307 (column names of our own tables)
        "lambda c: Pulled(T, c['id'], c['usn'], True, None) if c.get('deleted') else"
        f" Pulled(T, c['id'], c['usn'], False, ({', '.join(items)},)) if (d := c.get('data')) is not None else no_row()",
        env,
    )
    return Annotated[change, AfterValidator(pulled)]


def _no_row() -> None:
    raise ValueError("a change that is not a deletion must bring its row")


def parse_page(body: bytes | str) -> PullResponse:
    """A pull page from its JSON, each row validated for its record type and made ready to store
    as it is read (one pass in pydantic's core; see `Pulled`).

    A page that does not fit (a record type this desk does not know, from a newer server; a row
    that fails its checks) is read the plain way, which keeps what it can and says what is wrong.
    """
    with gc_paused():
        try:
            return _typed_page().model_validate_json(body)
        except ValidationError:
            return PullResponse.model_validate_json(body)


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while a page is read or stored. A page is some ten thousand
    objects without cycles (freed by their counts); a collection in the middle finds them all
    alive and moves them to the older generations, and each time enough have moved Python walks
    the whole heap (profiled: a quarter of a big first pull). The collector's counts carry on, so
    it runs at the next allocation after, when the page is about to go."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()



@functools.cache
def _typed_page() -> type[PullResponse]:
    one_of = Annotated[Union[tuple(_pulled(t) for t in RECORD_TYPES)], Field(discriminator="type")]  # noqa: UP007
    return create_model("PulledPage", __base__=PullResponse, changes=(list[one_of], ...))  # type: ignore[call-overload,valid-type]


def _converter(column_type: Any) -> Callable[[Any], Any] | None:
    """The column's SQLAlchemy bind processor for SQLite, or a quicker function of the same result."""
    proc = column_type.dialect_impl(_DIALECT).bind_processor(_DIALECT)
    if proc is None:
        return None
    kind = type(column_type)
    if kind is DateTime:  # stored as 'YYYY-MM-DD HH:MM:SS.ffffff'
        return lambda v: v.isoformat(" ", "microseconds") if type(v) is dt.datetime and v.tzinfo is None else proc(v)
    if kind is Date:  # 'YYYY-MM-DD'
        return lambda v: v.isoformat() if type(v) is dt.date else proc(v)
    if kind is Time:  # 'HH:MM:SS.ffffff'
        return lambda v: v.isoformat("microseconds") if type(v) is dt.time and v.tzinfo is None else proc(v)
    if kind is Boolean:
        return lambda v: int(v) if type(v) is bool else proc(v)
    return proc
