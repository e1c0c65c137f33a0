"""A big account, made fast, for benchmarks: wire changes exactly as a pull would bring them."""

from __future__ import annotations

import datetime as dt
import json
import random
from importlib import resources

from sync.core.ids import new_id
from sync.core.schema import Family, Location, Student, record_to_wire
from sync.core.wire import Change


def names() -> dict[str, list[str]]:
    return json.loads(resources.files("resources").joinpath("demo/names.json").read_text())


def account_changes(students: int, *, seed: int = 7) -> tuple[list[Change], list[tuple[str, str]]]:
    """Changes for one location, about students/1.7 families and `students` students.

    Returns the changes (ordered by usn) and the (first, last) names of the students, so a
    benchmark can type real names. Last names get a numeric-free suffix mix so that 100k students
    do not collapse onto a few dozen families' names.
    """
    rnd = random.Random(seed)
    pool = names()
    first_names = pool["girls"] + pool["boys"]
    # Front desks see thousands of distinct family names; build them from the list and syllables.
    syllables = ["son", "ley", "ton", "ski", "ez", "ard", "man", "berg", "wood", "field", "ell", "ova"]
    last_names = pool["last"] + [f"{a}{b}" for a in pool["last"] for b in syllables]
    usn = 0
    changes: list[Change] = []

    def add(type_name: str, record) -> None:
        nonlocal usn
        usn += 1
        record.usn = usn
        changes.append(Change(type=type_name, id=record.id, usn=usn, data=record_to_wire(record)))

    add("location", Location(id=new_id(), name="Downtown", code="DT", timezone="America/Chicago"))
    typed: list[tuple[str, str]] = []
    family: Family | None = None
    for i in range(students):
        if family is None or rnd.random() < 0.6:
            family = Family(id=new_id(), name=rnd.choice(last_names), email="", phone="")
            add("family", family)
        first = rnd.choice(first_names)
        birth = dt.date(2010, 1, 1) + dt.timedelta(days=rnd.randrange(0, 14 * 365))
        add("student", Student(id=new_id(), family_id=family.id, first_name=first, last_name=family.name, birth_date=birth))
        typed.append((first, family.name))
    return changes, typed
