"""Push: in order, exactly once, a rejection never blocks what follows."""

from __future__ import annotations

from sync.core.ids import new_id
from tests.server.api import check_in, count, login, pull_all, push, query


def test_push_applies_a_check_in(client, session, world, db_path):
    m = check_in(session, 1, world["student_ids"][0], world["location_id"])
    before = count(db_path, "check_in")
    r = push(client, session, [m])
    assert r.status_code == 200, r.text
    [result] = r.json()["results"]
    assert result["id"] == m["id"] and result["seq"] == 1
    assert result["status"] == "applied"
    assert result["usn"] > 0 and result["code"] is None
    rows = query(db_path, "SELECT id, student_id, desk_id, usn FROM check_in WHERE id = ?", m["payload"]["check_in_id"])
    assert rows == [(m["payload"]["check_in_id"], world["student_ids"][0], session["desk_id"], result["usn"])]
    assert count(db_path, "check_in") == before + 1


def test_check_in_with_a_session_marks_attendance(client, session, world, db_path):
    m = check_in(session, 1, world["student_ids"][0], world["location_id"], session_id=world["session_id"], mark_id=new_id(), status="late")
    [result] = push(client, session, [m]).json()["results"]
    assert result["status"] == "applied"
    assert query(db_path, "SELECT status FROM attendance WHERE session_id = ?", world["session_id"]) == [("late",)]
    assert count(db_path, "attendance_mark") == 1
    # The result's usn is the last of the rows it wrote; each row has one of its own.
    usns = [r[0] for r in query(db_path, "SELECT usn FROM check_in UNION ALL SELECT usn FROM attendance UNION ALL SELECT usn FROM attendance_mark")]
    assert len(set(usns)) == 3 and max(usns) == result["usn"]


def test_a_duplicate_push_returns_the_first_results_and_changes_nothing(client, session, world, db_path):
    batch = [check_in(session, seq, sid, world["location_id"]) for seq, sid in enumerate(world["student_ids"][:3], 1)]
    first = push(client, session, batch).json()["results"]
    assert [r["status"] for r in first] == ["applied"] * 3
    counts = (count(db_path, "check_in"), count(db_path, "applied_mutation"))
    usn_before = query(db_path, "SELECT usn FROM change_counter")

    second = push(client, session, batch).json()["results"]
    assert second == first
    assert (count(db_path, "check_in"), count(db_path, "applied_mutation")) == counts == (3, 3)
    assert query(db_path, "SELECT usn FROM change_counter") == usn_before
    # And a replay of just the middle one, as after a lost response.
    assert push(client, session, [batch[1]]).json()["results"] == [first[1]]
    for m in batch:
        assert query(db_path, "SELECT count(*) FROM applied_mutation WHERE mutation_id = ?", m["id"]) == [(1,)]


def test_a_rejected_mutation_does_not_block_the_next_ones(client, session, world, db_path):
    students = world["student_ids"]
    batch = [
        check_in(session, 1, students[0], world["location_id"]),
        check_in(session, 2, new_id(), world["location_id"]),  # no such student
        check_in(session, 3, students[1], world["location_id"], session_id=world["other_session_id"], mark_id=new_id()),
        check_in(session, 4, students[2], world["location_id"]),
    ]
    results = push(client, session, batch).json()["results"]
    assert [(r["seq"], r["status"], r["code"]) for r in results] == [
        (1, "applied", None),
        (2, "rejected", "not_found"),
        (3, "rejected", "invalid"),  # that class is at the other location
        (4, "applied", None),
    ]
    assert all(r["message"] for r in results if r["status"] == "rejected")
    assert {r[0] for r in query(db_path, "SELECT student_id FROM check_in")} == {students[0], students[2]}
    assert count(db_path, "attendance") == 0  # the rejected one's half-written rows rolled back
    assert query(db_path, "SELECT seq, status, code FROM applied_mutation ORDER BY seq") == [
        (1, "applied", None),
        (2, "rejected", "not_found"),
        (3, "rejected", "invalid"),
        (4, "applied", None),
    ]
    # A rejection is remembered too: sending it again gives the same answer.
    assert push(client, session, [batch[1]]).json()["results"] == [results[1]]
    assert results[0]["usn"] < results[3]["usn"]


def test_same_seq_with_another_id_is_seq_reused_and_not_stored(client, session, world, db_path):
    original = check_in(session, 1, world["student_ids"][0], world["location_id"])
    [applied] = push(client, session, [original]).json()["results"]
    impostor = check_in(session, 1, world["student_ids"][1], world["location_id"])
    [result] = push(client, session, [impostor]).json()["results"]
    assert (result["status"], result["code"], result["id"]) == ("rejected", "seq_reused", impostor["id"])
    assert query(db_path, "SELECT mutation_id, status FROM applied_mutation") == [(original["id"], "applied")]
    assert count(db_path, "check_in") == 1
    # The original's result is intact.
    assert push(client, session, [original]).json()["results"] == [applied]


def test_same_id_with_another_seq_is_refused(client, session, world, db_path):
    m = check_in(session, 1, world["student_ids"][0], world["location_id"])
    push(client, session, [m])
    [result] = push(client, session, [{**m, "seq": 2}]).json()["results"]
    assert (result["status"], result["code"]) == ("rejected", "invalid")
    assert count(db_path, "applied_mutation") == 1


def test_a_mutation_for_another_desk_is_forbidden_and_not_remembered(client, session, world, db_path):
    other_desk = new_id()
    m = check_in(session, 1, world["student_ids"][0], world["location_id"], desk_id=other_desk)
    [result] = push(client, session, [m]).json()["results"]
    assert (result["status"], result["code"]) == ("rejected", "forbidden")
    assert count(db_path, "check_in") == 0 and count(db_path, "applied_mutation") == 0
    # The real other desk can still push its seq 1.
    other = login(client, desk_id=other_desk)
    [ok] = push(client, other, [m]).json()["results"]
    assert ok["status"] == "applied"


def test_the_mutation_staff_must_be_active_staff_of_the_account(client, session, world, db_path):
    m = check_in(session, 1, world["student_ids"][0], world["location_id"], staff_id=new_id())
    [result] = push(client, session, [m]).json()["results"]
    assert (result["status"], result["code"]) == ("rejected", "forbidden")
    assert count(db_path, "check_in") == 0


def test_unknown_mutation_types_and_bad_payloads_are_rejected_results(client, session, world, db_path):
    batch = [
        check_in(session, 1, world["student_ids"][0], world["location_id"], type="family.delete"),
        {**check_in(session, 2, world["student_ids"][0], world["location_id"]), "payload": {"student_id": 5}},
        check_in(session, 3, world["student_ids"][0], world["location_id"]),
    ]
    results = push(client, session, batch).json()["results"]
    assert [(r["status"], r["code"]) for r in results] == [("rejected", "invalid"), ("rejected", "invalid"), ("applied", None)]
    assert count(db_path, "check_in") == 1


def test_applied_and_rejected_mutations_are_audited(client, session, world, db_path):
    batch = [
        check_in(session, 1, world["student_ids"][0], world["location_id"]),
        check_in(session, 2, new_id(), world["location_id"]),
    ]
    push(client, session, batch)
    rows = query(db_path, "SELECT action, desk_id, record_type, record_id FROM audit_event WHERE action LIKE 'mutation.%' ORDER BY at, id")
    assert rows == [
        ("mutation.applied", session["desk_id"], "check_in", batch[0]["payload"]["check_in_id"]),
        ("mutation.rejected", session["desk_id"], None, None),
    ]


def test_pushed_changes_come_back_in_a_pull(client, session, world):
    changes = pull_all(client, session["headers"])
    cursor = max(c["usn"] for c in changes)
    m = check_in(session, 1, world["student_ids"][0], world["location_id"])
    [result] = push(client, session, [m]).json()["results"]
    r = client.get("/v1/sync/pull", params={"after": cursor}, headers=session["headers"]).json()
    assert [(c["type"], c["id"], c["usn"]) for c in r["changes"]] == [("check_in", m["payload"]["check_in_id"], result["usn"])]
    assert r["changes"][0]["data"]["desk_id"] == session["desk_id"]
