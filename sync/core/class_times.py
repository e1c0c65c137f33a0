"""A class's weekly meetings and a location's opening hours, as the short texts the records keep.

A class meets on one or more weekdays, each at a start time for a length: kept on
`ClassSchedule.times` as "0 16:00 60;2 16:00 60" (weekday 0 = Monday, local time, minutes), in
weekday-then-time order, so that one field carries the whole week and last-writer-wins applies
to it as one value. Opening hours are "0 09:00-20:00;5 08:00-14:00" on `Location.hours`.
Both sides (desk screens, server appliers, the session planner) read them through here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
WEEKDAY_SHORT = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MIN_MINUTES, MAX_MINUTES = 5, 12 * 60


class BadTimes(ValueError):
    """A meeting or hours text that cannot be read; its message is for the person who typed it."""


@dataclass(frozen=True, order=True)
class Meeting:
    weekday: int  # 0 = Monday
    start: dt.time  # local at the location
    minutes: int

    def __str__(self) -> str:
        return f"{self.weekday} {self.start:%H:%M} {self.minutes}"

    def words(self) -> str:
        """'Mon 4:00 PM (60 min)'."""
        return f"{WEEKDAY_SHORT[self.weekday]} {clock_words(self.start)} ({self.minutes} min)"


@dataclass(frozen=True, order=True)
class OpenHours:
    weekday: int
    opens: dt.time
    closes: dt.time

    def __str__(self) -> str:
        return f"{self.weekday} {self.opens:%H:%M}-{self.closes:%H:%M}"


def clock_words(t: dt.time) -> str:
    return t.strftime("%I:%M %p").lstrip("0")


def weekday_of(text: str) -> int:
    """0..6 from '2', 'Wed' or 'wednesday'."""
    t = text.strip().lower()
    if t.isdigit() and int(t) < 7:
        return int(t)
    for i, name in enumerate(WEEKDAY_NAMES):
        if len(t) >= 2 and name.lower().startswith(t):
            return i
    raise BadTimes(f"“{text}” is not a day of the week.")


def time_of(text: str) -> dt.time:
    """'16:00', '4:00 PM', '4pm', '9:30am'."""
    t = text.strip().lower().replace(" ", "").replace(".", "")
    suffix = ""
    if t.endswith(("am", "pm")):
        t, suffix = t[:-2], t[-2:]
    hour_text, _, minute_text = t.partition(":")
    try:
        hour, minute = int(hour_text), int(minute_text or 0)
    except ValueError:
        raise BadTimes(f"“{text}” is not a time of day (e.g. 16:00 or 4:00 PM).") from None
    if suffix:
        if not 1 <= hour <= 12:
            raise BadTimes(f"“{text}” is not a time of day.")
        hour = hour % 12 + (12 if suffix == "pm" else 0)
    if not (0 <= hour < 24 and 0 <= minute < 60):
        raise BadTimes(f"“{text}” is not a time of day.")
    return dt.time(hour, minute)


def meeting(weekday: int, start: dt.time | str, minutes: int) -> Meeting:
    start = time_of(start) if isinstance(start, str) else start
    if not 0 <= weekday < 7:
        raise BadTimes("A day of the week is 0 (Monday) to 6 (Sunday).")
    if not MIN_MINUTES <= minutes <= MAX_MINUTES:
        raise BadTimes(f"A class lasts {MIN_MINUTES} to {MAX_MINUTES} minutes, not {minutes}.")
    return Meeting(weekday, start.replace(second=0, microsecond=0), minutes)


def parse_times(text: str) -> list[Meeting]:
    """The meetings of a `times` text (sorted, no repeats); BadTimes when it cannot be read."""
    out: set[Meeting] = set()
    for part in filter(None, (p.strip() for p in text.split(";"))):
        bits = part.split()
        if len(bits) != 3:
            raise BadTimes(f"“{part}” is not a meeting (day, start, minutes).")
        try:
            minutes = int(bits[2])
        except ValueError:
            raise BadTimes(f"“{bits[2]}” is not a number of minutes.") from None
        out.add(meeting(weekday_of(bits[0]), bits[1], minutes))
    return sorted(out)


def format_times(meetings: Iterable[Meeting]) -> str:
    return ";".join(str(m) for m in sorted(set(meetings)))


def meetings_of(schedule) -> list[Meeting]:
    """A class's meetings: its `times`, or the single meeting of a row older than that field."""
    if schedule.times:
        return parse_times(schedule.times)
    return [Meeting(schedule.weekday, schedule.start_time, schedule.duration_minutes)]


def times_words(meetings: Iterable[Meeting]) -> str:
    """'Mon, Wed 4:00 PM (60 min)' when they share a time, else each meeting in full."""
    ms = sorted(meetings)
    if not ms:
        return ""
    if len({(m.start, m.minutes) for m in ms}) == 1:
        days = ", ".join(WEEKDAY_SHORT[m.weekday] for m in ms)
        return f"{days} {clock_words(ms[0].start)} ({ms[0].minutes} min)"
    return "; ".join(m.words() for m in ms)


def parse_hours(text: str) -> list[OpenHours]:
    out: dict[int, OpenHours] = {}
    for part in filter(None, (p.strip() for p in text.split(";"))):
        bits = part.split()
        if len(bits) != 2 or "-" not in bits[1]:
            raise BadTimes(f"“{part}” is not opening hours (day, opens-closes).")
        opens, closes = (time_of(t) for t in bits[1].split("-", 1))
        if closes <= opens:
            raise BadTimes(f"“{part}”: closing time comes before opening time.")
        day = weekday_of(bits[0])
        out[day] = OpenHours(day, opens, closes)
    return [out[d] for d in sorted(out)]


def format_hours(hours: Iterable[OpenHours]) -> str:
    return ";".join(str(h) for h in sorted(hours))


def hours_words(hours: Iterable[OpenHours]) -> str:
    """'Mon–Fri 8:30 AM–8:00 PM; Sat 8:00 AM–2:00 PM': days in a row with the same hours as one range."""
    runs: list[list[OpenHours]] = []
    for h in sorted(hours):
        last = runs[-1][-1] if runs else None
        if last is not None and last.weekday + 1 == h.weekday and (last.opens, last.closes) == (h.opens, h.closes):
            runs[-1].append(h)
        else:
            runs.append([h])
    out = []
    for run in runs:
        days = WEEKDAY_SHORT[run[0].weekday] + (f"–{WEEKDAY_SHORT[run[-1].weekday]}" if len(run) > 1 else "")
        out.append(f"{days} {clock_words(run[0].opens)}–{clock_words(run[0].closes)}")
    return "; ".join(out)


def days(start: dt.date, end: dt.date) -> Iterator[dt.date]:
    """Every date from start to end, both included."""
    for n in range((end - start).days + 1):
        yield start + dt.timedelta(days=n)


def local_span(day: dt.date, m: Meeting, zone: dt.tzinfo) -> tuple[dt.datetime, dt.datetime]:
    """A meeting on a date as naive UTC start and end (sync.core.schema's convention).

    A start that does not exist (the hour skipped when clocks go forward) comes out an hour later,
    one that happens twice (clocks go back) is the first: zoneinfo's fold=0, as wall clocks read.
    """
    start = dt.datetime.combine(day, m.start, tzinfo=zone)
    utc_start = start.astimezone(dt.UTC)
    utc_end = utc_start + dt.timedelta(minutes=m.minutes)  # a class lasts its minutes, even across a change
    return utc_start.replace(tzinfo=None), utc_end.replace(tzinfo=None)
