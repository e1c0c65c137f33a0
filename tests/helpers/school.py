"""Classes a test needs, made on its own account for its own pinned moment through the product's
set-up code (server.setup), never hoped for in seed data."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlmodel import select

from server.setup import setting_up
from sync.core.clock import PinnedClock
from sync.core.schema import ClassSession, Location


@dataclass(frozen=True)
class ClassNow:
    schedule_id: str
    session_id: str
    student_ids: tuple[str, ...]
    name: str


def a_class_now(data_dir: str | os.PathLike, slug: str, moment: dt.datetime, *, students: int = 3,
                location_code: str = "DT", name: str = "Pinned Tumbling") -> ClassNow:  # fmt: skip
    """A weekly class at the location that is running at `moment` (on the location's clock, within
    its day), with `students` new children enrolled since last week. Written as server set-up
    changes, so desks pull it like any other; the account's server may be running."""
    with setting_up(data_dir, slug, PinnedClock(moment, frozen=True)) as s:
        location = s.db.exec(select(Location).where(Location.code == location_code)).one()
        zone = ZoneInfo(location.timezone)
        local = moment.astimezone(zone)
        midnight = dt.datetime.combine(local.date(), dt.time(), tzinfo=zone)
        start = max(midnight, local - dt.timedelta(minutes=5)).replace(second=0, microsecond=0)
        last_minute = midnight + dt.timedelta(days=1)  # a class may end at midnight, not later
        minutes = max(1, int((min(start + dt.timedelta(minutes=60), last_minute) - start).total_seconds() // 60))
        outcome = s.add_class(location.id, name, f"{local.weekday()} {start:%H:%M} {minutes}")
        session_id = s.db.exec(select(ClassSession.id).where(ClassSession.schedule_id == outcome.id,
                                                             ClassSession.date == local.date())).one()  # fmt: skip
        kids = [(first, last) for first, last in zip(("Ava", "Ben", "Cora", "Dev", "Eli", "Fay"),
                                                     ("Pinned", "Quill", "Rowe", "Sable", "Thorn", "Ulm"))][:students]  # fmt: skip
        phones = [f"+1312555{7100 + i:04d}" for i in range(students)]  # each family a guardian to call (and the kiosk to find)
        ids = s.enroll_new_students(outcome.id, kids, start=local.date() - dt.timedelta(days=7), phones=phones)
        return ClassNow(outcome.id, session_id, tuple(ids), name)


def a_new_account(data_dir: str | os.PathLike, slug: str, *staff: tuple[str, str, str]) -> None:
    """An account as `create-account` and `add-staff` leave it: its staff ((username, password,
    group) each) and nothing else: no location, class or family (no seed-demo)."""
    from server import admin

    admin.create_account(data_dir, slug, name=slug.title())
    for username, password, group in staff:
        admin.add_staff(data_dir, slug, username, password, group=group, display_name=username.title())
