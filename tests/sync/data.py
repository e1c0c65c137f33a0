"""A small hand-made account for cache and store tests, delivered the way a pull delivers it.

The day is Monday 2025-03-10 at a Chicago gym (CDT, UTC-5 since March 9): the 7:30 PM class
starts at 00:30 UTC on the 11th, which catches any "today" taken in UTC instead of local time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sync.core.ids import new_id
from sync.core.schema import (
    TYPE_OF_RECORD,
    Alert,
    ClassSchedule,
    ClassSession,
    Contact,
    Enrollment,
    Family,
    Location,
    Student,
    SyncedRecord,
    record_to_wire,
)
from sync.core.wire import Change

DAY = dt.date(2025, 3, 10)
CHICAGO = ZoneInfo("America/Chicago")


def local_to_utc(day: dt.date, hour: int, minute: int = 0, zone: ZoneInfo = CHICAGO) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone).astimezone(dt.UTC).replace(tzinfo=None)


def change(record: SyncedRecord, usn: int) -> Change:
    return Change(type=TYPE_OF_RECORD[type(record)], id=record.id, usn=usn, data=record_to_wire(record))


def tombstone(record: SyncedRecord, usn: int) -> Change:
    return Change(type=TYPE_OF_RECORD[type(record)], id=record.id, usn=usn, deleted=True)


@dataclass
class World:
    records: list[SyncedRecord] = field(default_factory=list)
    ids: dict[str, str] = field(default_factory=dict)

    def add(self, key: str, record: SyncedRecord) -> SyncedRecord:
        self.records.append(record)
        self.ids[key] = record.id
        return record

    def changes(self, first_usn: int = 1) -> list[Change]:
        return [change(r, first_usn + i) for i, r in enumerate(self.records)]


def world() -> World:
    w = World()
    downtown = w.add("downtown", Location(id=new_id(), name="Downtown", code="DT", timezone="America/Chicago"))
    w.add("tokyo", Location(id=new_id(), name="Tokyo", code="TK", timezone="Asia/Tokyo"))
    fam = {
        "lee": w.add("fam_lee", Family(id=new_id(), name="Lee", phone="555-0101")),
        "muller": w.add("fam_muller", Family(id=new_id(), name="Müller")),
        "obrien": w.add("fam_obrien", Family(id=new_id(), name="O'Brien")),
        "nguyen": w.add("fam_nguyen", Family(id=new_id(), name="Nguyen")),
        "adams": w.add("fam_adams", Family(id=new_id(), name="Adams")),
    }
    w.add("mom_lee", Contact(id=new_id(), family_id=fam["lee"].id, first_name="Grace", last_name="Lee", phone="555-0101", is_primary=True))
    w.add("dad_lee", Contact(id=new_id(), family_id=fam["lee"].id, first_name="Adam", last_name="Lee", email="adam@example.com"))
    students = [
        ("emma", "Emma", "Lee", "lee", dt.date(2017, 3, 10)),  # birthday on DAY: turns 8
        ("emmett", "Emmett", "Lee", "lee", dt.date(2015, 7, 1)),
        ("zoe", "Zoë", "Müller", "muller", dt.date(2016, 1, 20)),
        ("liam", "Liam", "O'Brien", "obrien", None),
        ("emily", "Emily", "Nguyen", "nguyen", dt.date(2018, 12, 31)),
        ("noah", "Noah", "Emmerson", "nguyen", dt.date(2016, 5, 5)),  # last name starts with "Emm"
        ("amy", "Amy", "Lee", "lee", dt.date(2019, 2, 2)),
        ("zoey", "Zoey", "Adams", "adams", None),  # sorts before "Zoë" byte-wise; "zoe" must still rank Zoë first
    ]
    for key, first, last, family, born in students:
        w.add(key, Student(id=new_id(), family_id=fam[family].id, first_name=first, last_name=last, birth_date=born))
    w.add("gone", Student(id=new_id(), family_id=fam["lee"].id, first_name="Emmanuel", last_name="Lee", active=False))
    w.add("alert_emma", Alert(id=new_id(), student_id=w.ids["emma"], family_id=fam["lee"].id, kind="allergy", text="Peanut allergy"))
    w.add("alert_lee", Alert(id=new_id(), family_id=fam["lee"].id, kind="balance", text="Balance due $45"))
    w.add("alert_old", Alert(id=new_id(), student_id=w.ids["emma"], kind="medical", text="Old sprain", active=False))
    slots = [("tumbling", "Tumbling", "Level 2", 16, 0), ("ninja", "Ninja", "Junior", 18, 30), ("cheer", "Cheer", "Mini", 19, 30)]
    for key, name, level, hour, minute in slots:
        sched = w.add(f"sched_{key}", ClassSchedule(
            id=new_id(), location_id=downtown.id, name=name, level=level, weekday=0,
            start_time=dt.time(hour, minute), coach="Sam",
        ))  # fmt: skip
        starts = local_to_utc(DAY, hour, minute)
        w.add(f"sess_{key}", ClassSession(
            id=new_id(), schedule_id=sched.id, location_id=downtown.id, date=DAY,
            starts_at=starts, ends_at=starts + dt.timedelta(hours=1),
        ))  # fmt: skip
    # Yesterday's tumbling (same weekday rule ignored: a session row is what counts).
    starts = local_to_utc(DAY - dt.timedelta(days=1), 16)
    w.add("sess_yesterday", ClassSession(
        id=new_id(), schedule_id=w.ids["sched_tumbling"], location_id=downtown.id, date=DAY - dt.timedelta(days=1),
        starts_at=starts, ends_at=starts + dt.timedelta(hours=1),
    ))  # fmt: skip
    enrol = [
        ("emma", "ninja", DAY - dt.timedelta(days=30), None),
        ("emmett", "tumbling", DAY - dt.timedelta(days=30), None),
        ("zoe", "tumbling", DAY - dt.timedelta(days=30), None),
        ("liam", "tumbling", DAY - dt.timedelta(days=60), DAY - dt.timedelta(days=1)),  # ended yesterday
        ("amy", "tumbling", DAY + dt.timedelta(days=1), None),  # starts tomorrow
    ]
    for student, sched, start, end in enrol:
        w.add(f"enr_{student}", Enrollment(
            id=new_id(), student_id=w.ids[student], schedule_id=w.ids[f"sched_{sched}"], start_date=start, end_date=end,
        ))  # fmt: skip
    return w
