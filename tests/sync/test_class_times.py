"""A class's weekly meetings and a location's hours, as typed by people and as stored."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from sync.core.class_times import (
    BadTimes,
    Meeting,
    format_hours,
    format_times,
    hours_words,
    local_span,
    parse_hours,
    parse_times,
    time_of,
    times_words,
)  # fmt: skip

CHICAGO = ZoneInfo("America/Chicago")


def test_meetings_read_from_words_and_kept_sorted_without_repeats():
    ms = parse_times("wed 4:30pm 45; Mon 16:00 60;0 16:00 60")
    assert ms == [Meeting(0, dt.time(16), 60), Meeting(2, dt.time(16, 30), 45)]
    assert format_times(ms) == "0 16:00 60;2 16:30 45"
    assert times_words(parse_times("0 16:00 60;2 16:00 60")) == "Mon, Wed 4:00 PM (60 min)"
    assert times_words(ms) == "Mon 4:00 PM (60 min); Wed 4:30 PM (45 min)"


@pytest.mark.parametrize("text", ["Funday 16:00 60", "Mon 25:00 60", "Mon 16:00", "Mon 16:00 3", "Mon 13pm 60", "Mon 4 PM x"])
def test_meetings_that_cannot_be_read_say_so(text):
    with pytest.raises(BadTimes):
        parse_times(text)


def test_times_of_day_in_the_ways_people_type_them():
    assert [time_of(t) for t in ("16:00", "4pm", "4:00 PM", "12am", "12:15pm", "9.30am".replace(".", ":"))] == [
        dt.time(16), dt.time(16), dt.time(16), dt.time(0), dt.time(12, 15), dt.time(9, 30)]


def test_opening_hours_round_trip_and_refuse_closing_before_opening():
    hours = parse_hours("Sat 8am-2pm; Mon 09:00-20:00")
    assert format_hours(hours) == "0 09:00-20:00;5 08:00-14:00"
    assert hours_words(hours) == "Mon 9:00 AM–8:00 PM; Sat 8:00 AM–2:00 PM"
    week = parse_hours("Mon 8:30-20:00; Tue 8:30-20:00; Wed 8:30-20:00; Thu 8:30-20:00; Fri 8:30-18:00; Sat 8-14; Sun 8-14")
    assert hours_words(week) == "Mon–Thu 8:30 AM–8:00 PM; Fri 8:30 AM–6:00 PM; Sat–Sun 8:00 AM–2:00 PM"
    with pytest.raises(BadTimes, match="closing time"):
        parse_hours("Mon 20:00-09:00")


def test_a_meeting_on_the_days_clocks_change_is_at_its_wall_clock_time_and_lasts_its_minutes():
    m = Meeting(6, dt.time(9, 30), 60)
    before, after = local_span(dt.date(2026, 3, 1), m, CHICAGO), local_span(dt.date(2026, 3, 8), m, CHICAGO)
    assert before == (dt.datetime(2026, 3, 1, 15, 30), dt.datetime(2026, 3, 1, 16, 30))  # CST
    assert after == (dt.datetime(2026, 3, 8, 14, 30), dt.datetime(2026, 3, 8, 15, 30))  # CDT, the same Sunday
    # 1:30 AM on the night clocks go back happens twice: the first one; 60 minutes is 60 minutes.
    start, end = local_span(dt.date(2026, 11, 1), Meeting(6, dt.time(1, 30), 60), CHICAGO)
    assert (start, end - start) == (dt.datetime(2026, 11, 1, 6, 30), dt.timedelta(hours=1))
