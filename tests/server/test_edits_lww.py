"""Editable records: last writer wins per field, in server order, with the overwritten value audited.

Two desks edit the same guardian while offline, then push; desk clocks are set hours apart (the
later push carries the EARLIER clock) to show they play no part.
"""

from __future__ import annotations

import datetime as dt
import json

from sync.core.ids import new_id, utcnow
from tests.server.api import login, pull_all, push, query


def edit(session: dict, seq: int, type_: str, made_at: dt.datetime, **payload) -> dict:
    return {"id": new_id(), "desk_id": session["desk_id"], "seq": seq, "staff_id": session["staff_id"],
            "made_at": made_at.isoformat(), "type": type_, "payload": payload}  # fmt: skip


def current(client, session, type_: str, record_id: str) -> dict:
    return next(c["data"] for c in pull_all(client, session["headers"]) if c["type"] == type_ and c["id"] == record_id)


def audit_changes(db_path, record_id: str) -> list[dict]:
    rows = query(db_path, "SELECT detail FROM audit_event WHERE action = 'mutation.applied' AND record_id = ? "
                          "ORDER BY id", record_id)  # fmt: skip
    return [json.loads(d)["changes"] for (d,) in rows]


def test_two_desks_edit_one_guardian_offline_fields_merge_and_same_field_goes_to_the_later_push(client, db_path):
    a, b = login(client), login(client)
    contact = current(client, a, "contact", next(c["id"] for c in pull_all(client, a["headers"]) if c["type"] == "contact"))
    now = utcnow()
    # Desk A (clock 5 hours AHEAD) changes phone and email; desk B (clock right) changes email and relation.
    ra = push(client, a, [edit(a, 1, "contact.update", now + dt.timedelta(hours=5), id=contact["id"],
                               changes={"phone": "(312) 555-0101", "email": "a@example.org"})])
    rb = push(client, b, [edit(b, 1, "contact.update", now, id=contact["id"],
                               changes={"email": "b@example.org", "relation": "grandparent"})])
    assert ra.json()["results"][0]["status"] == rb.json()["results"][0]["status"] == "applied"
    after = current(client, a, "contact", contact["id"])
    assert after["phone"] == "+13125550101"  # only A changed it
    assert after["relation"] == "grandparent"  # only B changed it
    assert after["email"] == "b@example.org"  # both: B reached the server last, whatever the clocks said
    assert after["first_name"] == contact["first_name"]  # untouched fields keep their value
    # The audit log keeps what each edit overwrote: A's email is recoverable.
    changes = audit_changes(db_path, contact["id"])
    assert changes[0]["email"] == {"before": contact["email"], "after": "a@example.org"}
    assert changes[1]["email"] == {"before": "a@example.org", "after": "b@example.org"}
    assert changes[1]["relation"] == {"before": contact["relation"], "after": "grandparent"}


def test_bad_edits_are_refused_in_words_and_change_nothing(client, session, world):
    family_id = next(c["id"] for c in pull_all(client, session["headers"]) if c["type"] == "family")
    student_id = world["student_ids"][0]
    r = push(client, session, [
        edit(session, 1, "family.update", utcnow(), id=family_id, changes={"email": "not an address"}),
        edit(session, 2, "student.update", utcnow(), id=student_id, changes={"family_id": family_id}),
        edit(session, 3, "contact.update", utcnow(), id=new_id(), changes={"phone": "555"}),
        edit(session, 4, "family.update", utcnow(), id=family_id, changes={"phone": "call me maybe"}),
        edit(session, 5, "alert.add", utcnow(), alert_id=new_id(), student_id=student_id, kind="allergy",
             text="Peanuts: EpiPen in the office"),
    ])  # fmt: skip
    results = r.json()["results"]
    assert [x["status"] for x in results] == ["rejected"] * 4 + ["applied"]
    assert "is not an email address" in results[0]["message"]
    assert "cannot be changed here" in results[1]["message"]
    assert results[2]["code"] == "not_found"
    alerts = [c["data"] for c in pull_all(client, session["headers"]) if c["type"] == "alert"
              and c["data"]["student_id"] == student_id and c["data"]["kind"] == "allergy"]
    assert any(x["text"] == "Peanuts: EpiPen in the office" for x in alerts)


def test_a_coach_may_not_edit_the_family_file(client, server_account, world):
    from server import admin

    admin.add_staff(server_account["data_dir"], "acme", "casey", "coach pass 123", group="coach")
    coach = login(client, username="casey", password="coach pass 123")
    r = push(client, coach, [edit(coach, 1, "student.update", utcnow(), id=world["student_ids"][0],
                                  changes={"first_name": "Zed"})])
    result = r.json()["results"][0]
    assert result["status"] == "rejected" and result["code"] == "forbidden"
