"""Pull: pages in usn order that never skip or repeat a change."""

from __future__ import annotations

import pytest

from sync.core.ids import new_id
from sync.core.schema import RECORD_TYPES, record_from_wire
from tests.server.api import check_in, count, push, query


def _walk(client, headers, limit):
    after, pages = 0, []
    while True:
        r = client.get("/v1/sync/pull", params={"after": after, "limit": limit}, headers=headers)
        assert r.status_code == 200, r.text
        page = r.json()
        pages.append(page)
        if not page["more"]:
            return pages
        assert page["cursor"] > after
        after = page["cursor"]


def _stored_rows(db_path) -> set[tuple[str, str, int]]:
    rows = set()
    for type_name, cls in RECORD_TYPES.items():
        for row_id, usn in query(db_path, f"SELECT id, usn FROM {cls.__tablename__}"):
            rows.add((type_name, row_id, usn))
    return rows


def test_paging_returns_every_change_exactly_once_in_order(client, session, world, db_path):
    push(client, session, [check_in(session, 1, world["student_ids"][0], world["location_id"], session_id=world["session_id"], mark_id=new_id())])
    pages = _walk(client, session["headers"], limit=37)
    changes = [c for p in pages for c in p["changes"]]
    usns = [c["usn"] for c in changes]
    assert usns == sorted(usns) and len(set(usns)) == len(usns)
    assert {(c["type"], c["id"], c["usn"]) for c in changes} == _stored_rows(db_path)
    assert all(len(p["changes"]) == 37 for p in pages[:-1]) and 0 < len(pages[-1]["changes"]) <= 37
    cursors = [p["cursor"] for p in pages]
    assert cursors == sorted(cursors) and len(set(cursors)) == len(cursors)
    assert [p["cursor"] for p in pages] == [p["changes"][-1]["usn"] for p in pages]
    assert pages[-1]["more"] is False
    assert len(pages) > 3
    # Pulled data rebuilds the records.
    for c in changes[:50]:
        assert record_from_wire(c["type"], c["data"]).id == c["id"]


def test_an_empty_page_keeps_the_cursor(client, session):
    last = _walk(client, session["headers"], limit=5000)[-1]["cursor"]
    r = client.get("/v1/sync/pull", params={"after": last, "limit": 10}, headers=session["headers"]).json()
    every = sorted(RECORD_TYPES)  # front desk: every type (the types a page covers: test_pull_scope)
    assert r == {"changes": [], "cursor": last, "more": False, "head": last, "types": every}  # head: the latest usn
    far = client.get("/v1/sync/pull", params={"after": last + 1000}, headers=session["headers"]).json()
    assert far == {"changes": [], "cursor": last + 1000, "more": False, "head": last, "types": every}


def test_a_limit_equal_to_what_remains_says_no_more(client, session):
    total = len([c for p in _walk(client, session["headers"], limit=5000) for c in p["changes"]])
    r = client.get("/v1/sync/pull", params={"after": 0, "limit": total}, headers=session["headers"]).json()
    assert len(r["changes"]) == total and r["more"] is False
    r = client.get("/v1/sync/pull", params={"after": 0, "limit": total - 1}, headers=session["headers"]).json()
    assert len(r["changes"]) == total - 1 and r["more"] is True


def test_a_rewritten_row_moves_to_its_new_usn(client, session, world):
    after = _walk(client, session["headers"], limit=5000)[-1]["cursor"]
    student = world["student_ids"][0]
    for seq, status in ((1, "present"), (2, "absent")):
        m = {
            **check_in(session, seq, student, world["location_id"]),
            "type": "attendance.mark",
            "payload": {"mark_id": new_id(), "session_id": world["session_id"], "student_id": student, "status": status},
        }
        assert push(client, session, [m]).json()["results"][0]["status"] == "applied"
    changes = client.get("/v1/sync/pull", params={"after": after}, headers=session["headers"]).json()["changes"]
    registers = [c for c in changes if c["type"] == "attendance"]
    assert len(registers) == 1 and registers[0]["data"]["status"] == "absent"
    assert len([c for c in changes if c["type"] == "attendance_mark"]) == 2


def test_tombstones_are_pulled_in_order(client, session, db_path):
    import sqlite3

    last = _walk(client, session["headers"], limit=5000)[-1]["cursor"]
    con = sqlite3.connect(db_path)
    with con:
        con.execute("UPDATE change_counter SET usn = usn + 1")
        con.execute("INSERT INTO tombstone (type, id, usn) SELECT 'alert', 'gone-alert', usn FROM change_counter")
    con.close()
    r = client.get("/v1/sync/pull", params={"after": last}, headers=session["headers"]).json()
    assert r["changes"] == [{"type": "alert", "id": "gone-alert", "usn": last + 1, "deleted": True, "data": None}]
    assert count(db_path, "tombstone") == 1


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 5001}, {"after": -1}, {"after": "x"}, {"limit": "1.5"}])
def test_bad_pull_parameters_are_422(client, session, params):
    r = client.get("/v1/sync/pull", params=params, headers=session["headers"])
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "invalid_request"
