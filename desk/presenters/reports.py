"""The Reports screen's logic, without widgets: make a report from the cache, save it or print it.

The query and the layout both run off the UI thread (the cache is read on a worker thread, and
reportlab lays the pages out there too); progress comes back to the loop section by section.
Printing goes through printing.printer on its own thread; a printer problem comes back as words
for the desk (and the report can still be saved as a PDF), never as an exception.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from desk.presenters.formatting import clock, now_at
from desk.presenters.money_reports import drawer_doc, end_of_day_doc, statement_doc
from printing.errors import PrintError
from printing.printer import PrintedJob, PrinterChoice, list_printers, print_pdf_async
from printing.report import ReportCancelled, ReportDoc, ReportTable, render_report
from sync.reports import AttendanceByClass, DataAsOf, EnrollmentHistory, StudentHistory
from sync.store import DeskStore
from sync.views import LocationView, StudentHit

Kind = Literal["attendance", "history", "enrollments", "statement", "end_of_day", "drawer"]
KINDS: dict[Kind, str] = {
    "attendance": "Attendance by class",
    "history": "Student attendance history",
    "enrollments": "Student enrollment history",
    "statement": "Family statement",
    "end_of_day": "End of day (bank deposit)",
    "drawer": "Cash drawer counts",
}
NEEDS_STUDENT: frozenset[str] = frozenset({"history", "enrollments", "statement"})  # a statement finds the family by a student
ONE_DAY: frozenset[str] = frozenset({"end_of_day", "drawer"})  # made for the "to" date
NO_DATES: frozenset[str] = frozenset({"enrollments"})  # the whole history
STATUS_WORDS = {"present": "Present", "late": "Late", "absent": "Absent", None: "Not marked"}
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class MadeReport:
    title: str
    pdf: bytes
    file_name: str  # suggested, e.g. "attendance-2025-03-01-to-2025-03-31.pdf"
    as_of: str


@dataclass(frozen=True)
class PrintOutcome:
    ok: bool
    message: str


def day_text(day: dt.date) -> str:
    return f"{day:%b} {day.day}, {day.year}"


def moment_text(moment: dt.datetime) -> str:
    return f"{day_text(moment.date())} {clock(moment)} {moment.tzname() or ''}".strip()


def as_of_text(as_of: DataAsOf, timezone: str) -> str:
    if as_of.last_sync is None:
        words = "Data from this desk only: it has not synced with the server yet"
    else:
        words = f"Data as of {moment_text(as_of.last_sync.astimezone(ZoneInfo(timezone)))} (last sync)"
    if as_of.pending:
        words += f"; {as_of.pending} change{'s' if as_of.pending != 1 else ''} made here not yet sent"
    return words


def attendance_doc(report: AttendanceByClass, business: str, as_of: str, printed_at: str) -> ReportDoc:
    tables = []
    for cls in report.classes:
        rows = []
        totals = [0, 0, 0, 0, 0]
        for sess in cls.sessions:
            if sess.cancelled:
                rows.append((day_text(sess.date), clock(sess.starts_at), "Cancelled", "", "", "", ""))
                continue
            counts = [sess.enrolled, sess.present, sess.late, sess.absent, sess.unmarked]
            totals = [a + b for a, b in zip(totals, counts, strict=True)]
            rows.append((day_text(sess.date), clock(sess.starts_at), *map(str, counts)))
        level = f" ({cls.level})" if cls.level and cls.level.lower() not in cls.name.lower() else ""
        tables.append(ReportTable(
            heading=f"{cls.name}{level}" + (f" - coach {cls.coach}" if cls.coach else ""),
            columns=("Date", "Time", "Enrolled", "Present", "Late", "Absent", "Not marked"),
            rows=tuple(rows), widths=(0.22, 0.14, 0.13, 0.13, 0.12, 0.12, 0.14), right=frozenset(range(2, 7)),
            total=(f"{len(rows)} session{'s' if len(rows) != 1 else ''}", "", *map(str, totals)),
        ))
    return ReportDoc(
        title="Attendance by class", business_name=business,
        subtitle=f"{report.location_name} · {day_text(report.start)} to {day_text(report.end)}",
        as_of=as_of, printed_at=printed_at, tables=tuple(tables),
        empty_text="No classes at this location in these dates.",
    )


def history_doc(history: StudentHistory, business: str, as_of: str, printed_at: str) -> ReportDoc:
    rows = tuple(
        (day_text(r.date), clock(r.starts_at), r.class_name, r.location_name,
         "Cancelled" if r.cancelled else STATUS_WORDS.get(r.status, r.status or ""), "Yes" if r.checked_in else "")
        for r in history.rows
    )
    here = history.count("present") + history.count("late")
    note = (f"{here} attended ({history.count('late')} late), {history.count('absent')} absent, "
            f"{history.count(None)} not marked")
    table = ReportTable(heading=f"{history.student_name} ({history.family_name} family)",
                        columns=("Date", "Time", "Class", "Location", "Attendance", "Checked in"),
                        rows=rows, widths=(0.18, 0.12, 0.26, 0.16, 0.15, 0.13), note=note)
    return ReportDoc(
        title="Student attendance history", business_name=business,
        subtitle=f"{history.student_name} · {day_text(history.start)} to {day_text(history.end)}",
        as_of=as_of, printed_at=printed_at, tables=(table,) if rows else (),
        empty_text=f"No classes for {history.student_name} in these dates.",
    )


WEEKDAYS = ("Mondays", "Tuesdays", "Wednesdays", "Thursdays", "Fridays", "Saturdays", "Sundays")


def enrollments_doc(history: EnrollmentHistory, business: str, as_of: str, printed_at: str) -> ReportDoc:
    rows = tuple(
        (r.class_name + (f" ({r.level})" if r.level and r.level.lower() not in r.class_name.lower() else ""),
         r.location_name, f"{WEEKDAYS[r.weekday]} {r.start_time.strftime('%I:%M %p').lstrip('0')}",
         day_text(r.start_date), day_text(r.end_date) if r.end_date else "Still enrolled")
        for r in history.rows
    )  # fmt: skip
    active = sum(1 for r in history.rows if r.end_date is None)
    table = ReportTable(heading=f"{history.student_name} ({history.family_name} family)",
                        columns=("Class", "Location", "When", "Joined", "Left"), rows=rows,
                        widths=(0.30, 0.16, 0.22, 0.16, 0.16),
                        note=f"{len(rows)} enrollment{'s' if len(rows) != 1 else ''}, {active} still enrolled")  # fmt: skip
    return ReportDoc(title="Student enrollment history", business_name=business, subtitle=history.student_name,
                     as_of=as_of, printed_at=printed_at, tables=(table,) if rows else (),
                     empty_text=f"{history.student_name} has never been enrolled in a class.")  # fmt: skip


class ReportsPresenter:
    def __init__(self, store: DeskStore, location: LocationView, business_name: str):
        self.store = store
        self.location = location
        self.business_name = business_name
        self.currency = "USD"
        self._families: dict[str, str] = {}  # student id -> family id, from the searches made here

    def set_location(self, location: LocationView) -> None:
        self.location = location

    def today(self) -> dt.date:
        return now_at(self.location.timezone, self.store.clock).date()

    def default_range(self) -> tuple[dt.date, dt.date]:
        today = self.today()
        return today.replace(day=1), today

    @staticmethod
    def check(kind: Kind, start: dt.date, end: dt.date, student_id: str | None) -> str | None:
        """What is missing before a report can be made, in words; None when all is there."""
        if end < start:
            return "The end date is before the start date. Change one of them."
        if kind in NEEDS_STUDENT and not student_id:
            return "Choose a student first: type a name and pick it from the list."
        return None

    def search_students(self, text: str) -> list[StudentHit]:
        hits = self.store.search_students(text, limit=8) if text.strip() else []
        self._families.update({h.id: h.family_id for h in hits})
        return hits

    def as_of(self) -> str:
        return as_of_text(self.store.data_as_of(), self.location.timezone)

    async def make(self, kind: Kind, start: dt.date, end: dt.date, student_id: str | None = None,
                   progress: Progress | None = None, cancel: threading.Event | None = None) -> MadeReport | None:
        """Read the cache and lay the report out, both off the UI thread; None when cancelled.

        ValueError for what the screen should have caught (dates the wrong way round, no student)."""
        problem = self.check(kind, start, end, student_id)
        if problem:
            raise ValueError(problem)
        loop = asyncio.get_running_loop()
        location, business = self.location, self.business_name

        def report_progress(done: int, total: int) -> None:
            if progress is not None:
                loop.call_soon_threadsafe(progress, done, total)

        def work() -> MadeReport | None:
            as_of = as_of_text(self.store.data_as_of(), location.timezone)
            printed = moment_text(now_at(location.timezone, self.store.clock))
            if kind == "attendance":
                doc = attendance_doc(self.store.attendance_report(location.id, start, end), business, as_of, printed)
                name = f"attendance-{location.code or 'all'}-{start}-to-{end}.pdf"
            elif kind == "enrollments":
                history = self.store.enrollment_history(student_id or "")
                doc = enrollments_doc(history, business, as_of, printed)
                name = f"enrollments-{_slug(history.student_name)}.pdf"
            elif kind == "statement":
                family_id = self._families.get(student_id or "", "")
                st = self.store.money_report("family_statement", family_id, start, end)
                doc = statement_doc(st, business, as_of, printed, self.currency)
                name = f"statement-{_slug(st.family_name)}-{start}-to-{end}.pdf"
            elif kind == "end_of_day":
                day = self.store.money_report("end_of_day", location.id, end)
                doc = end_of_day_doc(day, business, as_of, printed, self.currency)
                name = f"end-of-day-{location.code or 'all'}-{end}.pdf"
            elif kind == "drawer":
                counts = self.store.money_report("drawer_counts", location.id, end)
                doc = drawer_doc(counts, location.name, end, business, as_of, printed, self.currency)
                name = f"drawer-counts-{location.code or 'all'}-{end}.pdf"
            else:
                history = self.store.student_history(student_id or "", start, end)
                doc = history_doc(history, business, as_of, printed)
                name = f"attendance-history-{_slug(history.student_name)}-{start}-to-{end}.pdf"
            report_progress(0, max(len(doc.tables), 1))
            try:
                pdf = render_report(doc, report_progress, cancel.is_set if cancel else None)
            except ReportCancelled:
                return None
            return MadeReport(doc.title, pdf, name, as_of)

        return await asyncio.to_thread(work)

    @staticmethod
    def save(made: MadeReport, path: Path) -> Path:
        path = Path(path)
        path.write_bytes(made.pdf)
        return path

    @staticmethod
    async def printers() -> list[PrinterChoice]:
        return await asyncio.to_thread(list_printers)

    @staticmethod
    async def print(made: MadeReport, printer: str | None = None) -> PrintOutcome:
        try:
            job: PrintedJob = await print_pdf_async(made.pdf, printer=printer, title=made.title)
        except PrintError as exc:
            return PrintOutcome(False, f"{exc.message} You can also save the report as a PDF.")
        return PrintOutcome(True, f"{made.title} sent to the printer {job.printer}.")


def _slug(text: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in text.casefold()).split()) or "student"
