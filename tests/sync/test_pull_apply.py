"""sync.pull_apply stores what the row-at-a-time path stored: the same values, the same search index."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy.dialects import sqlite

from sync import pull_apply
from sync.pull_apply import parse_page
from sync.cache import Cache
from sync.ids import new_id
from sync.schema import RECORD_TYPES, SHARED_TABLES, Attendance, ClassSchedule, ClassSession, Contact, Family, Student
from sync.wire import Change, PullResponse
from tests.sync.data import change, world


def _reference(type_name: str, c: Change) -> list:
    """What SQLAlchemy would bind: the record validated, then each column's bind processor."""
    dialect = sqlite.dialect()
    cls = RECORD_TYPES[type_name]
    record = cls.model_validate({**(c.data or {}), "id": c.id, "usn": c.usn})
    out = []
    for column in cls.__table__.columns:  # type: ignore[attr-defined]
        value = getattr(record, column.name)
        proc = column.type.dialect_impl(dialect).bind_processor(dialect)
        out.append(value if value is None or proc is None else proc(value))
    return out


def test_bound_values_are_sqlalchemys():
    w = world()
    odd = [
        Student(id=new_id(), family_id=new_id(), first_name="Zoë", last_name="O'Brien", birth_date=dt.date(2015, 2, 3), active=False),
        ClassSchedule(id=new_id(), location_id=new_id(), name="Early", weekday=1, start_time=dt.time(6, 5, 4, 3)),
        ClassSession(id=new_id(), schedule_id=new_id(), location_id=new_id(), date=dt.date(2025, 1, 6), starts_at=dt.datetime(2025, 1, 6, 16, 0),
                     ends_at=dt.datetime(2025, 1, 6, 17, 0, 0, 123456), cancelled=True),  # fmt: skip
        Attendance(id=new_id(), session_id=new_id(), student_id=new_id(), status="late", mark_id=new_id(),
                   marked_at=dt.datetime(2025, 1, 6, 16, 1, 2), staff_id=new_id()),  # fmt: skip
    ]
    changes = w.changes() + [change(r, 1000 + i) for i, r in enumerate(odd)]
    seen = set()
    for c in changes:
        _sql, bind = pull_apply._plan(c.type)
        assert list(bind([c])[0]) == _reference(c.type, c), c.type
        seen.add(c.type)
    assert {"student", "class_session", "class_schedule", "attendance"} <= seen


def _index(cache: Cache) -> dict[str, list[tuple]]:
    with cache.engine.connect() as conn:
        return {t: [tuple(r) for r in conn.exec_driver_sql(f"SELECT rowid, * FROM {t} ORDER BY rowid")]
                for t in ("student_fts", "family_name_fts", "contact_name_fts", "fts_bulk")}  # fmt: skip


def test_the_bulk_index_is_the_one_the_triggers_keep(tmp_path: Path):
    fam, other = Family(id=new_id(), name="Okafor"), Family(id=new_id(), name="D’Arcy")
    kids = [Student(id=new_id(), family_id=fam.id, first_name=n, last_name="Okafor") for n in ("Ada", "Obi")]
    late = Student(id=new_id(), family_id=other.id, first_name="Zoë", last_name="D'Arcy")
    mum = Contact(id=new_id(), family_id=fam.id, first_name="Ngozi", last_name="O'Kafor")
    pages = [
        [change(kids[0], 1), change(kids[1], 2)],  # students before their family
        [change(fam, 3), change(other, 4), change(late, 5), change(mum, 6)],
        [change(Family(id=fam.id, name="Obi-Okafor"), 7), change(Student(id=late.id, family_id=fam.id, first_name="Zoe",
                                                                          last_name="D'Arcy"), 8),  # fmt: skip
         change(Contact(id=mum.id, family_id=fam.id, first_name="Ngozi", last_name="Obi"), 9)],
    ]
    bulk, rowwise = Cache(tmp_path / "bulk.sqlite3"), Cache(tmp_path / "rowwise.sqlite3")
    try:
        for page in pages:
            bulk.apply_pull(page, cursor=page[-1].usn)
            with rowwise.engine.begin() as conn:  # the same rows in the same order, one statement each: triggers
                for type_name in RECORD_TYPES:
                    for c in page:
                        if c.type == type_name:
                            sql, bind = pull_apply._plan(type_name)
                            conn.exec_driver_sql(sql, tuple(bind([c])[0]))
            assert _index(bulk) == _index(rowwise)
        index = _index(bulk)
        assert len(index["student_fts"]) == 3 and len(index["contact_name_fts"]) == 1 and index["fts_bulk"] == []
        assert {r[3] for r in index["student_fts"]} == {"Obi-Okafor"}
    finally:
        bulk.close()
        rowwise.close()


def test_a_failed_page_leaves_the_triggers_on(tmp_path: Path):
    cache = Cache(tmp_path / "cache.sqlite3")
    try:
        fam = Family(id=new_id(), name="Okafor")
        broken = Change(type="student", id=new_id(), usn=2, data={"first_name": "No family"})
        with pytest.raises(Exception):
            cache.apply_pull([change(fam, 1), broken], cursor=2)
        with cache.engine.begin() as conn:
            conn.exec_driver_sql("INSERT INTO family (id, usn, name, email, phone, address) VALUES ('f', 1, 'Lee', '', '', '')")
            assert conn.exec_driver_sql("SELECT name FROM family_name_fts").scalars().all() == ["Lee"]
    finally:
        cache.close()


def test_a_page_read_typed_stores_what_the_plain_page_stores(tmp_path: Path):
    w = world()
    body = PullResponse(changes=w.changes(), cursor=99, more=False).model_dump_json()
    typed, plain = parse_page(body), PullResponse.model_validate_json(body)
    assert type(typed.changes[0]) is not Change and (typed.cursor, typed.more) == (99, False)
    caches = [Cache(tmp_path / "typed.sqlite3"), Cache(tmp_path / "plain.sqlite3")]
    try:
        for cache, page in zip(caches, (typed, plain), strict=True):
            cache.apply_pull(page.changes, page.cursor)
        dumps = []
        for cache in caches:
            with cache.engine.connect() as conn:
                dumps.append({t.name: sorted(map(tuple, conn.exec_driver_sql(f'SELECT * FROM "{t.name}"')))
                              for t in SHARED_TABLES})  # fmt: skip
        assert dumps[0] == dumps[1] and sum(map(len, dumps[0].values())) == len(w.changes())
    finally:
        for cache in caches:
            cache.close()


def test_a_page_with_a_type_this_desk_does_not_know_is_read_the_plain_way():
    w = world()
    body = PullResponse(changes=[Change(type="hologram", id="x", usn=1, data={"beam": 1}), *w.changes()], cursor=99,
                        more=True).model_dump_json()  # fmt: skip
    page = parse_page(body)
    assert [type(c) for c in page.changes] == [Change] * (len(w.changes()) + 1) and page.changes[0].data == {"beam": 1}
    with pytest.raises(ValidationError):
        parse_page(b'{"changes": [], "cursor": "soon"}')
