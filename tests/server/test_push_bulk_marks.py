"""Attendance marks take the server's bulk way (server.push_marks): the same guarantees as one by one."""

from __future__ import annotations

import json

from sync.core.ids import new_id
from sync.core.schema import attendance_id
from tests.server.api import check_in, count, push, query


def mark(session: dict, seq: int, session_id: str, student_id: str, status: str = "present", **over) -> dict:
    m = check_in(session, seq, student_id, "unused")
    m["type"] = "attendance.mark"
    m["payload"] = {"mark_id": new_id(), "session_id": session_id, "student_id": student_id, "status": status}
    m.update(over)
    return m


def register_with_rejections(session: dict, world: dict) -> list[dict]:
    """Five marks: the first and the last good, three rejected for three reasons in between."""
    s, students = world["session_id"], world["student_ids"]
    return [
        mark(session, 1, s, students[0]),
        mark(session, 2, s, new_id()),  # no such student
        mark(session, 3, new_id(), students[1]),  # no such class
        mark(session, 4, s, students[1], status="bogus"),  # not a status
        mark(session, 5, s, students[2], status="late"),
    ]


def test_a_rejected_mark_in_the_middle_blocks_nothing_and_writes_nothing(client, session, world, db_path):
    students = world["student_ids"]
    batch = register_with_rejections(session, world)
    results = push(client, session, batch).json()["results"]
    assert [(r["seq"], r["status"], r["code"]) for r in results] == [
        (1, "applied", None),
        (2, "rejected", "not_found"),
        (3, "rejected", "not_found"),
        (4, "rejected", "invalid"),
        (5, "applied", None),
    ]
    assert all(r["message"] for r in results if r["status"] == "rejected")
    assert sorted(query(db_path, "SELECT student_id, status FROM attendance")) == sorted([(students[0], "present"), (students[2], "late")])
    assert count(db_path, "attendance_mark") == 2
    assert query(db_path, "SELECT seq, status, code FROM applied_mutation ORDER BY seq") == [
        (r["seq"], r["status"], r["code"]) for r in results
    ]
    audited = query(db_path, "SELECT action, json_extract(detail, '$.seq') FROM audit_event WHERE action LIKE 'mutation.%'")
    assert sorted(audited, key=lambda a: a[1]) == [(f"mutation.{r['status']}", r["seq"]) for r in results]
    # The change numbers: two rows per applied mark, each its own, the counter at the last.
    usns = [r[0] for r in query(db_path, "SELECT usn FROM attendance UNION ALL SELECT usn FROM attendance_mark")]
    assert len(set(usns)) == 4 and max(usns) == results[4]["usn"] == query(db_path, "SELECT usn FROM change_counter")[0][0]
    assert push(client, session, batch).json()["results"] == results  # a replay: the first answers


def test_duplicates_within_one_batch(client, session, world, db_path):
    s, students = world["session_id"], world["student_ids"]
    first = mark(session, 1, s, students[0])
    again = dict(first)  # the same mutation twice in one batch: one copy, the first answer twice
    other_id_same_seq = mark(session, 1, s, students[1])
    same_id_other_seq = {**mark(session, 2, s, students[2]), "id": first["id"]}
    same_mark_again = mark(session, 3, s, students[0], status="absent")
    same_mark_again["payload"]["mark_id"] = first["payload"]["mark_id"]  # a mark the server already ordered
    results = push(client, session, [first, again, other_id_same_seq, same_id_other_seq, same_mark_again]).json()["results"]
    assert results[1] == results[0] and results[0]["status"] == "applied"
    assert [(r["status"], r["code"]) for r in results[2:]] == [("rejected", "seq_reused"), ("rejected", "invalid"), ("applied", None)]
    assert results[4]["usn"] == results[0]["usn"]  # it wrote nothing: as of then
    assert query(db_path, "SELECT student_id, status FROM attendance") == [(students[0], "present")]
    assert count(db_path, "attendance_mark") == 1
    assert query(db_path, "SELECT seq, mutation_id FROM applied_mutation ORDER BY seq") == [
        (1, first["id"]),
        (3, same_mark_again["id"]),
    ]


def push_mixed(client, session: dict, world: dict) -> tuple[list[dict], list[dict]]:
    """Runs of marks between check-ins, all of one student's register but the last; pushed, each
    applied in order. Returns the batch and the results."""
    s, students, loc = world["session_id"], world["student_ids"], world["location_id"]
    batch = [
        mark(session, 1, s, students[0], status="absent"),
        check_in(session, 2, students[0], loc, session_id=s, mark_id=new_id(), status="late"),
        mark(session, 3, s, students[0], status="present"),
        check_in(session, 4, students[0], loc, session_id=s, mark_id=new_id(), status="late"),
        mark(session, 5, s, students[1], status="absent"),
    ]
    results = push(client, session, batch).json()["results"]
    assert [r["status"] for r in results] == ["applied"] * 5
    assert [r["usn"] for r in results] == sorted(r["usn"] for r in results)
    return batch, results


def test_marks_and_check_ins_mixed_see_each_other(client, session, world, db_path):
    """Each side reads what the other just wrote in the batch."""
    s, students = world["session_id"], world["student_ids"]
    reg = attendance_id(s, students[0])
    batch, results = push_mixed(client, session, world)
    assert query(db_path, "SELECT status, mark_id, usn FROM attendance WHERE id = ?", reg) == [
        ("late", batch[3]["payload"]["mark_id"], results[3]["usn"])
    ]
    assert count(db_path, "attendance_mark") == 5
    [(history,)] = query(db_path, "SELECT group_concat(status, ',') FROM (SELECT status FROM attendance_mark WHERE student_id = ? ORDER BY usn)", students[0])
    assert history == "absent,late,present,late"
    assert query(db_path, "SELECT usn FROM change_counter")[0][0] == max(r["usn"] for r in results)


def test_marks_of_another_desk_or_staff_are_refused_and_audited(client, session, world, db_path):
    s, students = world["session_id"], world["student_ids"]
    batch = [
        mark(session, 1, s, students[0], desk_id=new_id()),
        mark(session, 2, s, students[1], staff_id=new_id()),
        mark(session, 3, s, students[2]),
    ]
    results = push(client, session, batch).json()["results"]
    assert [(r["status"], r["code"]) for r in results] == [("rejected", "forbidden"), ("rejected", "forbidden"), ("applied", None)]
    assert query(db_path, "SELECT seq FROM applied_mutation ORDER BY seq") == [(2,), (3,)]  # another desk's seq is not kept
    details = [json.loads(d) for (d,) in query(db_path, "SELECT detail FROM audit_event WHERE action LIKE 'mutation.%'")]
    assert sorted(d["seq"] for d in details) == [1, 2, 3]
    assert count(db_path, "attendance") == 1


def test_check_ins_take_the_bulk_way_with_the_same_refusals_and_rows(client, session, world, db_path):
    """Every refusal sync.core.mutations gives a check-in, in the middle of a run, with its words; an
    arrival sent again under a new number writes nothing and answers as of then."""
    s, students, loc, other_loc = world["session_id"], world["student_ids"], world["location_id"], world["other_location_id"]
    first = check_in(session, 1, students[0], loc, session_id=s, mark_id=new_id(), status="late")
    again = check_in(session, 6, students[0], loc)
    again["payload"]["check_in_id"] = first["payload"]["check_in_id"]
    batch = [
        first,
        check_in(session, 2, new_id(), loc),  # no such student
        check_in(session, 3, students[1], new_id()),  # no such location
        check_in(session, 4, students[1], other_loc, session_id=s, mark_id=new_id()),  # the class is elsewhere
        check_in(session, 5, students[1], loc, session_id=s),  # a class but no mark
        again,
        check_in(session, 7, students[2], loc),  # no class: the arrival only
    ]
    results = push(client, session, batch).json()["results"]
    assert [(r["status"], r["code"], r["message"]) for r in results] == [
        ("applied", None, None),
        ("rejected", "not_found", "This student is no longer on file; the change was not recorded."),
        ("rejected", "not_found", "This location is no longer on file; the check-in was not recorded."),
        ("rejected", "invalid", "That class is at another location; the check-in was not recorded."),
        ("rejected", "invalid", "The check-in named a class but no attendance mark."),
        ("applied", None, None),
        ("applied", None, None),
    ]
    assert results[5]["usn"] == results[0]["usn"] and results[6]["usn"] == results[0]["usn"] + 1
    assert sorted(query(db_path, "SELECT student_id, session_id FROM check_in")) == sorted([(students[0], s), (students[2], None)])
    assert query(db_path, "SELECT student_id, status, mark_id FROM attendance") == [(students[0], "late", first["payload"]["mark_id"])]
    assert query(db_path, "SELECT id, status FROM attendance_mark") == [(first["payload"]["mark_id"], "late")]
    usns = sorted(u for (u,) in query(db_path, "SELECT usn FROM check_in UNION ALL SELECT usn FROM attendance_mark UNION ALL SELECT usn FROM attendance"))
    assert usns == list(range(usns[0], usns[0] + 4)) and usns[-1] == query(db_path, "SELECT usn FROM change_counter")[0][0]
    written = [json.loads(d)["written"] for (d,) in query(db_path, "SELECT detail FROM audit_event WHERE action = 'mutation.applied' ORDER BY json_extract(detail, '$.seq')")]
    assert written[0] == [["check_in", first["payload"]["check_in_id"]], ["attendance_mark", first["payload"]["mark_id"]],
                          ["attendance", attendance_id(s, students[0])]]  # fmt: skip
    assert written[1] == []
    assert push(client, session, batch).json()["results"] == results  # a replay: the first answers


def test_lookups_too_large_for_one_statement_are_made_in_chunks(client, session, world, db_path, monkeypatch):
    import server.push_marks

    monkeypatch.setattr(server.push_marks, "_IN_CHUNK", 2)  # every lookup of this run is larger
    batch = register_with_rejections(session, world)
    results = push(client, session, batch).json()["results"]
    assert [(r["status"], r["code"]) for r in results] == [
        ("applied", None), ("rejected", "not_found"), ("rejected", "not_found"), ("rejected", "invalid"), ("applied", None),
    ]  # fmt: skip
    assert count(db_path, "attendance_mark") == 2
    assert push(client, session, batch).json()["results"] == results  # the replay is found in chunks too
