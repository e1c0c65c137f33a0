"""What an import on a new account sets up before its rows: the location opening balances are
recorded at (an account with none), and the classes the file names that are not set up yet.

Both are made through the set-up code (server.setup.SetUp), as a desk or an admin command makes
them, inside the import's own write transaction: an import that fails or is cancelled leaves no
half-made class behind. The preview plans as if they were made (placeholder ids), so its counts
are the ones the commit writes.
"""

from __future__ import annotations

import re

from sqlmodel import Session

from server.accounts import AdminError
from server.importing.existing import WEEKDAYS, Existing, key
from server.importing.reading import FileProblem
from server.setup import SetUp, readable_times
from sync.core.class_times import BadTimes, meeting, weekday_of
from sync.core.clock import Clock
from sync.core.wire_imports import ImportOptions, MissingClass

NEW_LOCATION = "(the new location)"  # the preview's stand-in id; the commit makes the real one first
DEFAULT_MINUTES = 60  # a label gives the day and start, never the length
# "Junior Ninja · Tue 5:00 PM · DT" (our export's label), or "Junior Ninja · Tue 17:00"
_LABEL = re.compile(r"^\s*(?P<name>.+?)\s*·\s*(?P<day>[A-Za-z]{3})[a-z]*\s+(?P<start>\d{1,2}(:\d{2})?\s*([AaPp][Mm])?)\s*(·.*)?$")


def class_from_file(text: str) -> tuple[str, str]:
    """(class name, suggested times or "") from how the file names a class."""
    found = _LABEL.match(text)
    if found is None or found["day"].title() not in WEEKDAYS:
        return text.strip(), ""
    try:
        m = meeting(weekday_of(found["day"]), found["start"].replace(" ", ""), DEFAULT_MINUTES)
    except (BadTimes, ValueError):
        return text.strip(), ""
    return found["name"], f"{WEEKDAYS[m.weekday]} {m.start:%H:%M} {m.minutes}"  # as a person types it in Set-up


def missing(names: dict[str, int]) -> list[MissingClass]:
    """The preview's list: each class the file names that is not set up, with what would make it."""
    out = []
    for file_name, rows in names.items():
        name, times = class_from_file(file_name)
        out.append(MissingClass(file_name=file_name, name=name, times=times, rows=rows))
    return out


def assume(ex: Existing, options: ImportOptions) -> None:
    """For the plan: the classes asked for as if made (a placeholder id each, under the file's words)."""
    for file_name, times in options.create_classes.items():
        _checked_times(file_name, times)
        if not _on_file(ex, file_name):
            ex.classes_by_label[key(file_name)] = [f"(new class {file_name})"]


def make_first(db: Session, ex: Existing, options: ImportOptions, location_id: str | None, clock: Clock) -> dict[str, str]:
    """Make the location and classes asked for, in `db`'s transaction; returns the file's class
    words -> the new class ids (the caller reloads the account, then plans with them)."""
    made: dict[str, str] = {}
    setup = SetUp(db, clock)
    try:
        if options.new_location is not None and not ex.locations:
            loc = options.new_location
            location_id = setup.add_location(loc.name, loc.code, timezone=loc.timezone)
        for file_name, times in options.create_classes.items():
            if _on_file(ex, file_name):
                continue  # made meanwhile (or by the previous import of this file): matched as it is
            if location_id is None:
                raise FileProblem("Say which location the new classes are at: the account has no location yet.")
            name, _suggested = class_from_file(file_name)
            made[file_name] = setup.add_class(location_id, name, _checked_times(file_name, times)).id
    except AdminError as exc:
        raise FileProblem(str(exc)) from None
    return made


def alias(ex: Existing, made: dict[str, str]) -> None:
    """The file's words for each class made find it, whatever the location's code is."""
    for file_name, class_id in made.items():
        ex.classes_by_label[key(file_name)] = [class_id]


def _on_file(ex: Existing, file_name: str) -> bool:
    return len(ex.classes_by_label.get(key(file_name)) or ex.classes_by_name.get(key(file_name), [])) == 1


def _checked_times(file_name: str, times: str) -> str:
    try:
        return readable_times(times)
    except AdminError as exc:
        raise FileProblem(f"The class “{file_name}”: {exc}") from None
