"""Cells to clean values: what can be read safely is read, the rest is a problem in words."""

from __future__ import annotations

import datetime as dt

import pytest

from server.importing import values as v

TODAY = dt.date(2025, 3, 1)


@pytest.mark.parametrize(
    ("text", "order", "day"),
    [
        ("2015-03-05", "mdy", dt.date(2015, 3, 5)),
        ("2015-03-05 00:00:00", "mdy", dt.date(2015, 3, 5)),
        ("3/5/2015", "mdy", dt.date(2015, 3, 5)),
        ("3/5/2015", "dmy", dt.date(2015, 5, 3)),
        ("05.03.15", "dmy", dt.date(2015, 3, 5)),
        ("March 5, 2015", "dmy", dt.date(2015, 3, 5)),
        ("5 Mar 2015", "mdy", dt.date(2015, 3, 5)),
        ("Thursday, March 5th, 2015", "mdy", dt.date(2015, 3, 5)),
        ("42068", "mdy", dt.date(2015, 3, 5)),  # Excel's day number
        ("", "mdy", None),
    ],
)
def test_dates_written_many_ways(text, order, day):
    assert v.date(text, order, today=TODAY) == day


@pytest.mark.parametrize("text", ["2/30/2016", "13/13/2015", "2030-01-01", "1850-01-01", "soon", "Smarch 3, 2015"])
def test_impossible_dates_are_problems(text):
    with pytest.raises(v.Bad) as info:
        v.date(text, "mdy", today=TODAY)
    assert info.value.code == "bad_date" and text in info.value.message


def test_the_date_order_of_a_column():
    assert v.date_order_of(["3/5/2015", "12/25/2014"]) == "mdy"
    assert v.date_order_of(["3/5/2015", "25/12/2014"]) == "dmy"
    assert v.date_order_of(["3/5/2015", "2015-01-01"]) is None  # the column never says: ask
    assert v.date_order_of(["13/5/2015", "5/13/2015"]) is None


@pytest.mark.parametrize(
    ("text", "cents"),
    [("45", 4500), ("$1,045.50", 104550), ("-20.00", -2000), ("(20.00)", -2000), ("45.00 CR", -4500), ("45,50", 4550),
     ("'-12.50", -1250), ("", 0), ("0.29", 29)],
)
def test_balances_in_cents(text, cents):
    assert v.balance(text) == cents


@pytest.mark.parametrize("text", ["abc", "12.345", "=1+1", "1e5"])
def test_bad_money(text):
    with pytest.raises(v.Bad) as info:
        v.balance(text)
    assert info.value.code == "bad_money"


def test_emails_and_phones():
    assert v.email(" Ann@Example.com ") == "Ann@Example.com"
    assert v.email("mailto:a@b.co") == "a@b.co"
    for bad in ("ann(at)example.com", "ann@", "@x.com", "a b@x.com", "a@x", "a@@x.com"):
        with pytest.raises(v.Bad):
            v.email(bad)
    assert v.phone("(312) 555-0101 ext 4") == "(312) 555-0101 x4"
    assert v.phone("'+1 312 555 0177") == "+1 312 555 0177"
    with pytest.raises(v.Bad) as info:
        v.phone("3.12555E+09")
    assert "rounded" in info.value.message


def test_names_text_and_lists():
    assert v.split_full_name("García, José") == ("José", "García")
    assert v.split_full_name("Mary Ann Smith") == ("Mary Ann", "Smith")
    assert v.text("  18 Lake Shore Dr\nApt 4 ") == "18 Lake Shore Dr, Apt 4"
    assert v.text("'=HYPERLINK(1)") == "=HYPERLINK(1)"  # our export's escape comes off
    assert v.many("Level 1 · Mon 4:00 PM · DT; Tumbling | level 1 · mon 4:00 pm · dt") == ["Level 1 · Mon 4:00 PM · DT", "Tumbling"]
    assert v.gender("girl") == "F" and v.gender("Male") == "M" and v.gender("X") == "X"
    with pytest.raises(v.Bad):
        v.name("x" * 81)


@pytest.mark.parametrize(
    "text", ["2013-10-31T00:00:00", "2013-10-31T00:00:00Z", "2013-10-31T00:00:00+02:00", "2013-10-31T08:15:00.000-0500",
             "2013-10-31 00:00:00 UTC", "2013-10-31t00:00:00z"],
)  # fmt: skip
def test_iso_8601_date_times_are_dates(text):
    """Mindbody's and Odoo's exports write birth dates as date-times; the capital T and Z once made them "not a real date"."""
    assert v.date(text, "dmy", today=TODAY) == dt.date(2013, 10, 31)


def test_two_digit_years_follow_the_day_given_not_the_machine():
    assert v.date("3/5/15", "mdy", today=dt.date(2014, 1, 1)) == dt.date(1915, 3, 5)  # '15 had not come yet
    assert v.date("3/5/15", "mdy", today=dt.date(2016, 1, 1)) == dt.date(2015, 3, 5)


@pytest.mark.parametrize("bad", ["x@example..com", "ann(at)example.com", "a@x", "a@host.test", ".a@example.com", "a@-x.com",
                                 "a b@x.com", "ann@example.com.", "ann..lee@example.com"])  # fmt: skip
def test_email_validator_refuses_what_the_old_check_let_through(bad):
    with pytest.raises(v.Bad) as info:
        v.email(bad)
    assert info.value.code == "bad_email"


@pytest.mark.parametrize("good", ["ann@example.com", "o'brien+kids@mail.example.co.uk", "José@example.com", "a@b.co",
                                  "Ann.Lee@Example.ORG", "a" * 65 + "@example.com", "a@x.c0m"])  # fmt: skip
def test_the_quick_email_check_agrees_with_email_validator(good):
    import email_validator

    assert v.email(good) == good  # kept as written
    email_validator.validate_email(good, check_deliverability=False)  # and the library takes it too


@pytest.mark.parametrize("placeholder", ["None", "N/A", "n/a", "-", "no", "nil", "NONE.", " na ", "Nil", "No known allergies"])
def test_placeholders_are_no_note(placeholder):
    assert v.note(placeholder) == ""


def test_notes_are_kept_whole():
    assert v.note("Peanuts | tree nuts; carries EpiPen") == "Peanuts | tree nuts; carries EpiPen"
    assert v.note("Asthma\ninhaler in bag") == "Asthma, inhaler in bag"  # one line, nothing dropped
