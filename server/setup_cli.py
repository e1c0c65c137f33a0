"""`frontdesk-server add-location`, `add-room`, `add-program`, `add-class`, `add-closure`,
`change-session`, `list-sessions`, `plan-sessions`: a school set up from a script (server.setup)."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from sqlmodel import col, select

COMMANDS = ("add-location", "add-room", "add-program", "add-class", "add-closure", "change-session", "list-sessions",
            "plan-sessions")  # fmt: skip


def _date(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def _ages(text: str) -> tuple[int, int]:
    lo, _, hi = text.partition("-")
    return int(lo), int(hi or lo)


def add_parsers(sub, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("add-location", parents=[common], help="add a location (gym, pool, studio)")
    p.add_argument("slug")
    p.add_argument("name")
    p.add_argument("--code", required=True, help="a short code, used in receipt numbers, e.g. DT")
    p.add_argument("--timezone", default="America/Chicago", help="an IANA time zone (default America/Chicago)")
    p.add_argument("--address", default="")
    p.add_argument("--phone", default="")
    p.add_argument("--hours", default="", help='opening hours, e.g. "Mon 9:00-20:00; Sat 8:00-14:00"')

    p = sub.add_parser("add-room", parents=[common], help="add a room to a location")
    p.add_argument("slug")
    p.add_argument("location", help="its code, name or id")
    p.add_argument("name")
    p.add_argument("--capacity", type=int, default=None)

    p = sub.add_parser("add-program", parents=[common], help="add a program (a group of classes)")
    p.add_argument("slug")
    p.add_argument("name")
    p.add_argument("--description", default="")

    p = sub.add_parser("add-class", parents=[common], help="add a weekly class; its sessions are made at once")
    p.add_argument("slug")
    p.add_argument("location", help="its code, name or id")
    p.add_argument("name")
    p.add_argument("--times", required=True, help='every meeting: "Mon 16:00 60; Wed 16:00 60" (day, local start, minutes)')
    p.add_argument("--program", default=None, help="its name or id")
    p.add_argument("--room", default=None, help="its name or id")
    p.add_argument("--level", default="")
    p.add_argument("--ages", type=_ages, default=None, help="youngest-oldest in years, e.g. 6-9")
    p.add_argument("--term-start", type=_date, default=None, help="YYYY-MM-DD (default: now)")
    p.add_argument("--term-end", type=_date, default=None, help="YYYY-MM-DD (default: ongoing)")
    p.add_argument("--capacity", type=int, default=12)
    p.add_argument("--instructor", action="append", default=[], help="a staff member's username (repeat)")
    p.add_argument("--tuition-cents", type=int, default=0, help="monthly tuition in cents")

    p = sub.add_parser("add-closure", parents=[common], help="close a location for a day or days; lists the families to call")
    p.add_argument("slug")
    p.add_argument("location", help="its code, name or id")
    p.add_argument("name", help='e.g. "Thanksgiving"')
    p.add_argument("start", type=_date, help="YYYY-MM-DD")
    p.add_argument("end", type=_date, nargs="?", default=None, help="YYYY-MM-DD, included (default: the start)")

    p = sub.add_parser("change-session", parents=[common], help="cancel, move or give a substitute to one session")
    p.add_argument("slug")
    p.add_argument("session_id")
    state = p.add_mutually_exclusive_group()
    state.add_argument("--cancel", action="store_true")
    state.add_argument("--restore", action="store_true", help="hold a cancelled session after all")
    p.add_argument("--date", type=_date, default=None)
    p.add_argument("--start", default=None, help="local time, e.g. 16:30")
    p.add_argument("--minutes", type=int, default=None)
    p.add_argument("--instructor", default=None, help="the substitute's username")
    p.add_argument("--note", default=None)

    p = sub.add_parser("list-sessions", parents=[common], help="a location's sessions on a day, with their ids")
    p.add_argument("slug")
    p.add_argument("location", help="its code, name or id")
    p.add_argument("date", type=_date, help="YYYY-MM-DD")

    p = sub.add_parser("plan-sessions", parents=[common], help="plan every class's sessions ahead now (the server does it nightly)")
    p.add_argument("slug")


def run(args: argparse.Namespace, data_dir: Path) -> None:
    """One set-up command; raises AdminError for the caller to print."""
    from server import setup

    if args.command == "add-location":
        location_id = setup.add_location(data_dir, args.slug, args.name, args.code, timezone=args.timezone,
                                         address=args.address, phone=args.phone, hours=args.hours)  # fmt: skip
        print(f"Added location {args.name!r} ({args.code.upper()}): id {location_id}")
    elif args.command == "add-room":
        print(f"Added room {args.name!r}: id {setup.add_room(data_dir, args.slug, args.location, args.name, capacity=args.capacity)}")
    elif args.command == "add-program":
        print(f"Added program {args.name!r}: id {setup.add_program(data_dir, args.slug, args.name, description=args.description)}")
    elif args.command == "add-class":
        with setup.setting_up(data_dir, args.slug) as s:
            out = s.add_class(args.location, args.name, args.times, program=args.program, room=args.room, level=args.level,
                              ages=args.ages, term=(args.term_start, args.term_end), capacity=args.capacity,
                              instructors=args.instructor, tuition_cents=args.tuition_cents)  # fmt: skip
        print(f"Added class {args.name!r}: id {out.id}, {out.added_sessions} sessions planned")
    elif args.command == "add-closure":
        out = setup.add_closure(data_dir, args.slug, args.location, args.name, args.start, args.end)
        print(f"Added closure {args.name!r}: id {out.id}, {len(out.cancelled)} sessions cancelled")
        _families(out)
    elif args.command == "change-session":
        cancelled = True if args.cancel else False if args.restore else None
        out = setup.change_session(data_dir, args.slug, args.session_id, cancelled=cancelled, date=args.date, start=args.start,
                                   minutes=args.minutes, instructor=args.instructor, note=args.note)  # fmt: skip
        print(f"Changed session {out.id}")
        _families(out)
    elif args.command == "list-sessions":
        _list_sessions(data_dir, args)
    elif args.command == "plan-sessions":
        plan = setup.plan(data_dir, args.slug)
        print(f"Planned {args.slug!r}: {plan.added} added, {plan.moved} moved, {plan.removed} removed, "
              f"{len(plan.cancelled)} cancelled, {plan.restored} back on")  # fmt: skip


def _families(out) -> None:
    for c in out.cancelled:
        print(f"  cancelled {c.date} {c.class_name}: call {', '.join(c.families) or 'nobody enrolled'}")


def _list_sessions(data_dir: Path, args: argparse.Namespace) -> None:
    from server import setup
    from sync.core.class_times import clock_words
    from sync.core.clock import zone
    from sync.core.schema import ClassSchedule, ClassSession, Location

    with setup.setting_up(data_dir, args.slug) as s:
        location = s.db.get(Location, s.location_id(args.location))
        rows = s.db.exec(select(ClassSession, ClassSchedule).join(ClassSchedule, col(ClassSchedule.id) == col(ClassSession.schedule_id))
                         .where(ClassSession.location_id == location.id, ClassSession.date == args.date)
                         .order_by(col(ClassSession.starts_at))).all()  # fmt: skip
        tz = zone(location.timezone)
        for session, schedule in rows:
            local = session.starts_at.replace(tzinfo=dt.UTC).astimezone(tz)
            flag = f"\tcancelled: {session.note}" if session.cancelled else ""
            print(f"{session.id}\t{clock_words(local.time())}\t{schedule.name}{flag}")
