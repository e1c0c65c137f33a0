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


def test_the_number_in_a_contact_header_says_which_guardian():
    m = guess_mapping(["Contact 1 First Name", "Contact 1 Work Phone", "Contact 1 Cell Phone", "Contact 1 Home Phone",
                       "Contact 2 First Name", "Contact 2 Cell Phone", "Parent 2 Email", "Contact 3 Email", "Student First Name"])  # fmt: skip
    assert m["guardian_first_name"] == "Contact 1 First Name" and m["guardian_phone"] == "Contact 1 Cell Phone"
    assert m["home_phone"] == "Contact 1 Home Phone"  # the family's phone
    assert m["guardian2_first_name"] == "Contact 2 First Name" and m["guardian2_phone"] == "Contact 2 Cell Phone"
    assert m["guardian2_email"] == "Parent 2 Email"
    assert "Contact 3 Email" not in m.values() and "Contact 1 Work Phone" not in m.values()


def test_parent_email_beats_a_bare_email_whatever_the_order():
    for headers in (["Email", "Parent Email", "Student Name"], ["Parent Email", "Email", "Student Name"]):
        m = guess_mapping(headers)
        assert m["guardian_email"] == "Parent Email" and "guardian2_email" not in m
    assert guess_mapping(["Mother Email", "Father Email", "Child Name"])["guardian2_email"] == "Father Email"


def test_money_columns_by_meaning():
    from server.importing.fields import is_credit

    for header in ("Account Credit", "Credit Balance", "Credits"):
        assert guess_mapping(["Family", header])["balance"] == header and is_credit(header)
    for header in ("Balance", "Amount Due", "Account Balance", "Total Receivable"):
        assert guess_mapping(["Family", header])["balance"] == header and not is_credit(header)


def test_a_people_list_is_recognised_by_its_link_or_type_column():
    m = guess_mapping(["ID", "First Name", "Last Name", "Email", "Mobile Phone", "Birth Date", "Related Client ID"])
    assert (m["person_id"], m["parent_link"], m["person_first_name"], m["person_phone"]) == (
        "ID", "Related Client ID", "First Name", "Mobile Phone")
    m = guess_mapping(["Name", "Is a Company", "Related Company", "Phone", "Mobile"])
    assert (m["person_name"], m["person_kind"], m["parent_link"], m["person_phone"]) == ("Name", "Is a Company", "Related Company", "Mobile")
    assert "parent_link" not in guess_mapping(fx.CLEAN_HEADERS)  # a family file stays one
