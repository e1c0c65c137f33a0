"""A people list read as families: links by id, by name or to a household, and ages from the day given."""

from __future__ import annotations

import datetime as dt

from server.importing.fields import guess_mapping
from server.importing.people import read_people
from server.importing.reading import read_table


def _people(text: str, today: dt.date) -> dict[str, str]:
    table = read_table(text.encode(), "people.csv")
    rows = read_people(table, guess_mapping(table.headers), date_order="mdy", today=today)
    out = {}
    for r in rows:
        for g in r.guardians:
            out[g.first] = f"guardian of {r.family_ref}"
        if r.has_student:
            out[r.student_first] = f"student of {r.family_ref}"
    return out


PEOPLE = """Name,Related Company,Birthdate
Garcia Household,,
Rosa Garcia,Garcia Household,1980-01-01
Lupe Garcia,Garcia Household,2007-03-02
"""


def test_who_is_a_child_follows_the_day_given():
    assert _people(PEOPLE, dt.date(2025, 3, 1)) == {"Rosa": "guardian of row 2", "Lupe": "student of row 2"}
    assert _people(PEOPLE, dt.date(2025, 3, 2)) == {"Rosa": "guardian of row 2", "Lupe": "guardian of row 2"}  # eighteen today


def test_links_by_id_or_name_and_a_loop_does_not_hang():
    text = "ID,First Name,Last Name,Parent ID\n1,Ann,Lee,\n2,Bo,Lee,1\n3,Cy,Lee,Ann Lee\n4,Di,Fox,5\n5,Ed,Fox,4\n"
    found = _people(text, dt.date(2025, 3, 1))
    assert found["Ann"] == "guardian of row 2" and found["Bo"] == found["Cy"] == "student of row 2"
    assert found["Di"] == found["Ed"] == "guardian of row 5"  # linked to each other: one family, both adults


def test_a_client_list_without_links_tells_adults_from_children_by_age():
    """Clients numbered by the previous software, no relationship column: each is a family of their
    own, adults guardians (never students), children students."""
    text = ("Client ID,First Name,Last Name,Email,Birth Date\n7,Ama,Owusu,ama@example.org,1990-01-01T00:00:00\n"
            "8,Kofi,Owusu,,2016-01-01T00:00:00\n9,Efua,Owusu,,\n")
    assert guess_mapping(["Client ID", "First Name", "Last Name", "Email", "Birth Date"])["person_first_name"] == "First Name"
    assert _people(text, dt.date(2025, 3, 1)) == {"Ama": "guardian of row 2", "Kofi": "student of row 3", "Efua": "guardian of row 4"}


def test_a_household_number_column_groups_a_people_list():
    text = ("Household ID,Household,First Name,Last Name,Type,Birthdate\nH-7,The Obi Family,Nneka,Obi,Adult,\n"
            "H-7,The Obi Family,Tobe,Obi-Lane,Child,2017-05-05\nH-8,,Ray,Park,Adult,\n")
    table = read_table(text.encode(), "people.csv")
    mapping = guess_mapping(table.headers)
    assert mapping["family_id"] == "Household ID" and mapping["person_kind"] == "Type"
    rows = list(read_people(table, mapping, date_order="mdy", today=dt.date(2025, 3, 1)))
    assert [(r.family_ref, r.family_name) for r in rows] == [("household h-7", "Obi")] * 2 + [("household h-8", "Park")]
    assert [g.first for g in rows[0].guardians] == ["Nneka"] and rows[1].student_first == "Tobe"
    assert rows[2].guardians[0].first == "Ray"  # an adult alone in a household of his own
