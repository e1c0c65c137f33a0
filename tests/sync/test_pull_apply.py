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
from sync.core.ids import new_id
from sync.core.schema import RECORD_TYPES, SHARED_TABLES, Attendance, ClassSchedule, ClassSession, Contact, Family, Student
from sync.core.wire import Change, PullResponse
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
    read = parse_page(PullResponse(changes=changes, cursor=2000, more=False).model_dump_json()).changes
    assert [list(p.row) for p in read] == [_reference(c.type, c) for c in changes]  # type: ignore[attr-defined]


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


def _dump(cache: Cache) -> dict[str, list[tuple]]:
    """Every row of every table and search index, and which indexes the file has."""
    with cache.engine.connect() as conn:
        out = {t.name: sorted(map(tuple, conn.exec_driver_sql(f'SELECT rowid, * FROM "{t.name}"'))) for t in SHARED_TABLES}
        out.update(_index(cache))
        out["indexes"] = sorted(map(tuple, conn.exec_driver_sql(
            "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name")))  # fmt: skip
        out["deferred"] = conn.exec_driver_sql("SELECT * FROM deferred_index").all()
    return out


def _account_pages() -> list[list[Change]]:
    fam, other = Family(id=new_id(), name="Okafor"), Family(id=new_id(), name="D’Arcy")
    ada = Student(id=new_id(), family_id=fam.id, first_name="Ada", last_name="Okafor")
    zoe = Student(id=new_id(), family_id=other.id, first_name="Zoë", last_name="D'Arcy")
    gone = Student(id=new_id(), family_id=fam.id, first_name="Gone", last_name="Okafor")
    mum = Contact(id=new_id(), family_id=fam.id, first_name="Ngozi", last_name="O'Kafor")
    w = world()
    return [
        [change(ada, 1), change(gone, 2), *w.changes(first_usn=3)],  # a student before its family
        [change(fam, 100), change(other, 101), change(zoe, 102), change(mum, 103)],
        [change(Family(id=fam.id, name="Obi-Okafor"), 104),  # rows of earlier pages again: upserts
         change(Student(id=zoe.id, family_id=fam.id, first_name="Zoe", last_name="D'Arcy"), 105),
         Change(type="student", id=gone.id, usn=106, deleted=True)],
    ]


def test_a_first_pull_loaded_with_its_indexes_at_the_end_is_the_page_by_page_cache(tmp_path: Path):
    pages = _account_pages()
    loaded, stepwise = Cache(tmp_path / "loaded.sqlite3"), Cache(tmp_path / "stepwise.sqlite3")
    try:
        for i, page in enumerate(pages):
            more = i < len(pages) - 1
            loaded.apply_pull(parse_page(PullResponse(changes=page, cursor=page[-1].usn, more=more).model_dump_json()).changes,
                              page[-1].usn, more=more)  # fmt: skip
            stepwise.apply_pull(page, page[-1].usn)  # one page at a time, as a later pull stores it
            if more:  # half way, the load waits for its indexes
                with loaded.engine.connect() as conn:
                    assert conn.exec_driver_sql("SELECT count(*) FROM deferred_index").scalar()
                    assert conn.exec_driver_sql("SELECT count(*) FROM fts_bulk").scalar() == 1
        assert _dump(loaded) == _dump(stepwise)
        assert _dump(loaded)["deferred"] == [] and _index(loaded)["fts_bulk"] == []
        assert {r[3] for r in _index(loaded)["student_fts"] if r[2] in ("Okafor", "D'Arcy")} == {"Obi-Okafor"}
        with loaded.engine.begin() as conn:  # the triggers are awake again
            conn.exec_driver_sql("INSERT INTO family (id, usn, name, email, phone, address) VALUES ('f', 1, 'Lee', '', '', '')")
            assert "Lee" in conn.exec_driver_sql("SELECT name FROM family_name_fts").scalars().all()
    finally:
        loaded.close()
        stepwise.close()


def test_a_later_pull_with_more_pages_is_not_a_load(tmp_path: Path):
    pages = _account_pages()
    cache = Cache(tmp_path / "cache.sqlite3")
    try:
        cache.apply_pull(pages[0], pages[0][-1].usn)
        cache.apply_pull(pages[1], pages[1][-1].usn, more=True)
        with cache.engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM deferred_index").scalar() == 0
        with cache.engine.connect() as conn:
            students = conn.exec_driver_sql("SELECT count(*) FROM student").scalar()
        assert len(_index(cache)["student_fts"]) == students and _index(cache)["fts_bulk"] == []  # kept current
    finally:
        cache.close()


def test_a_load_stopped_half_way_is_finished_when_the_cache_opens(tmp_path: Path):
    pages = _account_pages()
    cache = Cache(tmp_path / "cache.sqlite3")
    for page in pages[:2]:
        cache.apply_pull(page, page[-1].usn, more=True)  # then the connection drops, or the desk stops
    cache.close()
    again, reference = Cache(tmp_path / "cache.sqlite3"), Cache(tmp_path / "reference.sqlite3")
    try:
        for page in pages[:2]:
            reference.apply_pull(page, page[-1].usn)
        assert not again.rebuilt and again.cursor() == pages[1][-1].usn
        assert _dump(again) == _dump(reference)
        again.apply_pull(pages[2], pages[2][-1].usn, more=True)  # the pull goes on: not a load any more
        reference.apply_pull(pages[2], pages[2][-1].usn)
        assert _dump(again) == _dump(reference)
    finally:
        again.close()
        reference.close()


@pytest.mark.parametrize("more", [False, True])
def test_a_malformed_page_is_refused_and_nothing_of_it_stored(tmp_path: Path, more: bool):
    w = world()
    good = w.changes()
    bad_date = Change(type="class_session", id=new_id(), usn=900, data={**good[-1].data, "date": "not a date"}) \
        if good[-1].type == "class_session" else None  # fmt: skip
    long_id = Change(type="family", id="x" * 40, usn=901, data={"name": "Lee"})
    cache = Cache(tmp_path / "cache.sqlite3")
    try:
        for broken in filter(None, [bad_date, long_id]):
            page = parse_page(PullResponse(changes=[*good, broken], cursor=999, more=more).model_dump_json())
            with pytest.raises(ValidationError) as refused:
                cache.apply_pull(page.changes, page.cursor, more=more)
            assert broken.type in str(refused.value) or "36" in str(refused.value)
            dump = _dump(cache)
            assert cache.cursor() == 0 and len(dump.pop("indexes")) > len(SHARED_TABLES)  # none dropped
            assert all(rows == [] for rows in dump.values())  # no row, no search entry, no load begun
        cache.apply_pull(good, good[-1].usn, more=more)  # the good rows alone go in, and the load goes on
        with cache.engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM student").scalar() > 0
    finally:
        cache.close()
