"""Set-up through desks' pushes over real HTTP: who may, what the server plans, what is audited."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import httpx
import pytest

from server import admin
from server.main import create_app
from server.settings import Settings
from sync.core.clock import PinnedClock
from sync.core.ids import new_id
from tests.helpers.server_process import ThreadedServer, account_db_path
from tests.server.api import login, pull_all, push, query

CHICAGO = ZoneInfo("America/Chicago")
NOW = dt.datetime(2026, 11, 16, 9, 0, tzinfo=CHICAGO)  # a Monday


def change(session: dict, seq: int, type_: str, **payload) -> dict:
    return {"id": new_id(), "desk_id": session["desk_id"], "seq": seq, "staff_id": session["staff_id"],
            "made_at": NOW.astimezone(dt.UTC).replace(tzinfo=None).isoformat(), "type": type_, "payload": payload}  # fmt: skip


@pytest.fixture
def server(tmp_path):
    admin.create_account(tmp_path, "acme", name="Acme Gym")
    admin.add_staff(tmp_path, "acme", "morgan", "pw manager", group="manager", display_name="Morgan Lee")
    admin.add_staff(tmp_path, "acme", "alex", "pw desk", group="front-desk")
    admin.add_staff(tmp_path, "acme", "kim", "pw coach", group="coach", display_name="Kim Park")
    app = create_app(Settings(data_dir=tmp_path), clock=PinnedClock(NOW, frozen=True))
    with ThreadedServer(app=app) as srv, httpx.Client(base_url=srv.url, timeout=10) as client:
        yield {"client": client, "db": account_db_path(tmp_path, "acme")}


def results(r: httpx.Response) -> list[tuple[str, str | None]]:
    assert r.status_code == 200, r.text
    return [(x["status"], x["code"]) for x in r.json()["results"]]


def test_a_manager_sets_up_a_school_from_a_desk_and_the_server_plans_its_sessions(server):
    client, db = server["client"], server["db"]
    m = login(client, username="morgan", password="pw manager")
    coach = login(client, username="kim", password="pw coach")
    loc, prog, room, cls, closure = (new_id() for _ in range(5))
    r = push(client, m, [
        change(m, 1, "location.add", id=loc, fields={"name": "Downtown", "code": "dt", "timezone": "America/Chicago",
                                                      "phone": "(312) 555-0100", "hours": "Mon 9:00-20:00"}),
        change(m, 2, "program.add", id=prog, fields={"name": "Recreational Gymnastics"}),
        change(m, 3, "room.add", id=room, location_id=loc, fields={"name": "Main floor", "capacity": 30}),
        change(m, 4, "class.add", id=cls, location_id=loc, fields={
            "name": "Level 1", "program_id": prog, "room_id": room, "times": "1 16:00 60;3 16:00 60", "age_min": 6,
            "age_max": 9, "capacity": 14, "instructor_ids": [coach["staff_id"]], "tuition_cents": 8500}),
        change(m, 5, "closure.add", id=closure, location_id=loc,
               fields={"name": "Thanksgiving", "start_date": "2026-11-26", "end_date": "2026-11-27"}),
    ])  # fmt: skip
    assert results(r) == [("applied", None)] * 5
    pulled = pull_all(client, coach["headers"])  # a coach's desk sees the schedule, rooms and closures
    by_type: dict[str, list[dict]] = {}
    for c in pulled:
        by_type.setdefault(c["type"], []).append(c["data"])
    assert by_type["location"][0]["code"] == "DT" and by_type["location"][0]["hours"] == "0 09:00-20:00"
    assert by_type["class_schedule"][0]["coach"] == "Kim Park" and by_type["class_schedule"][0]["tuition_cents"] == 8500
    assert {t for t in by_type} >= {"program", "room", "closure"}
    days = sorted(s["date"] for s in by_type["class_session"])
    assert days[0] == "2026-11-17" and "2026-11-26" in days and len(days) == 18  # Tue and Thu, nine weeks
    thanksgiving = next(s for s in by_type["class_session"] if s["date"] == "2026-11-26")
    assert (thanksgiving["cancelled"], thanksgiving["note"]) == (True, "Closed: Thanksgiving")

    # One session moved and given a substitute; the class stays as it was.
    tuesday = next(s for s in by_type["class_session"] if s["date"] == "2026-11-17")
    r = push(client, m, [change(m, 6, "session.update", id=tuesday["id"], changes={"start_time": "17:00",
                                                                                    "instructor_id": m["staff_id"]}),
                         change(m, 7, "class.update", id=cls, changes={"capacity": 16})])  # fmt: skip
    assert results(r) == [("applied", None)] * 2
    moved = query(db, "SELECT starts_at, changed, instructor_id FROM class_session WHERE id = ?", tuesday["id"])
    assert moved == [("2026-11-17 23:00:00.000000", 1, m["staff_id"])]
    # The audit keeps the values an edit overwrote.
    (detail,) = query(db, "SELECT detail FROM audit_event WHERE action = 'mutation.applied' AND record_id = ? "
                          "AND detail LIKE '%class.update%'", cls)[0]  # fmt: skip
    assert json.loads(detail)["changes"] == {"capacity": {"before": 14, "after": 16}}


def test_front_desk_and_coaches_may_not_set_up_and_the_refusal_is_audited(server):
    client, db = server["client"], server["db"]
    for username, password in (("alex", "pw desk"), ("kim", "pw coach")):
        s = login(client, username=username, password=password)
        r = push(client, s, [change(s, 1, "location.add", id=new_id(), fields={"name": "Mine", "code": "MN"}),
                             change(s, 2, "program.add", id=new_id(), fields={"name": "Mine"})])  # fmt: skip
        assert results(r) == [("rejected", "forbidden")] * 2
    assert query(db, "SELECT count(*) FROM location") == [(0,)]
    assert query(db, "SELECT count(*) FROM audit_event WHERE action = 'mutation.rejected' AND detail LIKE '%forbidden%'") == [(4,)]


def test_a_bad_class_from_a_desk_is_refused_in_words(server):
    client = server["client"]
    m = login(client, username="morgan", password="pw manager")
    loc = new_id()
    r = push(client, m, [
        change(m, 1, "location.add", id=loc, fields={"name": "Downtown", "code": "DT"}),
        change(m, 2, "class.add", id=new_id(), location_id=loc, fields={"name": "X", "times": "Mon 16:00 60",
                                                                         "term_start": "2026-12-01", "term_end": "2026-11-01"}),
        change(m, 3, "class.add", id=new_id(), location_id=new_id(), fields={"name": "X", "times": "Mon 16:00 60"}),
    ])  # fmt: skip
    body = r.json()["results"]
    assert [x["status"] for x in body] == ["applied", "rejected", "rejected"]
    assert "term ends before it starts" in body[1]["message"] and body[2]["code"] == "not_found"
