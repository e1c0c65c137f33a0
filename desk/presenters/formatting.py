"""How times, names and ages read at the desk: one place, so every screen says them alike."""

from __future__ import annotations

import datetime as dt

from sync.core.clock import Clock, local_now


def clock(moment: dt.datetime) -> str:
    """A class time as a front desk says it: "4:00 PM", "10:30 AM"."""
    return moment.strftime("%I:%M %p").lstrip("0")


def clock_range(start: dt.datetime, end: dt.datetime) -> str:
    return f"{clock(start)} – {clock(end)}"


def hhmm_local(moment_utc: dt.datetime) -> str:
    """A sync time in the desk's own clock, 24-hour ("16:03"): short enough for the status bar."""
    if moment_utc.tzinfo is None:
        moment_utc = moment_utc.replace(tzinfo=dt.UTC)
    return moment_utc.astimezone().strftime("%H:%M")


def initials(first_name: str, last_name: str) -> str:
    letters = [part[0] for part in (first_name.strip(), last_name.strip()) if part]
    return "".join(letters).upper() or "?"


def age_text(age: int | None) -> str:
    if age is None:
        return ""
    return "1 year old" if age == 1 else f"{age} years old"


def session_title(name: str, level: str) -> str:
    """The class as staff call it; the level is shown only when the name does not already say it."""
    if level and level.lower() not in name.lower():
        return f"{level} {name}"
    return name


def now_at(timezone: str, clock: Clock) -> dt.datetime:
    """Now on the location's clock (the desk's `Clock`): "today" is the location's day, not this computer's."""
    return local_now(clock, timezone)
