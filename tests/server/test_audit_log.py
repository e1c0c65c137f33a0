"""The audit log: what it records, how managers read it, and that nobody can change it."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest

from server import admin
from sync.core.ids import new_id
from tests.server.api import PASSWORD, check_in, login, push, query


@pytest.fixture
def owner(client, server_account):
    admin.add_staff(server_account["data_dir"], "acme", "olga", PASSWORD, group="owner")
    return login(client, username="olga")


def _events(db_path, action: str) -> list[dict]:
    import json

    rows = query(db_path, "SELECT staff_id, desk_id, detail, at FROM audit_event WHERE action = ? ORDER BY id", action)
    return [{"staff_id": r[0], "desk_id": r[1], "detail": json.loads(r[2]), "at": r[3]} for r in rows]


def test_sign_ins_are_recorded_with_desk_and_address_success_or_not(client, db_path, server_account):
    desk = new_id()
    r = client.post("/v1/auth/login", json={"account": "acme", "username": "alex", "password": "nope", "desk_id": desk, "desk_name": "Front 2"})
    assert r.status_code == 401
    r = client.post("/v1/auth/login", json={"account": "acme", "username": "ghost", "password": "nope", "desk_id": desk})
    assert r.status_code == 401
    s = login(client, desk_id=desk)
    failed = _events(db_path, "login.failed")
    assert [(e["detail"]["username"], e["detail"]["known_username"]) for e in failed] == [("alex", True), ("ghost", False)]
    assert all(e["desk_id"] == desk and e["detail"]["address"] == "127.0.0.1" for e in failed)
    assert failed[0]["detail"]["desk_name"] == "Front 2"
    ok = _events(db_path, "login.succeeded")[-1]
    assert (ok["staff_id"], ok["desk_id"], ok["detail"]["address"], ok["detail"]["source"]) == (s["staff_id"], desk, "127.0.0.1", "desk")


def test_pushed_mutations_carry_staff_desk_source_desk_time_and_server_time(client, session, world, db_path):
    made = "2026-01-02T03:04:05"
    m = check_in(session, 1, world["student_ids"][0], world["location_id"])
    m["made_at"] = made
    bad = check_in(session, 2, "no-such-student", world["location_id"])
    assert [x["status"] for x in push(client, session, [m, bad]).json()["results"]] == ["applied", "rejected"]
    applied, rejected = _events(db_path, "mutation.applied")[-1], _events(db_path, "mutation.rejected")[-1]
    assert applied["staff_id"] == session["staff_id"] and applied["desk_id"] == session["desk_id"]
    assert applied["detail"]["made_at"] == made and applied["detail"]["source"] == "desk"
    assert applied["at"][:4] == str(dt.datetime.now(dt.UTC).year)  # server time, not the desk's 2026-01-02
    assert rejected["detail"]["code"] == "not_found"


def test_staff_changes_keep_before_and_after(client, owner, session, db_path):
    r = client.patch(f"/v1/staff/{session['staff_id']}", json={"display_name": "Alexandra", "grants": ["reports.run"]},
                     headers=owner["headers"])
    assert r.status_code == 200, r.text
    e = _events(db_path, "staff.updated")[-1]
    assert e["staff_id"] == owner["staff_id"] and e["desk_id"] == owner["desk_id"]
    assert e["detail"]["before"]["display_name"] == "Alex" and e["detail"]["before"]["grants"] == []
    assert e["detail"]["after"]["display_name"] == "Alexandra" and e["detail"]["after"]["grants"] == ["reports.run"]


def test_managers_filter_and_page_the_log(client, owner, session, db_path):
    for _ in range(3):
        client.post("/v1/auth/login", json={"account": "acme", "username": "alex", "password": "nope", "desk_id": new_id()})
    h = owner["headers"]
    failed = client.get("/v1/audit", params={"action": "login.failed"}, headers=h).json()["events"]
    assert len(failed) == 3 and {e["action"] for e in failed} == {"login.failed"}
    logins = client.get("/v1/audit", params={"action": "login."}, headers=h).json()["events"]
    assert {e["action"] for e in logins} == {"login.failed", "login.succeeded"}
    mine = client.get("/v1/audit", params={"staff_id": owner["staff_id"]}, headers=h).json()["events"]
    assert mine and all(e["staff_id"] == owner["staff_id"] for e in mine) and mine[0]["staff_name"] == "Olga"
    future = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).isoformat()
    assert client.get("/v1/audit", params={"since": future}, headers=h).json()["events"] == []
    total = query(db_path, "SELECT count(*) FROM audit_event")[0][0]
    seen, before = [], None
    while True:
        page = client.get("/v1/audit", params={"limit": 2, **({"before": before} if before else {})}, headers=h).json()
        seen += [e["id"] for e in page["events"]]
        before = page["next_before"]
        if before is None:
            break
    assert len(seen) == len(set(seen)) == total and seen == sorted(seen, reverse=True)


def test_no_route_changes_the_log(client, owner, db_path):
    from server.main import create_app  # noqa: F401  (the routes below are the app's own)

    doc = client.get("/openapi.json").json()
    audit_ops = {(p, m) for p, item in doc["paths"].items() if "audit" in p for m in item}
    assert audit_ops == {("/v1/audit", "get")}
    before = query(db_path, "SELECT count(*), max(id) FROM audit_event")[0]
    event_id = before[1]
    for method in ("PUT", "PATCH", "DELETE", "POST"):
        for path in ("/v1/audit", f"/v1/audit/{event_id}"):
            r = client.request(method, path, json={"action": "nothing"}, headers=owner["headers"])
            assert r.status_code in (404, 405), (method, path, r.status_code)
    assert query(db_path, "SELECT count(*), max(id) FROM audit_event")[0] == before


def test_the_database_refuses_to_change_or_delete_audit_events(client, session, db_path):
    rows_before = query(db_path, "SELECT id, action, detail FROM audit_event ORDER BY id")
    assert rows_before
    con = sqlite3.connect(db_path)
    try:
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            con.execute("UPDATE audit_event SET action = 'nothing happened'")
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            con.execute("DELETE FROM audit_event")
        con.rollback()
    finally:
        con.close()
    assert query(db_path, "SELECT id, action, detail FROM audit_event ORDER BY id") == rows_before


def test_a_front_desk_user_cannot_read_the_log(client, session):
    r = client.get("/v1/audit", headers=session["headers"])
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"


def test_each_entry_comes_with_the_names_of_what_it_is_about(client, owner, session, world, db_path):
    """So the desk can say "Alex checked Emma Lee in to Level 2 Gymnastics", whatever its cache holds."""
    student = query(db_path, "SELECT s.id, s.first_name, s.last_name, f.name FROM student s JOIN family f ON f.id = s.family_id "
                             "WHERE s.id = ?", world["student_ids"][0])[0]  # fmt: skip
    klass = query(db_path, "SELECT s.name, l.name FROM class_session c JOIN class_schedule s ON s.id = c.schedule_id "
                           "JOIN location l ON l.id = c.location_id WHERE c.id = ?", world["session_id"])[0]  # fmt: skip
    m = check_in(session, 1, student[0], world["location_id"], session_id=world["session_id"], mark_id=new_id(), status="present")
    assert push(client, session, [m]).json()["results"][0]["status"] == "applied"
    client.patch(f"/v1/staff/{session['staff_id']}", json={"display_name": "Alexandra"}, headers=owner["headers"])
    events = client.get("/v1/audit", headers=owner["headers"]).json()["events"]
    [checked_in] = [e for e in events if e["action"] == "mutation.applied"]
    assert checked_in["about"] == {"student": f"{student[1]} {student[2]}", "class": klass[0], "location": klass[1],
                                   "family": student[3], "status": "present"}  # the mark it made: present
    [changed] = [e for e in events if e["action"] == "staff.updated"]
    assert changed["about"] == {"staff": "Alexandra"}
    assert next(e for e in events if e["action"] == "login.succeeded")["about"] == {}
