"""Importing over real HTTP (ThreadedServer): preview, commit as one job, matching, problems, bad files."""

from __future__ import annotations

import sqlite3

from server.importing.existing import class_label
from tests.fixtures import imports as fx
from tests.server.api import count, pull_all, query
from tests.server.importing.api import commit, import_file, preview, upload, wait_job

TABLES = ("family", "contact", "student", "enrollment", "alert", "ledger_entry")


def _counts(db_path) -> dict[str, int]:
    return {t: count(db_path, t) for t in TABLES}


def _labels(db_path, n: int = 2) -> list[str]:
    codes = dict(query(db_path, "SELECT id, code FROM location"))
    rows = query(db_path, "SELECT name, weekday, start_time, location_id FROM class_schedule ORDER BY name, weekday, start_time")
    import datetime as dt

    return [class_label(name, wd, dt.time.fromisoformat(start), codes[loc]) for name, wd, start, loc in rows[:n]]


def test_a_clean_file_previews_imports_and_reaches_every_desk(client, mgr, session, db_path):
    before, cursor = _counts(db_path), query(db_path, "SELECT usn FROM change_counter")[0][0]
    labels = _labels(db_path)
    up, seen, job = import_file(client, mgr, "clean.csv", fx.clean_csv(labels))
    assert up["format"] == "csv" and up["rows"] == 8 and up["mapping_source"] == "guessed"
    assert {k: seen["counts"][k] for k in fx.CLEAN_PREVIEW} == fx.CLEAN_PREVIEW
    assert seen["counts"]["enrollments_new"] == 7 and seen["problems"] == [] and seen["ready"]
    assert job["state"] == "done", job
    assert job["message"] == ("Imported 5 new families, 6 new guardians, 7 new students, 7 enrollments, "
                              "2 medical notes, 3 opening balances.")  # fmt: skip
    after = _counts(db_path)
    assert {t: after[t] - before[t] for t in TABLES} == {"family": 5, "contact": 6, "student": 7, "enrollment": 7, "alert": 2,
                                                        "ledger_entry": 3}  # fmt: skip
    # Another desk (alex's) pulls every new record past its cursor: each has a change number.
    changes = pull_all(client, session["headers"], after=cursor)
    assert {c["type"] for c in changes} == set(TABLES)
    assert len(changes) == 30
    okafor = next(c["data"] for c in changes if c["type"] == "family" and c["data"]["name"] == "Okafor")
    assert okafor["email"] == "ngozi.okafor@example.com" and okafor["address"] == "12 Oak St, Chicago, IL 60601"
    entries = {c["data"]["family_id"]: c["data"] for c in changes if c["type"] == "ledger_entry"}
    assert entries[okafor["id"]]["kind"] == "charge" and entries[okafor["id"]]["category"] == "other"
    assert entries[okafor["id"]]["amount_cents"] == 4500
    assert entries[okafor["id"]]["description"] == "Opening balance (import clean.csv)"
    credit = next(e for e in entries.values() if e["amount_cents"] < 0)
    assert credit["kind"] == "credit" and credit["amount_cents"] == -2000 and "clean.csv" in credit["reason"]
    [(detail,)] = query(db_path, "SELECT detail FROM audit_event WHERE action = 'import.committed'")
    assert '"sha256": "' + up["sha256"] + '"' in detail and '"file_name": "clean.csv"' in detail


def test_the_same_file_twice_creates_nothing_new(client, mgr, db_path):
    data = fx.clean_csv(_labels(db_path))
    import_file(client, mgr, "clean.csv", data)
    before = _counts(db_path)
    up, seen, job = import_file(client, mgr, "clean again.csv", data)
    assert up["mapping_source"] == "saved"  # the mapping of the first import, kept for these columns
    c = seen["counts"]
    assert (c["families_new"], c["guardians_new"], c["students_new"], c["enrollments_new"], c["notes_new"], c["balances_new"]) == (0,) * 6
    assert (c["families_matched"], c["guardians_matched"], c["students_matched"]) == (5, 6, 7)
    assert job["state"] == "done" and job["message"].startswith("Nothing new")
    assert _counts(db_path) == before


def test_an_excel_workbook_previews_like_the_csv(client, mgr):
    r = upload(client, mgr, "clean.xlsx", fx.clean_xlsx())
    assert r.status_code == 201, r.text
    up = r.json()
    assert up["format"] == "xlsx" and up["sheet"] == "Families"
    seen = preview(client, mgr, up["upload_id"], mapping=up["mapping"]).json()
    assert {k: seen["counts"][k] for k in fx.CLEAN_PREVIEW} == fx.CLEAN_PREVIEW and seen["ready"]


def test_a_messy_file_lists_its_problems_and_writes_nothing_until_they_are_settled(client, mgr, db_path):
    before = _counts(db_path)
    up = upload(client, mgr, "messy.csv", fx.messy_csv()).json()
    assert up["encoding"] == "UTF-8 and Windows-1252 mixed" and up["delimiter"] == ";"
    seen = preview(client, mgr, up["upload_id"], mapping=up["mapping"]).json()
    errors = {p["row"]: p["code"] for p in seen["problems"] if p["severity"] == "error"}
    assert errors == fx.MESSY_PROBLEMS and not seen["ready"]
    left_out = {p["row"]: p["code"] for p in seen["problems"] if p["code"].startswith("bad_")}
    assert left_out == fx.MESSY_WARNINGS and seen["warnings_by_code"] == {"bad_email": 1, "bad_date": 1}
    assert {k: seen["counts"][k] for k in fx.MESSY_PREVIEW} == fx.MESSY_PREVIEW
    bad_email = next(p for p in seen["problems"] if p["row"] == 3)
    assert bad_email["value"] == "wei.chen(at)example.com" and "not an email address" in bad_email["message"]
    assert "It is left out." in bad_email["message"] and bad_email["severity"] == "warning"

    job = wait_job(client, mgr, commit(client, mgr, up["upload_id"], mapping=up["mapping"]).json()["job_id"])
    assert job["state"] == "failed" and "2 rows still have a problem (row 6, 9)" in job["message"]
    assert _counts(db_path) == before

    # Asked to stop on bad values, they are errors to settle one by one.
    strict = preview(client, mgr, up["upload_id"], mapping=up["mapping"], bad_values="stop").json()
    assert {p["row"] for p in strict["problems"] if p["severity"] == "error"} == {3, 4, 6, 9}

    settled = {"mapping": up["mapping"], "fixes": {"3": {"guardian_email": "wei.chen@example.com"}, "4": {"birth_date": "2/28/2016"}},
               "skips": [6, 9]}  # fmt: skip
    seen = preview(client, mgr, up["upload_id"], **settled).json()
    assert seen["ready"] and seen["counts"]["rows_skipped"] == 2 and seen["counts"]["rows_ready"] == 5
    assert seen["counts"]["families_new"] == 4 and seen["counts"]["students_new"] == 5
    job = wait_job(client, mgr, commit(client, mgr, up["upload_id"], **settled).json()["job_id"])
    assert job["state"] == "done", job
    names = {n for (n,) in query(db_path, "SELECT first_name FROM student")}
    assert {"Zoë", "Lin", "Bo", "Lena", "Chidi"} <= names
    [(address,)] = query(db_path, "SELECT address FROM family WHERE name = 'GARCÍA'")
    assert address == "18 Lake Shore Dr, Apt 4"
    [(born,)] = query(db_path, "SELECT birth_date FROM student WHERE first_name = 'Lena'")
    assert born == "2014-12-25"


def test_rows_with_bad_values_import_without_them(client, mgr, db_path):
    """The default: skip only the rows that cannot be imported; the bad email and date are left out."""
    _up, seen, job = import_file(client, mgr, "messy.csv", fx.messy_csv(), skips=[6, 9])
    assert seen["ready"] and job["state"] == "done", job
    [(mail,)] = query(db_path, "SELECT email FROM contact WHERE first_name = 'Wei' ORDER BY email LIMIT 1")
    assert mail == ""  # the bad address was left out, the guardian kept
    [(born,)] = query(db_path, "SELECT birth_date FROM student WHERE first_name = 'Bo'")
    assert born is None
    assert query(db_path, "SELECT count(*) FROM family WHERE name = 'Chen'") == [(1,)]  # both Chen rows: one home


def test_bad_files_are_refused_with_words_and_write_nothing(client, mgr, db_path):
    before = _counts(db_path)
    for name, data, words in [
        ("garbage.csv", fx.hostile_garbage(), "not a spreadsheet"),
        ("colons.csv", fx.hostile_wrong_delimiter(), "Only one column"),
        ("old.xls", fx.old_xls(), "Save As"),
        ("broken.xlsx", fx.damaged_xlsx(), "damaged"),
        ("empty.csv", b"", "empty"),
    ]:
        r = upload(client, mgr, name, data)
        assert r.status_code == 422, (name, r.text)
        assert r.json()["error"]["code"] == "bad_file" and words in r.json()["error"]["message"], name
    up = upload(client, mgr, "no-names.csv", fx.hostile_missing_columns()).json()
    r = preview(client, mgr, up["upload_id"], mapping=up["mapping"])
    assert r.status_code == 422 and "No column is chosen for a family, guardian or student name" in r.json()["error"]["message"]
    job = wait_job(client, mgr, commit(client, mgr, up["upload_id"], mapping=up["mapping"]).json()["job_id"])
    assert job["state"] == "failed" and "No column is chosen" in job["message"]
    up = upload(client, mgr, "comma.csv", fx.hostile_unquoted_comma()).json()
    seen = preview(client, mgr, up["upload_id"], mapping=up["mapping"]).json()
    assert [p["code"] for p in seen["problems"] if p["row"] == 3][0] == "too_many_cells"
    assert _counts(db_path) == before


def test_ambiguous_matches_are_never_guessed(client, mgr, db_path):
    two = ("Family,Parent First Name,Email,Student First Name\n"
           "Quist,Ann,ann.q@example.com,Bea\nQuist,Cy,cy.q@example.com,Dot\n").encode()  # fmt: skip
    assert import_file(client, mgr, "two.csv", two)[2]["state"] == "done"
    one = b"Family,Student First Name\nQuist,Eve\n"
    up = upload(client, mgr, "one.csv", one).json()
    seen = preview(client, mgr, up["upload_id"], mapping=up["mapping"]).json()
    [problem] = seen["problems"]
    assert problem["code"] == "ambiguous" and "matches 2 families already on file (Quist, Quist)" in problem["message"]
    # Said apart by an email, the row finds its family and adds the child there.
    told = b"Family,Email,Student First Name\nQuist,cy.q@example.com,Eve\n"
    _up, seen, job = import_file(client, mgr, "told.csv", told)
    assert seen["counts"]["families_matched"] == 1 and seen["counts"]["students_new"] == 1 and job["state"] == "done"
    [(fam,)] = query(db_path, "SELECT family_id FROM student WHERE first_name = 'Eve'")
    assert query(db_path, "SELECT count(*) FROM student WHERE family_id = ? AND first_name = 'Dot'", fam) == [(1,)]


def test_front_desk_staff_may_not_import_or_export(client, session, db_path):
    r = upload(client, session, "clean.csv", fx.clean_csv())
    assert r.status_code == 403 and r.json()["error"]["message"] == "You are not allowed to import data. Please ask a manager."
    assert client.get("/v1/exports", headers=session["headers"]).status_code == 403
    assert query(db_path, "SELECT count(*) FROM audit_event WHERE action = 'request.refused'")[0][0] == 2


def test_cancel_rolls_everything_back(client, mgr, db_path):
    before = _counts(db_path)
    up = upload(client, mgr, "big.csv", fx.roster_csv(3000)).json()
    lock = sqlite3.connect(db_path, isolation_level=None, timeout=30)
    lock.execute("BEGIN IMMEDIATE")  # the job plans, then waits here for the write lock
    try:
        job = commit(client, mgr, up["upload_id"], mapping=up["mapping"]).json()
        _wait_for_lock(client, mgr, job["job_id"])
        r = client.post(f"/v1/imports/jobs/{job['job_id']}/cancel", headers=mgr["headers"])
        assert r.status_code == 200 and r.json()["state"] == "running"
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    done = wait_job(client, mgr, job["job_id"])
    assert done["state"] == "cancelled" and "nothing was written" in done["message"]
    assert _counts(db_path) == before
    assert query(db_path, "SELECT count(*) FROM audit_event WHERE action = 'import.cancelled'") == [(1,)]


def test_a_change_made_meanwhile_is_matched_again_inside_the_transaction(client, mgr, db_path):
    """The job planned on a snapshot; a family named like the file's one arrives before it writes:
    planned again in the write transaction, the row is ambiguous now, and nothing is written."""
    import_file(client, mgr, "one.csv", b"Family,Parent First Name,Email,Address\nVance,Al,al.v@example.com,1 Road\n")
    before = _counts(db_path)
    up = upload(client, mgr, "kid.csv", b"Family,Student First Name\nVance,Kit\n").json()
    assert preview(client, mgr, up["upload_id"], mapping=up["mapping"]).json()["ready"]
    lock = sqlite3.connect(db_path, isolation_level=None, timeout=30)
    lock.execute("BEGIN IMMEDIATE")
    try:
        job = commit(client, mgr, up["upload_id"], mapping=up["mapping"]).json()
        _wait_for_lock(client, mgr, job["job_id"])
        usn = lock.execute("UPDATE change_counter SET usn = usn + 1 RETURNING usn").fetchone()[0]
        lock.execute("INSERT INTO family (id, usn, name, email, phone, address) VALUES ('another-vance', ?, 'Vance', '', '', '')", (usn,))
        lock.execute("COMMIT")
    finally:
        if lock.in_transaction:
            lock.execute("ROLLBACK")
        lock.close()
    done = wait_job(client, mgr, job["job_id"])
    assert done["state"] == "failed" and "1 row still has a problem (row 2)" in done["message"]
    assert _counts(db_path)["student"] == before["student"]


def _wait_for_lock(client, mgr, job_id: str) -> None:
    """Until the job has planned (it then waits for the write lock the test holds)."""
    import time

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        status = client.get(f"/v1/imports/jobs/{job_id}", headers=mgr["headers"]).json()
        if status["phase"].startswith("Matching") and status["state"] == "running":
            time.sleep(0.3)  # past the last progress step of the plan: at the write lock now
            return
        assert status["state"] == "running", status
        time.sleep(0.02)
    raise AssertionError("the import job did not reach its write")


def test_another_accounts_files_and_jobs_are_not_found(client, mgr, server_account):
    from server import admin
    from tests.server.importing.api import manager

    _up, _seen, job = import_file(client, mgr, "clean.csv", fx.clean_csv())
    up = upload(client, mgr, "clean.csv", fx.clean_csv()).json()
    admin.create_account(server_account["data_dir"], "beta", name="Beta")
    other = manager(client, server_account["data_dir"], slug="beta", username="bo")
    assert preview(client, other, up["upload_id"], mapping=up["mapping"]).status_code == 404
    assert commit(client, other, up["upload_id"], mapping=up["mapping"]).status_code == 404
    assert client.get(f"/v1/imports/jobs/{job['job_id']}", headers=other["headers"]).status_code == 404
    assert client.post(f"/v1/imports/jobs/{job['job_id']}/cancel", headers=other["headers"]).status_code == 404
