"""The Set-up screen's and the week view's logic, without widgets (desk.widgets.setup_screen).

Forms hand in what a person typed (text); this turns it into a set-up change (sync.setup_desk),
sends only the fields that changed when editing, and gives back words for the toast. A refusal
(RejectedError) keeps its words from the applier, and nothing is written.
"""

from __future__ import annotations

import datetime as dt
import os
import zoneinfo
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from desk.presenters.formatting import now_at
from sync.core.class_times import (
    WEEKDAY_NAMES,
    WEEKDAY_SHORT,
    BadTimes,
    clock_words,
    format_times,
    hours_words,
    meeting,
    parse_hours,
    time_of,
    weekday_of,
)
from sync.errors import RejectedError
from sync.core.ledger import MoneyError, parse_money
from sync.ledger_words import amount_text
from sync.setup_desk import ClassRow, SetUpDesk, WeekEntry
from sync.views import LocationView

TABS = ("Classes", "Programs", "Locations", "Closures", "Rooms")


def computer_zone() -> str:
    """This computer's IANA time zone name (the default for a new location); UTC when it cannot tell."""
    name = os.environ.get("TZ", "").lstrip(":")
    if name in zoneinfo.available_timezones():
        return name
    try:
        target = str(Path("/etc/localtime").resolve())
        if "zoneinfo/" in target:
            name = target.split("zoneinfo/", 1)[1]
            if name in zoneinfo.available_timezones():
                return name
    except OSError:
        pass
    return "UTC"


def zones() -> list[str]:
    """Time zones to pick from: the IANA names people know (Area/City), sorted."""
    return sorted(z for z in zoneinfo.available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/", "posix/", "right/")))


def meetings_text(text: str) -> str:
    """'Mon 16:00 60, Wed 4:30pm 45' as the stored form; RejectedError in words."""
    try:
        out = []
        for part in filter(None, (p.strip() for p in text.replace(",", ";").split(";"))):
            bits = part.split()
            if len(bits) == 4 and bits[2].lower() in ("am", "pm"):
                bits = [bits[0], bits[1] + bits[2], bits[3]]
            if len(bits) != 3 or not bits[2].isdigit():
                raise BadTimes(f"“{part}”: give the day, start and minutes, e.g. Mon 16:00 60.")
            out.append(meeting(weekday_of(bits[0]), bits[1], int(bits[2])))
        if not out:
            raise BadTimes("A class meets at least once a week, e.g. Mon 16:00 60.")
        return format_times(out)
    except BadTimes as exc:
        raise RejectedError(str(exc)) from None


def meetings_words(stored: str) -> str:
    """The stored form as a person types it back: 'Mon 16:00 60; Wed 16:30 45'."""
    out = []
    for part in filter(None, stored.split(";")):
        day, start, minutes = part.split()
        out.append(f"{WEEKDAY_SHORT[int(day)]} {start} {minutes}")
    return "; ".join(out)


def _date(text: str, what: str) -> dt.date | None:
    text = text.strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise RejectedError(f"The {what} is not a date: type it as YYYY-MM-DD, e.g. 2026-11-26.") from None


def _int(text: str, what: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not text.isdigit():
        raise RejectedError(f"The {what} is a whole number.")
    return int(text)


def ages_text(text: str) -> tuple[int | None, int | None]:
    """'6-9', '6–9', '6+', '' (all ages)."""
    t = text.strip().replace("–", "-").replace(" ", "")
    if not t:
        return None, None
    if t.endswith("+"):
        return _int(t[:-1], "youngest age"), None
    lo, _, hi = t.partition("-")
    return _int(lo, "youngest age"), _int(hi or lo, "oldest age")


@dataclass(frozen=True)
class WeekCell:
    weekday: int
    time: str  # "4:00 PM"
    title: str  # "Level 1 · 6–9"
    detail: str  # "60 min · Main floor · Kim Park · 8/14"
    entry: WeekEntry


class SetUpPresenter:
    def __init__(self, setup: SetUpDesk, location: LocationView):
        self.setup = setup
        self.location = location

    def set_location(self, location: LocationView) -> None:
        self.location = location

    def today(self) -> dt.date:
        return now_at(self.location.timezone, self.setup.store.clock).date()

    # -- lists --------------------------------------------------------------------------------
    def classes(self) -> list[ClassRow]:
        return self.setup.classes(self.location.id or None, today=self.today())

    def class_line(self, c: ClassRow) -> tuple[str, ...]:
        term = "ongoing" if c.term_start is None and c.term_end is None else \
            f"{c.term_start or '…'} to {c.term_end or 'ongoing'}"  # fmt: skip
        return (c.name, c.program, c.when, c.ages, f"{c.enrolled}/{c.capacity}", c.coach, c.room,
                amount_text(c.tuition_cents) + "/mo" if c.tuition_cents else "", term, "" if c.active else "retired")  # fmt: skip

    def location_line(self, loc) -> tuple[str, ...]:
        return (loc.name, loc.code, loc.timezone, loc.phone, loc.address, hours_words(parse_hours(loc.hours)),
                "" if loc.active else "retired")  # fmt: skip

    def closure_line(self, c) -> tuple[str, ...]:
        days = c.start_date.isoformat() if c.start_date == c.end_date else f"{c.start_date} to {c.end_date}"
        return (c.name, days, "" if c.active else "removed")

    # -- saving ---------------------------------------------------------------------------------
    async def save_class(self, form: dict[str, str], existing: ClassRow | None = None) -> str:
        """Add (existing None) or edit a class from the form's text; returns words for the toast."""
        if not form.get("name", "").strip():
            raise RejectedError("Give the class a name.")
        age_min, age_max = ages_text(form.get("ages", ""))
        fields: dict[str, Any] = {
            "name": form["name"].strip(), "level": form.get("level", "").strip(),
            "times": meetings_text(form.get("times", "")), "age_min": age_min, "age_max": age_max,
            "capacity": _int(form.get("capacity", ""), "capacity") or 12,
            "tuition_cents": self._cents(form.get("tuition", "")),
            "term_start": _date(form.get("term_start", ""), "term start"),
            "term_end": _date(form.get("term_end", ""), "term end"),
            "program_id": form.get("program_id") or None, "room_id": form.get("room_id") or None,
            "instructor_ids": [i for i in form.get("instructor_ids", "").split(",") if i],
        }  # fmt: skip
        if existing is None:
            if not self.location.id:
                raise RejectedError("Add a location first: a class meets at one.")
            await self.setup.add("class", location_id=self.location.id, **fields)
            return f"Class {fields['name']} added; its sessions come with the next sync."
        before = {"name": existing.name, "level": existing.level, "times": existing.times, "age_min": existing.age_min,
                  "age_max": existing.age_max, "capacity": existing.capacity, "tuition_cents": existing.tuition_cents,
                  "term_start": existing.term_start, "term_end": existing.term_end, "program_id": existing.program_id,
                  "room_id": existing.room_id, "instructor_ids": list(existing.instructor_ids)}  # fmt: skip
        changes = {k: v for k, v in fields.items() if before[k] != v}
        if not changes:
            return "Nothing changed."
        await self.setup.update("class", existing.id, **changes)
        return f"Class {fields['name']} saved."

    def _cents(self, text: str) -> int:
        if not text.strip():
            return 0
        try:
            return parse_money(text, allow_zero=True)
        except MoneyError:
            raise RejectedError("The tuition is an amount of money, e.g. 85 or 85.50.") from None

    async def save_simple(self, kind: str, form: dict[str, Any], existing: Any = None) -> str:
        """A program, location, room or closure from its form; only the changed fields when editing."""
        fields = {k: (v.strip() if isinstance(v, str) else v) for k, v in form.items()}
        if kind == "location" and "hours" in fields:
            try:
                fields["hours"] = ";".join(str(h) for h in parse_hours(fields["hours"].replace(",", ";")))
            except BadTimes as exc:
                raise RejectedError(str(exc)) from None
        if kind == "room":
            fields["capacity"] = _int(str(fields.get("capacity") or ""), "capacity")
        if kind == "closure":
            fields["start_date"] = _date(str(fields.get("start_date", "")), "first closed day")
            fields["end_date"] = _date(str(fields.get("end_date", "")), "last closed day") or fields["start_date"]
            if fields["start_date"] is None:
                raise RejectedError("Give the first closed day, e.g. 2026-11-26.")
        name = fields.get("name", "")
        if existing is None:
            location_id = self.location.id if kind in ("room", "closure") else None
            if kind in ("room", "closure") and not location_id:
                raise RejectedError("Add a location first.")
            await self.setup.add(kind, location_id=location_id, **fields)
            if kind == "closure":
                return f"{name} added: the classes on those days are cancelled at the next sync."
            return f"{kind.title()} {name} added."
        changes = {k: v for k, v in fields.items() if getattr(existing, k) != v}
        if not changes:
            return "Nothing changed."
        await self.setup.update(kind, existing.id, **changes)
        return f"{kind.title()} {name} saved."

    async def retire(self, kind: str, record: Any) -> str:
        """A record taken out of use (kept, so what named it still reads); a closure removed gives its days back."""
        await self.setup.update(kind, record.id, active=not record.active)
        return f"{record.name} {'back in use' if not record.active else 'removed' if kind == 'closure' else 'retired'}."

    def calls_for(self, closure: Any) -> str:
        """The families to call about a closure's cancelled classes, once the server has cancelled them."""
        cancelled = self.setup.cancelled_sessions(closure.location_id, closure.start_date, closure.end_date)
        if not cancelled:
            return "No classes cancelled yet (they are, at the next sync)."
        lines = []
        for c in cancelled:
            who = ", ".join(c.families) or "nobody enrolled"
            lines.append(f"{WEEKDAY_SHORT[c.date.weekday()]} {c.date} {c.class_name}: {who}")
        return "\n".join(lines)

    # -- one session ------------------------------------------------------------------------------
    def sessions(self, c: ClassRow) -> list[tuple[Any, str]]:
        """The class's next four weeks of sessions, each with a line: 'Tue 2026-11-17 4:00 PM · cancelled: …'."""
        zone = ZoneInfo(self.location.timezone) if self.location.timezone else dt.UTC
        names = {s.id: s.display_name for s in self.setup.instructors()}
        out = []
        for s in self.setup.sessions_of(c.id, self.today()):
            local = s.starts_at.replace(tzinfo=dt.UTC).astimezone(zone)
            bits = [f"{WEEKDAY_SHORT[s.date.weekday()]} {s.date} {clock_words(local.time())}"]
            if s.instructor_id:
                bits.append(f"substitute {names.get(s.instructor_id, '?')}")
            if s.cancelled:
                bits.append("cancelled" + (f": {s.note}" if s.note else ""))
            elif s.note:
                bits.append(s.note)
            out.append((s, " · ".join(bits)))
        return out

    async def change_session(self, session: Any, form: dict[str, str]) -> str:
        """Move one session or give it a substitute (the class stays as it is)."""
        changes: dict[str, Any] = {}
        day = _date(form.get("date", ""), "date")
        if day is not None and day != session.date:
            changes["date"] = day
        if form.get("start", "").strip():
            try:
                changes["start_time"] = time_of(form["start"])
            except BadTimes as exc:
                raise RejectedError(str(exc)) from None
        if form.get("minutes", "").strip():
            changes["duration_minutes"] = _int(form["minutes"], "length in minutes")
        if (form.get("instructor_id") or None) != session.instructor_id:
            changes["instructor_id"] = form.get("instructor_id") or None
        if form.get("note", "").strip() != session.note:
            changes["note"] = form.get("note", "").strip()
        if not changes:
            return "Nothing changed."
        await self.setup.change_session(session.id, **changes)
        return "Session changed; the class is as it was."

    async def cancel_session(self, session: Any, reason: str = "") -> str:
        """Cancel one session (or hold it after all, when it is cancelled)."""
        await self.setup.change_session(session.id, cancelled=not session.cancelled, note=reason.strip() or session.note)
        return "Session back on." if session.cancelled else "Session cancelled; the class is as it was."

    # -- the week view --------------------------------------------------------------------------
    def week(self, age_text: str = "", day_text: str = "", text: str = "") -> list[WeekCell]:
        """The location's classes this week, for a child of that age on that day ('' : any)."""
        age = _int(age_text, "age") if age_text.strip() else None
        weekday = None
        if day_text.strip() and day_text.strip().lower() not in ("any", "all"):
            try:
                weekday = weekday_of(day_text)
            except BadTimes as exc:
                raise RejectedError(str(exc)) from None
        if not self.location.id:
            return []
        cells = []
        for e in self.setup.week(self.location.id, age=age, weekday=weekday, text=text, today=self.today()):
            c = e.cls
            detail = " · ".join(filter(None, (f"{e.minutes} min", c.room, c.coach, f"{c.enrolled}/{c.capacity}")))
            cells.append(WeekCell(e.weekday, clock_words(e.start), f"{c.name} · {c.ages}", detail, e))
        return cells

    def week_summary(self, cells: list[WeekCell], age_text: str, day_text: str) -> str:
        who = f"a {age_text.strip()}-year-old" if age_text.strip() else "any age"
        day = WEEKDAY_NAMES[weekday_of(day_text)] if day_text.strip() and day_text.strip().lower() not in ("any", "all") else "all week"
        if not cells:
            return f"No classes for {who} on {day} at {self.location.name}."
        return f"{len(cells)} classes for {who}, {day}, at {self.location.name}"


__all__ = ["TABS", "SetUpPresenter", "WeekCell", "computer_zone", "meetings_text", "meetings_words", "time_of", "zones"]
