"""The family file over real HTTP: a new family in one step, moves, notes, checks and permissions."""

from __future__ import annotations

import json

from server import admin
from sync.core.ids import new_id, utcnow
from tests.server.api import login, pull_all, push, query, table_counts
from tests.server.test_edits_lww import current, edit


def new_family(session: dict, seq: int, name: str = "Okafor", phone: str = "(312) 555-0247", **extra) -> tuple[dict, dict]:
    """A family.create mutation as the desk sends it, and its ids."""
    ids = {"family": new_id(), "mother": new_id(), "grandma": new_id(), "ada": new_id(), "obi": new_id(), "note": new_id()}
    payload = {
        "family_id": ids["family"], "name": name, "address": "12 Elm St, Chicago IL",
        "guardians": [
            {"contact_id": ids["mother"], "first_name": "Ngozi", "last_name": name, "relation": "mother",
             "phone": phone, "email": "Ngozi.Okafor@Example.COM", "is_primary": True},
            {"contact_id": ids["grandma"], "first_name": "Ada", "last_name": "Eze", "relation": "emergency contact",
             "phone": "+1 773 555 0299"},
        ],
        "students": [
            {"student_id": ids["ada"], "first_name": "Ada", "last_name": name, "birth_date": "2019-04-02", "gender": "girl"},
            {"student_id": ids["obi"], "first_name": "Obi", "last_name": name, "birth_date": "2021-09-30"},
        ],
        "notes": [{"alert_id": ids["note"], "student_id": ids["obi"], "kind": "allergy", "text": "Peanuts: EpiPen in bag"}],
        **extra,
    }  # fmt: skip
    return edit(session, seq, "family.create", utcnow(), **payload), ids


def test_a_new_family_from_the_phone_call_lands_whole_once_with_numbers_and_addresses_normalised(client, session):
    mutation, ids = new_family(session, 1)
    first = push(client, session, [mutation]).json()["results"][0]
    again = push(client, session, [mutation]).json()["results"][0]  # a lost answer: the desk sends it again
    assert first["status"] == "applied" and again == first
    changes = pull_all(client, session["headers"])
    families = [c["data"] for c in changes if c["type"] == "family" and c["data"]["name"] == "Okafor"]
    assert [f["id"] for f in families] == [ids["family"]]
    guardians = {c["id"]: c["data"] for c in changes if c["type"] == "contact" and c["data"]["family_id"] == ids["family"]}
    assert guardians[ids["mother"]]["phone"] == "+13125550247"  # E.164, whatever was typed
    assert guardians[ids["mother"]]["email"] == "Ngozi.Okafor@example.com"  # the validator's normal form
    assert guardians[ids["grandma"]]["relation"] == "emergency contact" and guardians[ids["grandma"]]["phone"] == "+17735550299"
    students = {c["id"]: c["data"] for c in changes if c["type"] == "student" and c["data"]["family_id"] == ids["family"]}
    assert students[ids["ada"]]["birth_date"] == "2019-04-02" and set(students) == {ids["ada"], ids["obi"]}
    [note] = [c["data"] for c in changes if c["type"] == "alert" and c["id"] == ids["note"]]
    assert note["student_id"] == ids["obi"] and note["kind"] == "allergy"


def test_a_bad_email_or_an_incomplete_phone_refuses_the_whole_family_in_words(client, session, db_path):
    before = table_counts(db_path)
    bad_email, _ = new_family(session, 1)
    bad_email["payload"]["guardians"][0]["email"] = "ngozi@@example"
    short_phone, _ = new_family(session, 2, phone="555-0247")
    results = push(client, session, [bad_email, short_phone]).json()["results"]
    assert [r["status"] for r in results] == ["rejected", "rejected"]
    assert "“ngozi@@example” is not an email address" in results[0]["message"]
    assert "not a full phone number: type it with its area code" in results[1]["message"]
    after = table_counts(db_path)
    assert {t: n for t, n in after.items() if t != "applied_mutation"} == {t: n for t, n in before.items() if t != "applied_mutation"}


def test_every_field_edits_notes_resolve_and_a_student_goes_inactive_and_back(client, session, db_path):
    mutation, ids = new_family(session, 1)
    note_id = new_id()
    results = push(client, session, [
        mutation,
        edit(session, 2, "family.update", utcnow(), id=ids["family"], changes={"address": "9 Oak Ave", "phone": "312-555-0248"}),
        edit(session, 3, "contact.update", utcnow(), id=ids["mother"], changes={"phone": "+1 (312) 555-0290", "is_primary": True}),
        edit(session, 4, "student.update", utcnow(), id=ids["ada"], changes={"first_name": "Adaeze", "birth_date": "2019-04-03"}),
        edit(session, 5, "alert.add", utcnow(), alert_id=note_id, family_id=ids["family"], kind="note", text="Dad picks up Tue"),
        edit(session, 6, "alert.update", utcnow(), id=note_id, changes={"text": "Dad picks up Tue and Thu"}),
        edit(session, 7, "alert.update", utcnow(), id=ids["note"], changes={"active": False}),  # resolved
        edit(session, 8, "student.update", utcnow(), id=ids["obi"], changes={"active": False}),
        edit(session, 9, "student.update", utcnow(), id=ids["obi"], changes={"active": True}),
    ]).json()["results"]  # fmt: skip
    assert [r["status"] for r in results] == ["applied"] * 9, results
    assert current(client, session, "family", ids["family"])["phone"] == "+13125550248"
    assert current(client, session, "contact", ids["mother"])["phone"] == "+13125550290"
    assert current(client, session, "student", ids["ada"])["first_name"] == "Adaeze"
    assert current(client, session, "alert", note_id)["text"] == "Dad picks up Tue and Thu"
    assert current(client, session, "alert", ids["note"])["active"] is False
    assert current(client, session, "student", ids["obi"])["active"] is True
    rows = query(db_path, "SELECT detail FROM audit_event WHERE action = 'mutation.applied' AND record_id = ? ORDER BY id",
                 ids["mother"])  # fmt: skip
    [changes] = [json.loads(d)["changes"] for (d,) in rows]
    assert changes["phone"] == {"before": "+13125550247", "after": "+13125550290"}


def test_only_those_allowed_add_families_or_move_students_and_a_move_is_audited_by_family_name(
    client, session, server_account, db_path
):
    data_dir = server_account["data_dir"]
    admin.add_staff(data_dir, "acme", "casey", "coach pass 123", group="coach")
    admin.add_staff(data_dir, "acme", "morgan", "manager pass 123", group="manager")
    coach = login(client, username="casey", password="coach pass 123")
    manager = login(client, username="morgan", password="manager pass 123")
    okafor, ids = new_family(session, 1)
    eze, eze_ids = new_family(session, 2, name="Eze", phone="(312) 555-0270")
    assert [r["status"] for r in push(client, session, [okafor, eze]).json()["results"]] == ["applied", "applied"]

    refused = push(client, coach, [new_family(coach, 1, name="Nope")[0]]).json()["results"][0]
    assert refused["status"] == "rejected" and refused["code"] == "forbidden"
    assert "not allowed to add families" in refused["message"]
    move = {"student_id": ids["obi"], "family_id": eze_ids["family"]}
    refused = push(client, session, [edit(session, 3, "student.move", utcnow(), **move)]).json()["results"][0]
    assert refused["code"] == "forbidden"  # front desk adds and edits families; custody moves are a manager's
    assert current(client, session, "student", ids["obi"])["family_id"] == ids["family"]

    moved = push(client, manager, [edit(manager, 1, "student.move", utcnow(), **move)]).json()["results"][0]
    assert moved["status"] == "applied"
    assert current(client, session, "student", ids["obi"])["family_id"] == eze_ids["family"]
    [(detail,)] = query(db_path, "SELECT detail FROM audit_event WHERE action = 'mutation.applied' AND json_extract(detail, "
                                 "'$.type') = 'student.move'")  # fmt: skip
    assert json.loads(detail)["changes"] == {"family": {"before": "Okafor family", "after": "Eze family"}}
