"""Classes a test needs, made on its own account for its own pinned moment (never hoped for in seed data)."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlmodel import select

from server.account_db import audit, reserve_usns
from server.accounts import open_account
from sync.ids import new_id
from sync.schema import ClassSchedule, ClassSession, Enrollment, Location, Student


@dataclass(frozen=True)
class ClassNow:
    schedule_id: str
    session_id: str
    student_ids: tuple[str, ...]
    name: str


def a_class_now(data_dir: str | os.PathLike, slug: str, moment: dt.datetime, *, students: int = 3,
                location_code: str = "DT", name: str = "Pinned Tumbling") -> ClassNow:  # fmt: skip
    """A class at the location that is running at `moment` (on the location's clock, within its day),
    with `students` of the account's students enrolled since last week. Written as a server change,
    so desks pull it like any other; the account's server may be running."""
    with open_account(data_dir, slug) as (_account, adb), adb.write_session() as db:
        location = db.exec(select(Location).where(Location.code == location_code)).one()
        zone = ZoneInfo(location.timezone)
        local = moment.astimezone(zone)
        midnight = dt.datetime.combine(local.date(), dt.time(), tzinfo=zone)
        start = max(midnight, local - dt.timedelta(minutes=5))
        end = min(start + dt.timedelta(minutes=60), midnight + dt.timedelta(hours=23, minutes=59, seconds=59))
        kids = list(db.exec(select(Student).where(Student.active == True).order_by(Student.last_name, Student.first_name)  # noqa: E712
                            .limit(students)))  # fmt: skip
        assert len(kids) == students, f"the account has fewer than {students} students"
        schedule = ClassSchedule(id=new_id(), location_id=location.id, name=name, level="", weekday=local.weekday(),
                                 start_time=start.time().replace(tzinfo=None),
                                 duration_minutes=max(1, int((end - start).total_seconds() // 60)))  # fmt: skip
        session = ClassSession(id=new_id(), schedule_id=schedule.id, location_id=location.id, date=local.date(),
                               starts_at=_utc(start), ends_at=_utc(end))  # fmt: skip
        rows = [schedule, session] + [
            Enrollment(id=new_id(), student_id=k.id, schedule_id=schedule.id, start_date=local.date() - dt.timedelta(days=7))
            for k in kids
        ]
        first = reserve_usns(db, len(rows))
        for i, row in enumerate(rows):
            row.usn = first + i
            db.add(row)
        audit(db, "test.class_now", record_type="class_schedule", record_id=schedule.id)
        db.commit()
        return ClassNow(schedule.id, session.id, tuple(k.id for k in kids), name)


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC).replace(tzinfo=None)
