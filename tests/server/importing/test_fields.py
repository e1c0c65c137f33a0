"""Guessing what each column holds from its header."""

from __future__ import annotations

from server.importing.fields import FIELDS, ROSTER_COLUMNS, clean_mapping, guess_mapping, headers_key, words_of
from tests.fixtures import imports as fx


def test_our_own_export_maps_every_column():
    assert guess_mapping(list(ROSTER_COLUMNS.values())) == ROSTER_COLUMNS
    assert set(ROSTER_COLUMNS) <= set(FIELDS)


def test_common_headers_of_other_software():
    m = guess_mapping(fx.CLEAN_HEADERS)
    assert m == {"family_name": "Family", "guardian_first_name": "Parent First Name", "guardian_last_name": "Parent Last Name",
                 "guardian_email": "Email", "guardian_phone": "Phone", "address": "Address", "city": "City", "state": "State",
                 "postal_code": "Zip", "student_first_name": "Student First Name", "student_last_name": "Student Last Name",
                 "birth_date": "Birth Date", "gender": "Gender", "medical_notes": "Medical Notes", "class_name": "Class",
                 "balance": "Balance"}  # fmt: skip
    m = guess_mapping(fx.MESSY_HEADERS[:11])
    assert m["family_name"] == "Household" and m["guardian_name"] == "Parent 1 Name" and m["guardian_email"] == "Parent 1 E-mail"
    assert m["student_first_name"] == "Child First" and m["birth_date"] == "DOB" and m["balance"] == "Amount Due"
    assert m["allergies"] == "Allergies" and m["gender"] == "Sex" and m["guardian_phone"] == "Mobile"


def test_plain_names_are_the_students_on_a_class_roster():
    m = guess_mapping(["Last Name", "First Name", "Birthdate", "Parent 1 Name", "Parent 2 Email", "Home Phone", "Account #"])
    assert m["student_last_name"] == "Last Name" and m["student_first_name"] == "First Name"
    assert m["guardian_name"] == "Parent 1 Name" and m["guardian2_email"] == "Parent 2 Email"
    assert m["home_phone"] == "Home Phone" and m["family_id"] == "Account #"
    assert guess_mapping(["First Name", "Last Name", "Email"])["guardian_first_name"] == "First Name"


def test_words_and_keys():
    assert words_of("Parent1FirstName") == ["parent", "1", "first", "name"]
    assert words_of("E-mail") == ["email"]
    assert headers_key(["Email", "Family Name"]) == headers_key(["familyName", "E-mail"])
    assert clean_mapping({"family_name": "Family", "nope": "Family", "guardian_email": "Gone"}, ["Family"]) == {"family_name": "Family"}
