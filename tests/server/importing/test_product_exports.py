"""Exports of the products schools switch from (tests/fixtures/imports/products.py), over real HTTP
into a real account: exact counts, warnings by code, and what lands where (issue 22, Imports)."""

from __future__ import annotations

import datetime as dt
import inspect

import pytest

from server.importing.existing import class_label
from sync.core.clock import PinnedClock
from tests.fixtures.imports import products as P
from tests.server.api import query
from tests.server.importing.api import import_file, preview, upload


@pytest.fixture
def pinned(live_server):
    """The server's import clock on products.TODAY (who is a child depends on the day)."""
    live_server.app.state.imports.clock = PinnedClock(dt.datetime.combine(P.TODAY, dt.time(17), dt.UTC), frozen=True)


def _labels(db_path, n: int = 3) -> list[str]:
    codes = dict(query(db_path, "SELECT id, code FROM location"))
    rows = query(db_path, "SELECT name, weekday, start_time, location_id FROM class_schedule ORDER BY name, weekday, start_time")
    return [class_label(name, wd, dt.time.fromisoformat(start), codes[loc]) for name, wd, start, loc in rows[:n]]


def _file(name: str, db_path) -> bytes:
    build = P.SHAPES[name][0]
    return build(_labels(db_path)) if inspect.signature(build).parameters else build()


def _seen(answer: dict, expected: dict) -> dict:
    return {"counts": {k: answer["counts"][k] for k in expected["counts"]}, "warnings": answer["warnings_by_code"],
            "money_reads": answer["money_reads"], "balance_per": answer["balance_per"]}  # fmt: skip


@pytest.mark.parametrize("name", list(P.SHAPES))
def test_each_export_previews_and_imports_with_its_exact_counts(client, mgr, db_path, pinned, name):
    expected = P.SHAPES[name][1]
    families, ledger = query(db_path, "SELECT count(*) FROM family")[0][0], query(db_path, "SELECT count(*) FROM ledger_entry")[0][0]
    _up, seen, job = import_file(client, mgr, name, _file(name, db_path))
    assert _seen(seen, expected) == expected
    assert seen["ready"] and not [p for p in seen["problems"] if p["severity"] == "error"]
    assert job["state"] == "done", job
    assert job["counts"] == seen["counts"]
    c = expected["counts"]
    assert query(db_path, "SELECT count(*) FROM family")[0][0] == families + c["families_new"]
    assert query(db_path, "SELECT count(*) FROM ledger_entry")[0][0] == ledger + c["balances_new"]
    opening = query(db_path, "SELECT coalesce(sum(amount_cents), 0) FROM ledger_entry WHERE description LIKE ?", f"%import {name})")
    assert opening == [(c["balance_due_cents"] - c["balance_credit_cents"],)]
    # The same file again: everything matched, nothing new.
    _up, again, job = import_file(client, mgr, name, _file(name, db_path))
    a = again["counts"]
    assert (a["families_new"], a["guardians_new"], a["students_new"], a["notes_new"], a["balances_new"]) == (0, 0, 0, 0, 0), a
    assert a["families_matched"] == c["families_new"] and a["students_matched"] == c["students_new"]


def test_numbered_contacts_go_to_the_right_guardian_and_phone(client, mgr, db_path, pinned):
    import_file(client, mgr, "numbered.csv", _file("numbered_contacts.csv", db_path))
    contacts = dict(query(db_path, "SELECT first_name, phone FROM contact WHERE last_name IN ('Brennan', 'Núñez', 'Vasquez')"))
    assert contacts == {"Siobhan": "617-555-0112", "Declan": "617-555-0113", "Inés": "305-555-0120", "Rosa": "", "Luis": ""}
    [(home,)] = query(db_path, "SELECT phone FROM family WHERE name = 'Brennan'")
    assert home == "617-555-0110"  # Contact 1 Home Phone: the family's, not a guardian's
    assert query(db_path, "SELECT count(*) FROM contact WHERE first_name = 'Nora'") == [(0,)]  # a third contact has no place
    [(mail,)] = query(db_path, "SELECT email FROM contact WHERE first_name = 'Chidi'")
    assert mail == ""  # "chidi@example..com" left out, the guardian kept


def test_health_columns_keep_each_note_whole_and_placeholders_make_none(client, mgr, db_path, pinned):
    _up, seen, _job = import_file(client, mgr, "numbered.csv", _file("numbered_contacts.csv", db_path))
    alerts = query(db_path, "SELECT s.first_name, a.kind, a.text FROM alert a JOIN student s ON s.id = a.student_id "
                            "WHERE s.last_name IN ('Brennan', 'Núñez', 'Okonkwo-Hale', 'Fairbanks') ORDER BY s.first_name")  # fmt: skip
    assert alerts == [("Ada", "allergy", "Bee stings"), ("Aoife", "allergy", "Peanuts | tree nuts"),
                      ("Cian", "medical", "Asthma; uses inhaler")]  # fmt: skip
    problems = {p["row"]: p for p in seen["problems"]}
    assert problems[3]["code"] == "unknown_class" and P.UNKNOWN_CLASS in problems[3]["message"]
    assert problems[5]["code"] == "bad_email" and problems[6]["code"] == "bad_date"


def test_parent_email_beats_email_and_credits_are_summed_per_person(client, mgr, db_path, pinned):
    up = upload(client, mgr, "credit.csv", _file("parent_email_credit.csv", db_path)).json()
    assert up["mapping"]["guardian_email"] == "Parent Email" and "Email" not in up["mapping"].values()
    assert up["mapping"]["balance"] == "Account Credit"
    _up, seen, job = import_file(client, mgr, "credit.csv", _file("parent_email_credit.csv", db_path))
    columns = {c["header"]: c for c in seen["columns"]}
    credit = columns["Account Credit"]
    assert credit["reads_as"].startswith("Money the business owes the family") and "added up per family" in credit["reads_as"]
    assert credit["samples"] == ["25.00", "10.00", "0"]
    assert columns["Email"]["reads_as"] == "Not imported" and columns["Email"]["samples"] == ["elsa.kid@example.com"]
    assert all(len(c["samples"]) <= 3 and c["reads_as"] for c in seen["columns"])
    assert job["state"] == "done"
    [(mail, fid)] = query(db_path, "SELECT email, id FROM family WHERE name = 'Lindgren'")
    assert mail == "karin.lindgren@example.org"
    assert query(db_path, "SELECT kind, amount_cents FROM ledger_entry WHERE family_id = ?", fid) == [("credit", -3500)]
    [(born,)] = query(db_path, "SELECT birth_date FROM student WHERE first_name = 'Zara'")
    assert born == "2013-12-01"


def test_the_preview_lets_the_person_flip_a_money_column_and_choose_per_family(client, mgr, db_path, pinned):
    up = upload(client, mgr, "credit.csv", _file("parent_email_credit.csv", db_path)).json()
    owed = preview(client, mgr, up["upload_id"], mapping=up["mapping"], money_reads="owed").json()
    assert owed["money_reads"] == "owed" and (owed["counts"]["balance_due_cents"], owed["counts"]["balance_credit_cents"]) == (3500, 500)
    assert {c["header"]: c for c in owed["columns"]}["Account Credit"]["reads_as"].startswith("Money the family owes")
    per_family = preview(client, mgr, up["upload_id"], mapping=up["mapping"], balance_per="family").json()
    assert per_family["balance_per"] == "family" and per_family["counts"]["balance_credit_cents"] == 2500
    [conflict] = [p for p in per_family["problems"] if p["code"] == "balance_conflict"]
    assert conflict["row"] == 3 and conflict["severity"] == "warning" and "one balance per person" in conflict["message"]


def test_a_people_list_builds_families_and_adults_are_never_students(client, mgr, db_path, pinned):
    _up, seen, job = import_file(client, mgr, "clients.csv", _file("mindbody_clients.csv", db_path))
    assert seen["people_list"] and job["state"] == "done"
    students = dict(query(db_path, "SELECT s.first_name, f.name FROM student s JOIN family f ON f.id = s.family_id "
                                   "WHERE s.first_name IN ('Layla', 'Omar', 'Bao', 'Funmi', 'Samir', 'Marta', 'Minh')"))  # fmt: skip
    assert students == {"Layla": "Nassar", "Omar": "Nassar", "Bao": "Tran", "Funmi": "Oyelaran"}
    guardians = dict(query(db_path, "SELECT c.first_name, f.name FROM contact c JOIN family f ON f.id = c.family_id "
                                    "WHERE c.first_name IN ('Samir', 'Marta', 'Minh')"))  # fmt: skip
    assert guardians == {"Samir": "Nassar", "Marta": "Kowalczyk", "Minh": "Tran"}
    [(fid,)] = query(db_path, "SELECT id FROM family WHERE name = 'Nassar'")
    assert query(db_path, "SELECT amount_cents FROM ledger_entry WHERE family_id = ?", fid) == [(7500,)]  # 45.00 + 30.00


def test_dependents_and_households(client, mgr, db_path, pinned):
    _up, seen, _job = import_file(client, mgr, "people.csv", _file("pike13_people.csv", db_path))
    birth = {c["header"]: c for c in seen["columns"]}["Birthdate"]
    assert "read day first" in birth["reads_as"] and birth["samples"] == ["21/08/2016", "02/04/2019", "05/11/1985"]
    import_file(client, mgr, "contacts.csv", _file("odoo_contacts.csv", db_path))
    [(ek,)] = query(db_path, "SELECT id FROM family WHERE name = 'Ek'")
    assert sorted(query(db_path, "SELECT first_name FROM contact WHERE family_id = ?", ek)) == [("Hana",), ("Tomas",)]
    [(born,)] = query(db_path, "SELECT birth_date FROM student WHERE first_name = 'Ivy' AND last_name = 'Abernathy'")
    assert born == "2019-04-02"  # day first, as the column shows (21/08/2016)
    [(pereira, address, mail)] = query(db_path, "SELECT id, address, email FROM family WHERE name = 'Pereira'")
    assert address == "Rua Augusta 100, São Paulo, 01305-000" and mail == "pereira.home@example.com"  # the household's own
    assert sorted(query(db_path, "SELECT first_name FROM student WHERE family_id = ?", pereira)) == [("Beatriz",), ("Rafael",)]
    assert query(db_path, "SELECT first_name FROM contact WHERE family_id = ?", pereira) == [("Ana",)]
    assert query(db_path, "SELECT count(*) FROM student WHERE first_name IN ('Jonas', 'Ana', 'Ruth', 'Hana', 'Tomas')") == [(0,)]
