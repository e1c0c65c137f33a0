from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from sync.outbox import Outbox
from sync.core.wire import MutationResult


@pytest.fixture
def outbox(tmp_path: Path):
    box = Outbox(tmp_path / "outbox.sqlite3")
    try:
        yield box
    finally:
        box.close()


def test_seq_counts_up_from_one_without_gaps(outbox: Outbox):
    made = [outbox.append("staff", "check_in", {"n": i}) for i in range(5)]
    assert [m.seq for m in made] == [1, 2, 3, 4, 5]
    assert {m.desk_id for m in made} == {outbox.desk_id}
    assert len({m.id for m in made}) == 5
    assert [m.payload["n"] for m in outbox.pending()] == [0, 1, 2, 3, 4]
    assert [m.seq for m in outbox.pending(limit=2)] == [1, 2]


def test_file_is_wal_with_full_sync(outbox: Outbox):
    with outbox.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL


def test_survives_a_restart_with_the_same_desk_id(tmp_path: Path):
    path = tmp_path / "outbox.sqlite3"
    first = Outbox(path)
    desk_id = first.desk_id
    m1 = first.append("staff", "check_in", {"a": 1})
    first.close()
    # What a crashed process leaves: the file, read by a plain sqlite3 connection.
    raw = sqlite3.connect(path)
    assert raw.execute("SELECT id, seq, state FROM mutations").fetchall() == [(m1.id, 1, "pending")]
    raw.close()
    second = Outbox(path)
    try:
        assert second.desk_id == desk_id
        assert [m.id for m in second.pending()] == [m1.id]
        assert second.pending()[0] == m1
        assert second.append("staff", "check_in", {"a": 2}).seq == 2
    finally:
        second.close()


def test_a_new_file_is_a_new_desk(tmp_path: Path):
    a, b = Outbox(tmp_path / "a.sqlite3"), Outbox(tmp_path / "b.sqlite3")
    try:
        assert a.desk_id != b.desk_id
    finally:
        a.close()
        b.close()


def test_results_move_mutations_out_of_pending(outbox: Outbox):
    m1, m2, m3 = (outbox.append("staff", "check_in", {"n": i}) for i in range(3))
    rejected = outbox.record_results([
        MutationResult(id=m1.id, seq=m1.seq, status="applied", usn=10),
        MutationResult(id=m2.id, seq=m2.seq, status="rejected", code="not_found", message="This student is no longer on file."),
    ])  # fmt: skip
    assert rejected == [m2.id]
    assert [m.id for m in outbox.pending()] == [m3.id]
    assert outbox.counts() == {"pending": 1, "applied": 1, "rejected": 1}
    assert outbox.pending_count() == 1
    [(mutation, code, message)] = outbox.rejected()
    assert (mutation.id, code, message) == (m2.id, "not_found", "This student is no longer on file.")


def test_a_late_answer_cannot_change_an_answered_mutation(outbox: Outbox):
    m = outbox.append("staff", "check_in", {})
    outbox.record_results([MutationResult(id=m.id, seq=m.seq, status="applied", usn=3)])
    again = outbox.record_results([MutationResult(id=m.id, seq=m.seq, status="rejected", code="x", message="y")])
    assert again == []
    assert outbox.counts() == {"pending": 0, "applied": 1, "rejected": 0}


def test_payload_that_json_cannot_carry_is_refused_before_anything_is_written(outbox: Outbox):
    with pytest.raises(TypeError):
        outbox.append("staff", "check_in", {"when": object()})
    assert outbox.counts()["pending"] == 0
    assert outbox.append("staff", "check_in", {}).seq == 1


def test_a_whole_batch_of_answers_is_stored_at_once_and_only_for_pending_rows(outbox: Outbox):
    made = [outbox.append("staff", "attendance.mark", {"n": i}) for i in range(300)]
    outbox.record_results([MutationResult(id=made[0].id, seq=made[0].seq, status="rejected", code="x", message="y")])
    answers = [MutationResult(id=m.id, seq=m.seq, status="applied", usn=1000 + m.seq) for m in made[:200]]
    answers.append(MutationResult(id=made[250].id, seq=made[250].seq + 1, status="applied", usn=5))  # not its seq
    assert outbox.record_results(answers) == []
    assert outbox.counts() == {"pending": 100, "applied": 199, "rejected": 1}  # the rejected one stays so
    assert made[250].id in {m.id for m in outbox.pending()}
    with outbox.engine.connect() as conn:
        usns = dict(conn.exec_driver_sql("SELECT seq, usn FROM mutations WHERE state = 'applied'").all())
    assert usns == {m.seq: 1000 + m.seq for m in made[1:200]}
