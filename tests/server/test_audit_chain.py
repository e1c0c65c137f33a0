"""The audit log on SQLite: no way of rewriting a row gets through, and every entry is hash-chained
so that `frontdesk-server verify-audit` names the first entry changed behind the server's back."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest

from server.account_db import AccountDatabase, audit
from server.audit_verify import verify_chain
from server.cli import main
from sync.core.ids import new_id
from tests.server.api import check_in, login, push, query

_COLUMNS = "id, at, staff_id, desk_id, action, record_type, record_id, detail, chain_no, prev_hash, hash"

# Every way SQL can change or remove a row, as someone with the file and the sqlite3 shell would try.
REWRITES = {
    "update": "UPDATE audit_event SET action = 'nothing happened'",
    "delete": "DELETE FROM audit_event",
    "replace": f"REPLACE INTO audit_event ({_COLUMNS}) SELECT id, at, staff_id, desk_id, 'forged', record_type, "
               "record_id, '{}', chain_no, prev_hash, hash FROM audit_event ORDER BY chain_no LIMIT 1",
    "insert or replace, same place in the chain": f"INSERT OR REPLACE INTO audit_event ({_COLUMNS}) SELECT 'other-id', at, "
               "staff_id, desk_id, 'forged', record_type, record_id, detail, chain_no, prev_hash, hash FROM audit_event LIMIT 1",
    "upsert": f"INSERT INTO audit_event ({_COLUMNS}) SELECT {_COLUMNS} FROM audit_event WHERE true "
              "ON CONFLICT(id) DO UPDATE SET action = 'forged'",
    "upsert doing nothing": f"INSERT INTO audit_event ({_COLUMNS}) SELECT {_COLUMNS} FROM audit_event WHERE true "
                            "ON CONFLICT DO NOTHING",
    "second insert of an id": f"INSERT INTO audit_event ({_COLUMNS}) SELECT id, at, staff_id, desk_id, 'forged', record_type, "
                              "record_id, detail, chain_no + 100, prev_hash, hash FROM audit_event LIMIT 1",
}  # fmt: skip


@pytest.fixture
def adb(tmp_path):
    adb = AccountDatabase(f"sqlite:///{tmp_path / 'a.sqlite'}", create=True)
    with adb.write_session() as db:
        audit(db, "login.succeeded", staff_id="s1", desk_id="d1", address="127.0.0.1")
        audit(db, "logout", staff_id="s1", desk_id="d1", nested={"b": [1, 2.5, None], "a": "é\ud800"})
        # Keys JSON turns into text (ints sort otherwise as numbers), mixed keys, big floats: the hash
        # covers the stored text, so reading them back changes nothing.
        audit(db, "odd.detail", counts={10: "ten", 9: "nine"}, mixed={1: "one", "2": "two"}, number=1e16, tuple_=(1, 2))
        db.commit()
    yield adb
    adb.close()


@pytest.mark.parametrize("sql", REWRITES.values(), ids=REWRITES.keys())
def test_sqlite_refuses_every_rewrite_of_the_log(adb, sql):
    path = adb.url.removeprefix("sqlite:///")
    rows_before = query(path, f"SELECT {_COLUMNS} FROM audit_event ORDER BY chain_no")
    con = sqlite3.connect(path)
    try:
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            con.execute(sql)
        con.rollback()
    finally:
        con.close()
    assert query(path, f"SELECT {_COLUMNS} FROM audit_event ORDER BY chain_no") == rows_before
    assert verify_chain(adb.engine).ok


def test_entries_are_chained_in_order_with_the_head_in_the_counter(adb):
    rows = query(adb.url.removeprefix("sqlite:///"), "SELECT chain_no, prev_hash, hash FROM audit_event ORDER BY chain_no")
    assert [r[0] for r in rows] == [1, 2, 3] and rows[0][1] == "0" * 64 and rows[1][1] == rows[0][2] and rows[2][1] == rows[1][2]
    assert query(adb.url.removeprefix("sqlite:///"), "SELECT audit_no, audit_hash FROM change_counter") == [(3, rows[2][2])]
    v = verify_chain(adb.engine)
    assert v.ok and v.entries == 3 and (v.head_no, v.head_hash) == (3, rows[2][2])


def test_a_savepoint_rolled_back_takes_its_entries_and_the_head_with_it(adb):
    with adb.write_session() as db:
        audit(db, "kept.before")
        savepoint = db.begin_nested()
        audit(db, "rolled.back")
        db.flush()
        savepoint.rollback()
        audit(db, "kept.after")
        db.commit()
    path = adb.url.removeprefix("sqlite:///")
    assert query(path, "SELECT chain_no, action FROM audit_event ORDER BY chain_no")[3:] == [(4, "kept.before"), (5, "kept.after")]
    assert verify_chain(adb.engine).ok


def test_every_way_the_server_writes_the_log_is_chained(client, session, world, db_path, server_account):
    """Sign-ins (their own transactions), a push's bulk run of check-ins, a change through the ORM's
    savepoints, refused requests: one chain, whole, its head where the server wrote last."""
    client.post("/v1/auth/login", json={"account": "acme", "username": "alex", "password": "nope", "desk_id": new_id()})
    students, location = world["student_ids"], world["location_id"]
    batch = [check_in(session, 1, students[0], location), check_in(session, 2, "no-such-student", location),
             check_in(session, 3, students[1], location, type="card.assign"),  # the ORM's way: refused in a savepoint
             check_in(session, 4, students[2], location)]  # fmt: skip
    assert [r["status"] for r in push(client, session, batch).json()["results"]] == ["applied", "rejected", "rejected", "applied"]
    assert client.get("/v1/audit", headers=session["headers"]).status_code == 403  # request.refused, audited
    login(client)
    numbers = [n for (n,) in query(db_path, "SELECT chain_no FROM audit_event ORDER BY chain_no")]
    assert numbers == list(range(1, len(numbers) + 1))
    v = verify_chain(_engine(db_path))
    assert v.ok and v.entries == len(numbers) and v.head_no == numbers[-1]
    assert main(["verify-audit", "acme", "--data-dir", str(server_account["data_dir"])]) == 0


# --- tampering, found ------------------------------------------------------------------------------------


def _tamper(db_path, *statements: str) -> None:
    """As someone with the file would: drop the guards, change what they like."""
    con = sqlite3.connect(db_path)
    try:
        for name in ("audit_event_no_update", "audit_event_no_delete", "audit_event_no_overwrite"):
            con.execute(f"DROP TRIGGER {name}")
        for sql in statements:
            con.execute(sql)
        con.commit()
    finally:
        con.close()


def _engine(db_path):
    from server.account_db import account_engine

    return account_engine(f"sqlite:///{db_path}")


def _entries(db_path) -> int:
    return query(db_path, "SELECT count(*) FROM audit_event")[0][0]


_FLIP = "(CASE substr({0}, 1, 1) WHEN 'f' THEN 'e' ELSE 'f' END || substr({0}, 2))"  # another first digit, always


@pytest.mark.parametrize(
    ("statements", "first_bad", "says"),
    [
        (["UPDATE audit_event SET detail = json_set(detail, '$.address', '10.0.0.9') WHERE chain_no = 3"], 3,
         "its content does not match its hash"),
        (["UPDATE audit_event SET staff_id = 'someone-else' WHERE chain_no = 2"], 2, "its content does not match"),
        (["UPDATE audit_event SET detail = '{not json' WHERE chain_no = 2"], 2, "not valid JSON"),
        (["DELETE FROM audit_event WHERE chain_no = 2"], 3, "the entries before it (#2) are missing"),
        (["DELETE FROM audit_event WHERE chain_no = (SELECT max(chain_no) FROM audit_event)"], "last",
         "are missing: cut off the end of the log"),
        # An entry changed and given a new hash of its own: the next one no longer follows it.
        ([f"UPDATE audit_event SET hash = {_FLIP.format('hash')} WHERE chain_no = 2"], 2, "its content does not match"),
        ([f"UPDATE audit_event SET prev_hash = {_FLIP.format('prev_hash')} WHERE chain_no = 3"], 3,
         "does not follow the entry before it"),
    ],
    ids=["detail edited", "column edited", "detail broken", "entry removed", "tail cut off", "hash edited", "link edited"],
)
def test_verify_audit_names_the_first_entry_that_does_not_match(server_account, db_path, statements, first_bad, says, capsys):
    data_dir = str(server_account["data_dir"])
    assert main(["verify-audit", "acme", "--data-dir", data_dir]) == 0
    last = _entries(db_path)
    assert last >= 3
    _tamper(db_path, *statements)
    assert main(["verify-audit", "acme", "--data-dir", data_dir]) == 3
    err = capsys.readouterr().err
    number = last if first_bad == "last" else first_bad
    assert f"The first entry that does not match is entry #{number}" in err and says in err, err
    assert "trigger audit_event_no_update is missing" in err  # the dropped guard is named too


def test_an_entry_added_by_hand_with_a_valid_hash_still_shows(server_account, db_path, capsys):
    """Whoever recomputes the hashes of what they add still leaves the counter's head behind."""
    from server.audit_chain import canonical_detail, entry_hash

    no, prev = query(db_path, "SELECT chain_no, hash FROM audit_event ORDER BY chain_no DESC LIMIT 1")[0]
    at = _naive_now()
    h = entry_hash(no + 1, prev, "forged-id", at, None, None, "login.succeeded", None, None, canonical_detail({}))
    con = sqlite3.connect(db_path)
    try:
        con.execute(f"INSERT INTO audit_event ({_COLUMNS}) VALUES ('forged-id', ?, NULL, NULL, 'login.succeeded', NULL, NULL, "
                    "'{}', ?, ?, ?)", (at.isoformat(sep=" "), no + 1, prev, h))  # fmt: skip
        con.commit()
    finally:
        con.close()
    assert main(["verify-audit", "acme", "--data-dir", str(server_account["data_dir"])]) == 3
    assert f"entry #{no + 1} was added to the database, not by the server" in capsys.readouterr().err


def test_verify_audit_of_an_unknown_account_says_so(server_account, capsys):
    assert main(["verify-audit", "nope", "--data-dir", str(server_account["data_dir"])]) == 1
    assert "no account 'nope'" in capsys.readouterr().err


def _naive_now():
    from sync.core.ids import utcnow

    return utcnow()


def test_backup_records_the_chain_head_of_each_account_copy(server_account, db_path):
    from server import backup

    result = backup.backup(server_account["data_dir"])
    [entry] = result.manifest["accounts"]
    engine = _engine(result.path / entry["file"])
    try:
        v = verify_chain(engine)  # the copy's own chain, whole, ending where the manifest says
    finally:
        engine.dispose()
    assert v.ok and entry["audit_head"] == {"chain_no": v.head_no, "hash": v.head_hash} and v.head_no == _entries(db_path)


def test_a_chain_rewritten_whole_since_a_backup_shows_against_its_manifest(server_account, db_path, client, capsys):
    """Whoever rewrites every hash and the counter's head too passes a plain verify, not one against a backup."""
    from server import backup
    from server.audit_chain import GENESIS, entry_hash

    data_dir = str(server_account["data_dir"])
    made = backup.backup(server_account["data_dir"])
    login(client)  # the log goes on after the backup: that is fine
    assert main(["verify-audit", "acme", "--data-dir", data_dir, "--backup", str(made.path)]) == 0
    rows = query(db_path, "SELECT id, at, staff_id, desk_id, action, record_type, record_id, detail FROM audit_event ORDER BY chain_no")
    forged, prev = [], GENESIS
    for n, (event_id, at, staff_id, desk_id, action, record_type, record_id, detail) in enumerate(rows, 1):
        action = "login.failed" if n == 1 else action  # the rewrite
        h = entry_hash(n, prev, event_id, _parse(at), staff_id, desk_id, action, record_type, record_id,
                       detail)  # the stored text, as the server hashes it  # fmt: skip
        forged.append((action, prev, h, n))
        prev = h
    _tamper(db_path, *[f"UPDATE audit_event SET action = '{a}', prev_hash = '{p}', hash = '{h}' WHERE chain_no = {n}" for a, p, h, n in forged],
            f"UPDATE change_counter SET audit_hash = '{prev}'")  # fmt: skip
    capsys.readouterr()
    assert main(["verify-audit", "acme", "--data-dir", data_dir]) == 3  # only the dropped triggers give it away
    assert "The first entry" not in capsys.readouterr().err
    head_no = made.manifest["accounts"][0]["audit_head"]["chain_no"]
    assert main(["verify-audit", "acme", "--data-dir", data_dir, "--backup", str(made.path)]) == 3
    assert f"entry #{head_no} " in (err := capsys.readouterr().err) and "the log was rewritten since" in err


def _parse(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)
