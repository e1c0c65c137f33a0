"""The family file's forms without widgets: dates as the desk types them, and only changed fields sent."""

from __future__ import annotations

import datetime as dt

import pytest

from desk.presenters.family_forms import GUARDIAN_FIELDS, EditPresenter, FormProblem, typed_date
from sync.core.contact_fields import phone_text, region_of_zone

TODAY = dt.date(2026, 3, 10)


def test_dates_are_read_month_first_in_the_us_and_day_first_elsewhere_and_never_in_the_future():
    assert typed_date("4/2/2019", "US", TODAY) == dt.date(2019, 4, 2)
    assert typed_date("4/2/2019", "GB", TODAY) == dt.date(2019, 2, 4)
    assert typed_date("2019-04-02", "GB", TODAY) == dt.date(2019, 4, 2)
    assert typed_date("", "US", TODAY) is None
    with pytest.raises(FormProblem, match="not a date that has been yet"):
        typed_date("3/11/2026", "US", TODAY)
    with pytest.raises(FormProblem, match="type it like 4/2/2019"):
        typed_date("April 2nd", "US", TODAY)


def test_a_guardian_form_sends_only_what_changed_and_the_same_number_typed_another_way_is_no_change():
    stored = {"first_name": "Ngozi", "last_name": "Okafor", "relation": "mother", "phone": "+13125550247",
              "email": "ngozi@example.com", "is_primary": True}  # fmt: skip
    form = EditPresenter(None, "guardian", "c1", "Ngozi Okafor", GUARDIAN_FIELDS, stored, "US", lambda: TODAY)  # type: ignore[arg-type]
    assert form.shown("phone") == "(312) 555-0247"
    typed = {**stored, "phone": "312.555.0247", "email": " Ngozi@Example.com "}
    assert form.begin(typed) == {"email": "Ngozi@example.com"}
    with pytest.raises(FormProblem) as refused:
        form.begin({**typed, "first_name": "  "})
    assert refused.value.field == "first_name" and refused.value.text == "Type the first name."
    with pytest.raises(FormProblem) as refused:
        form.begin({**typed, "phone": "555-0247"})
    assert refused.value.field == "phone" and "area code" in refused.value.text


def test_a_location_abroad_reads_and_shows_numbers_as_its_country_writes_them():
    assert region_of_zone("Europe/London") == "GB" and region_of_zone("America/Toronto") == "CA"
    assert phone_text("+442079460958", "GB") == "020 7946 0958"
    assert phone_text("+13125550247", "GB") == "+1 312-555-0247"  # a number from abroad keeps its country code
    assert phone_text("(312) 555-0123 call after 5", "US") == "(312) 555-0123 call after 5"  # kept as typed: shown so
