"""Importing on a brand-new account over real HTTP: the opening balances land (the preview asks
for the location, and the commit makes it), and the classes the file names are matched to the
ones set up, or made first through the set-up code when the person says so."""

from __future__ import annotations

import pytest

from server.setup import setting_up
from server import admin
from tests.fixtures import imports as fx
from tests.helpers.clock import pinned_clock
from tests.helpers.school import a_new_account
from tests.helpers.server_process import ThreadedServer, account_db_path
from tests.server.api import login, query
from tests.server.importing.api import MANAGER_PASSWORD, commit, import_file, preview, upload, wait_job

NINJA = "Junior Ninja · Tue 5:00 PM · DT"  # as our export (and many others) write a class: name · day time · location
TUMBLERS = "Tiny Tumblers"  # a bare name: the file does not say when it meets
TABLES = ("location", "class_schedule", "family", "student", "enrollment", "ledger_entry")


@pytest.fixture
def new_account(tmp_path):
    """An account with its manager and nothing else (no seed-demo), served over loopback."""
    data_dir = tmp_path / "server"
    a_new_account(data_dir, "newgym", ("mia", MANAGER_PASSWORD, "manager"))
    with ThreadedServer(data_dir) as server:
        import httpx

        with httpx.Client(base_url=server.url, timeout=10) as client:
            yield {"client": client, "data_dir": data_dir, "db": account_db_path(data_dir, "newgym"),
                   "mgr": login(client, account="newgym", username="mia", password=MANAGER_PASSWORD)}  # fmt: skip


def counts(db) -> dict[str, int]:
    return {t: query(db, f"SELECT count(*) FROM {t}")[0][0] for t in TABLES}


def test_an_account_with_no_location_is_asked_for_one_and_the_balances_land_there(new_account):
    client, mgr, db = new_account["client"], new_account["mgr"], new_account["db"]
    r = upload(client, mgr, "families.csv", fx.clean_csv(classes=[NINJA, TUMBLERS]))
    up = r.json()
    seen = preview(client, mgr, up["upload_id"], mapping=up["mapping"]).json()
    assert seen["questions"] == ["location"] and not seen["ready"]
    assert seen["warnings_by_code"]["no_location"] == 3  # the three families with a balance
    assert seen["missing_classes"] == [
        {"file_name": NINJA, "name": "Junior Ninja", "times": "Tue 17:00 60", "rows": 4},
        {"file_name": TUMBLERS, "name": "Tiny Tumblers", "times": "", "rows": 3},
    ]
    # Imported without an answer: refused in words, nothing written (never the balances dropped).
    job = wait_job(client, mgr, commit(client, mgr, up["upload_id"], mapping=up["mapping"]).json()["job_id"])
    assert job["state"] == "failed" and "no location yet" in job["message"]
    assert counts(db) == dict.fromkeys(TABLES, 0)

    answers = {"mapping": up["mapping"], "new_location": {"name": "Downtown", "code": "DT", "timezone": "America/Chicago"},
               "create_classes": {NINJA: "Tue 17:00 60", TUMBLERS: "Sat 10:00 45"}}  # fmt: skip
    seen = preview(client, mgr, up["upload_id"], **answers).json()
    assert seen["ready"] and seen["questions"] == [] and seen["missing_classes"] == []
    assert {k: seen["counts"][k] for k in ("balances_new", "balance_due_cents", "balance_credit_cents", "enrollments_new")} == {
        "balances_new": 3, "balance_due_cents": 16550, "balance_credit_cents": 2000, "enrollments_new": 7}  # fmt: skip
    job = wait_job(client, mgr, commit(client, mgr, up["upload_id"], **answers).json()["job_id"])
    assert job["state"] == "done", job["message"]
    assert job["counts"] == seen["counts"]  # what the preview said is what was written
    assert counts(db) == {"location": 1, "class_schedule": 2, "family": 5, "student": 7, "enrollment": 7, "ledger_entry": 3}
    [(location_id, code, zone)] = query(db, "SELECT id, code, timezone FROM location")
    assert (code, zone) == ("DT", "America/Chicago")
    assert query(db, "SELECT DISTINCT location_id FROM ledger_entry") == [(location_id,)]
    assert query(db, "SELECT sum(amount_cents) FROM ledger_entry") == [(16550 - 2000,)]
    assert query(db, "SELECT name, times FROM class_schedule ORDER BY name") == [
        ("Junior Ninja", "1 17:00 60"), ("Tiny Tumblers", "5 10:00 45")]  # stored: weekday 0 = Monday
    per_class = query(db, "SELECT c.name, count(*) FROM enrollment e JOIN class_schedule c ON c.id = e.schedule_id GROUP BY c.name ORDER BY c.name")
    assert per_class == [("Junior Ninja", 4), ("Tiny Tumblers", 3)]
    assert query(db, "SELECT count(DISTINCT schedule_id) FROM class_session") == [(2,)]  # the planner ran for them

    # The same file again: everything matches (the classes by the file's own words), nothing is added.
    _up, again, job = import_file(client, mgr, "families.csv", fx.clean_csv(classes=[NINJA, TUMBLERS]))
    assert again["questions"] == [] and again["missing_classes"] == [] and job["state"] == "done"
    assert counts(db)["enrollment"] == 7 and counts(db)["ledger_entry"] == 3 and counts(db)["class_schedule"] == 2


def test_classes_set_up_first_are_matched_and_a_missing_one_is_made_on_request(new_account):
    client, mgr, db = new_account["client"], new_account["mgr"], new_account["db"]
    with setting_up(new_account["data_dir"], "newgym", pinned_clock()) as s:
        location = s.add_location("Downtown", "DT", timezone="America/Chicago")
        s.add_class(location, "Junior Ninja", "Tue 17:00 60; Thu 17:00 60")
    r = upload(client, mgr, "families.csv", fx.clean_csv(classes=["junior ninja", "Ballet"]))
    up = r.json()
    seen = preview(client, mgr, up["upload_id"], mapping=up["mapping"]).json()
    assert seen["questions"] == [] and seen["ready"]  # a location on file: balances are recorded there, nothing asked
    assert seen["counts"]["balances_new"] == 3 and seen["counts"]["enrollments_new"] == 4
    assert seen["missing_classes"] == [{"file_name": "Ballet", "name": "Ballet", "times": "", "rows": 3}]
    assert seen["warnings_by_code"] == {"unknown_class": 3}

    bad = preview(client, mgr, up["upload_id"], mapping=up["mapping"], create_classes={"Ballet": "Funday 16:00 45"})
    assert bad.status_code == 422 and "not a day of the week" in bad.text

    _up, seen, job = import_file(client, mgr, "families.csv", fx.clean_csv(classes=["junior ninja", "Ballet"]),
                                 create_classes={"Ballet": "Wed 16:00 45"})  # fmt: skip
    assert seen["missing_classes"] == [] and seen["counts"]["enrollments_new"] == 7 and job["state"] == "done"
    per_class = query(db, "SELECT c.name, count(*) FROM enrollment e JOIN class_schedule c ON c.id = e.schedule_id GROUP BY c.name ORDER BY c.name")
    assert per_class == [("Ballet", 3), ("Junior Ninja", 4)]
    assert query(db, "SELECT DISTINCT location_id FROM ledger_entry UNION SELECT location_id FROM class_schedule") == [(location,)]
    assert query(db, "SELECT action FROM audit_event WHERE action = 'admin.class.add' ORDER BY id") == [("admin.class.add",)] * 2


def test_only_who_may_set_up_classes_and_locations_has_an_import_make_them(new_account):
    client, db = new_account["client"], new_account["db"]
    admin.add_staff(new_account["data_dir"], "newgym", "ivy", "ivy's password", group="front-desk")
    admin.edit_staff(new_account["data_dir"], "newgym", "ivy", grants=["data.import"])  # imports, sets nothing up
    ivy = login(client, account="newgym", username="ivy", password="ivy's password")
    up = upload(client, ivy, "families.csv", fx.clean_csv(classes=[NINJA])).json()
    assert preview(client, ivy, up["upload_id"], mapping=up["mapping"]).status_code == 200
    for asked in ({"create_classes": {NINJA: "Tue 17:00 60"}},
                  {"new_location": {"name": "Downtown", "code": "DT", "timezone": "America/Chicago"}}):  # fmt: skip
        for call in (preview, commit):
            r = call(client, ivy, up["upload_id"], mapping=up["mapping"], **asked)
            assert r.status_code == 403 and "Please ask a manager" in r.text, r.text
    assert counts(db) == dict.fromkeys(TABLES, 0)
