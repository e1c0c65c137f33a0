"""Storing a pull page in the cache: rows validated a page at a time, search indexes in bulk.

A first pull brings every row of the account (100k students and a million attendance rows at a
big school), so what the cache does per row is what a first pull costs (bench.sync_first_pull):

- Rows: the client reads a page with `parse_page`, which validates each row for its record type
  as the JSON is read (the same fields and checks as `sync.schema.record_from_wire`); rows that
  come as plain dicts are validated a type at a time in one pydantic call. They are bound as
  SQLite stores them, straight to the driver: the conversions are those of SQLAlchemy's bind
  processors, without their per-value overhead (tests/sync/test_pull_apply.py holds them equal).
- Garbage collection is paused while a page is read or stored (see `gc_paused`).
- Search: the FTS5 triggers of `sync.cache` keep the indexes current one row at a time; FTS5
  flushes its pending terms at every statement that writes it from a trigger, which made the
  triggers cost more than all the rest of a first pull. So while a page is stored the triggers
  stand aside (a row in `fts_bulk`, inside the page's own transaction, never committed) and the
  index rows of what the page touched are rewritten with one statement each, from the same
  expressions the triggers use. Deletions (rare) still go through the triggers.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import gc
import json
from collections.abc import Callable, Iterator, Sequence
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, Field, TypeAdapter, ValidationError, create_model
from sqlalchemy import Boolean, Date, DateTime, Time, delete
from sqlalchemy.dialects import sqlite
from sqlmodel import Session

from sync.schema import RECORD_TYPES
from sync.wire import Change, PullResponse

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


def store_changes(s: Session, latest: dict[str, dict[str, Change]], squash: str) -> None:
    """Upsert (or delete, for tombstones) the last version of each row, referenced types first.

    `squash` is the SQL template of the search index's squashed column (sync.cache._SQUASH).
    """
    with gc_paused():
        _store(s, latest, squash)


def _store(s: Session, latest: dict[str, dict[str, Change]], squash: str) -> None:
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
        if type_name in _SEARCHED and not quiet:
            conn.exec_driver_sql("INSERT INTO fts_bulk (id) VALUES (1)")
            quiet = True
        sql, bind = _plan(type_name)
        # Straight to the driver: SQLAlchemy's per-row statement handling cost more than SQLite.
        conn.exec_driver_sql(sql, bind(mine))
        if type_name in _SEARCHED:
            touched[type_name] = [c.id for c in mine]
    if quiet:
        for sql in _fts_refresh(squash):
            conn.exec_driver_sql(sql, {"students": json.dumps(touched.get("student", [])),
                                       "families": json.dumps(touched.get("family", [])),
                                       "contacts": json.dumps(touched.get("contact", []))})  # fmt: skip
        conn.exec_driver_sql("DELETE FROM fts_bulk")


_SEARCHED = frozenset({"student", "family", "contact"})  # the record types the FTS triggers follow


@functools.cache
def _fts_refresh(squash: str) -> list[str]:
    """The index rows of the students, families and contacts a page touched, rewritten: what the
    triggers of sync.cache would have left, in one statement per index instead of one per row.
    A student's row follows its family's name too, so a touched family rewrites its students'."""
    ids = "SELECT value FROM json_each(:{})"
    students = f"id IN ({ids.format('students')}) OR family_id IN ({ids.format('families')})"
    with_family = "last_name || ' ' || f"
    return [
        f"DELETE FROM student_fts WHERE rowid IN (SELECT rowid FROM student WHERE {students})",
        "INSERT INTO student_fts(rowid, first_name, last_name, family_name, squashed) "
        f"SELECT rowid, first_name, last_name, f, {squash.format(with_family)} "
        "FROM (SELECT rowid, first_name, last_name, coalesce((SELECT name FROM family WHERE family.id = student.family_id), '') AS f "
        f"FROM student WHERE {students})",
        f"DELETE FROM family_name_fts WHERE rowid IN (SELECT rowid FROM family WHERE id IN ({ids.format('families')}))",
        f"INSERT INTO family_name_fts(rowid, name, squashed) SELECT rowid, name, {squash.format('name')} "
        f"FROM family WHERE id IN ({ids.format('families')})",
        f"DELETE FROM contact_name_fts WHERE rowid IN (SELECT rowid FROM contact WHERE id IN ({ids.format('contacts')}))",
        f"INSERT INTO contact_name_fts(rowid, first_name, last_name, squashed) "
        f"SELECT rowid, first_name, last_name, {squash.format('last_name')} FROM contact WHERE id IN ({ids.format('contacts')})",
    ]


def row(type_name: str, change: Change) -> dict:
    """The column values of one pulled row, validated like `record_from_wire` would (dates parsed)."""
    return _model(type_name).model_validate({**(change.data or {}), "id": change.id, "usn": change.usn}).__dict__


@functools.cache
def _model(type_name: str) -> type[BaseModel]:
    """A plain pydantic twin of a record class: the same fields and checks as
    `sync.schema.record_from_wire`, without SQLModel's machinery (about ten times faster)."""
    cls = RECORD_TYPES[type_name]
    return create_model(f"{cls.__name__}Row", **{n: (f.annotation, f) for n, f in cls.model_fields.items()})  # type: ignore[call-overload]


@functools.cache
def _plan(type_name: str) -> tuple[str, Callable[[list[Change]], list]]:
    """The upsert of one record type for the driver, and what makes its parameters from changes."""
    cls = RECORD_TYPES[type_name]
    table = cls.__table__  # type: ignore[attr-defined]
    names = [c.name for c in table.columns]
    columns = ", ".join(f'"{n}"' for n in names)
    updates = ", ".join(f'"{n}" = excluded."{n}"' for n in names if n != "id")
    marks = ", ".join("?" * len(names))
    sql = f'INSERT INTO "{table.name}" ({columns}) VALUES ({marks}) ON CONFLICT("id") DO UPDATE SET {updates}'
    rows = TypeAdapter(list[_model(type_name)])  # type: ignore[misc]  # the whole page in one call
    typed = _typed_change(type_name)
    # The parameters of one row, as one generated expression: a loop over the columns per row
    # cost as much as validating it. `c` is the change (id, usn), `d` the row's other values.
    env: dict[str, Any] = {}
    items = []
    for i, column in enumerate(table.columns):
        value = f"c.{column.name}" if column.name in ("id", "usn") else f"d[{column.name!r}]"
        conv = _converter(column.type)
        if conv is None:
            items.append(value)
        else:
            env[f"conv{i}"] = conv
            items.append(f"(None if (v := {value}) is None else conv{i}(v))")
    params_of = eval(f"lambda c, d: ({', '.join(items)},)", env)  # noqa: S307 (column names of our own tables)

    def bind(changes: list[Change]) -> list[tuple]:
        # Read by parse_page, a change's row is validated already; else (a plain Change) here.
        ready = [params_of(c, c.data.__dict__) for c in changes if type(c) is typed]  # type: ignore[union-attr]
        plain = [c for c in changes if type(c) is not typed]
        if plain:
            valid = rows.validate_python([{**(c.data or {}), "id": c.id, "usn": c.usn} for c in plain])
            ready += [params_of(m, m.__dict__) for m in valid]
        return ready

    return sql, bind


def parse_page(body: bytes | str) -> PullResponse:
    """A pull page from its JSON, each row validated for its record type as it is read (one pass
    in pydantic's core instead of a dict per row validated again when stored).

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
def _typed_change(type_name: str) -> type[Change]:
    """A Change whose `data` is the record's row, validated (the same fields and checks as
    `record_from_wire`; its id and usn are the change's own, as when stored from a plain Change)."""
    cls = RECORD_TYPES[type_name]
    data = create_model(f"{cls.__name__}Data", **{n: (f.annotation, f) for n, f in cls.model_fields.items()
                                                  if n not in ("id", "usn")})  # type: ignore[call-overload]  # fmt: skip
    id_field = cls.model_fields["id"]
    return create_model(f"{cls.__name__}Change", __base__=Change, type=(Literal[type_name], ...),  # type: ignore[call-overload]
                        id=(id_field.annotation, id_field), data=(data | None, None))  # fmt: skip


@functools.cache
def _typed_page() -> type[PullResponse]:
    one_of = Annotated[Union[tuple(_typed_change(t) for t in RECORD_TYPES)], Field(discriminator="type")]  # noqa: UP007
    return create_model("TypedPullResponse", __base__=PullResponse, changes=(list[one_of], ...))  # type: ignore[call-overload,valid-type]


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
