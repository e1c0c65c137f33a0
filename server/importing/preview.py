"""From an uploaded file and the person's choices to what the desk shows: columns, guesses, the preview.

The commit (server.importing.jobs) runs the very same steps, so the preview is what gets written.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import Session, col, select

from server.account_db import AuditEvent
from server.importing import values
from server.importing.columns import describe_columns
from server.importing.existing import Existing
from server.importing.fields import FIELDS, clean_mapping, guess_mapping, headers_key, is_credit
from server.importing.first_setup import NEW_LOCATION, assume, missing
from server.importing.people import is_people_list, read_people
from server.importing.plan import NO_LOCATION, Plan, Progress, Who, make_plan
from server.importing.reading import FileProblem, Table, read_table
from server.importing.rows import Reading, read_rows
from sync.core.clock import Clock, SystemClock
from sync.core.wire_imports import MAX_PROBLEMS, ImportField, ImportOptions, ImportProblem, PreviewAnswer, UploadAnswer

NAME_FIELDS = ("family_name", "guardian_last_name", "guardian_name", "student_last_name", "student_name", "person_last_name",
               "person_name")  # fmt: skip
SAMPLE_ROWS = 5


@dataclass
class Upload:
    id: str
    account_id: str
    staff_id: str
    file_name: str
    data: bytes
    sha256: str
    created_at: dt.datetime  # naive UTC, when it was received


def open_table(upload: Upload, options: ImportOptions | None = None) -> Table:
    options = options or ImportOptions()
    return read_table(upload.data, upload.file_name, delimiter=options.delimiter, sheet=options.sheet)


def saved_mapping(db: Session, headers: list[str]) -> dict[str, str] | None:
    """The mapping last used for a file with these columns (kept in the import's audit entry)."""
    wanted = headers_key(headers)
    q = select(AuditEvent).where(col(AuditEvent.action).startswith("import.")).order_by(col(AuditEvent.id).desc()).limit(200)
    for event in db.exec(q):
        if event.detail.get("headers_key") == wanted and isinstance(event.detail.get("mapping"), dict):
            return clean_mapping(event.detail["mapping"], headers)
    return None


def describe(db: Session, upload: Upload, options: ImportOptions | None = None) -> UploadAnswer:
    table = open_table(upload, options)
    kept = saved_mapping(db, table.headers)
    return UploadAnswer(
        upload_id=upload.id, file_name=upload.file_name, sha256=upload.sha256, size=len(upload.data), format=table.format,
        encoding=table.encoding, delimiter=table.delimiter, sheet=table.sheet, sheets=table.sheets, headers=table.headers,
        sample=table.rows[:SAMPLE_ROWS], rows=len(table.rows), mapping=kept or guess_mapping(table.headers),
        mapping_source="saved" if kept else "guessed", fields=[ImportField(name=n, label=w) for n, w in FIELDS.items()],
    )  # fmt: skip


def date_order(table: Table, mapping: dict[str, str], chosen: str) -> tuple[values.DateOrder, bool]:
    """The order dates are read in, and whether the person must still say it (the column never tells)."""
    if chosen in ("mdy", "dmy"):
        return chosen, False  # type: ignore[return-value]
    header = mapping.get("birth_date")
    if header is None:
        return "mdy", False
    i = table.headers.index(header)
    column = [r[i] for r in table.rows]
    found = values.date_order_of(column)
    if found is not None:
        return found, False
    ambiguous = any((p := values.date_parts(c)) is not None and p[0] != p[1] for c in column)
    return "mdy", ambiguous


def who_for(ex: Existing, options: ImportOptions, staff_id: str, desk_id: str, file_name: str,
            clock: Clock = SystemClock()) -> Who:  # noqa: B008 - stateless  # fmt: skip
    location = options.location_id
    if location is not None and location not in ex.locations:
        raise FileProblem("That location is not on file; choose another one.")
    if location is None and ex.locations:
        location = sorted(ex.locations)[0]
    zone = ZoneInfo(ex.locations[location]) if location else dt.UTC
    if location is None and options.new_location is not None:  # made first by the commit (first_setup)
        location = NEW_LOCATION
        try:
            zone = ZoneInfo(options.new_location.timezone)
        except (ValueError, ZoneInfoNotFoundError):
            raise FileProblem(f"“{options.new_location.timezone}” is not a time zone, e.g. America/Chicago.") from None
    now = clock.now()
    return Who(staff_id=staff_id, desk_id=desk_id, file_name=file_name, location_id=location,
               business_date=now.astimezone(zone).date(), made_at=now.astimezone(dt.UTC).replace(tzinfo=None))  # fmt: skip


@dataclass
class Read:
    """How the file was read, for the preview's words (PreviewAnswer)."""

    date_order: values.DateOrder
    questions: list[str]
    money_reads: str  # "owed" or "credit"
    people_list: bool


def plan_for(table: Table, ex: Existing, who: Who, options: ImportOptions, *, progress: Progress | None = None,
             cancelled=None) -> tuple[Plan, Read]:  # noqa: ANN001  # fmt: skip
    """The plan of this file with these choices; FileProblem when the mapping cannot make one."""
    mapping = clean_mapping(options.mapping, table.headers)
    if not any(f in mapping for f in NAME_FIELDS):
        raise FileProblem("No column is chosen for a family, guardian or student name. The file may be missing "
                          "those columns: choose at least one name column, or import another file.")  # fmt: skip
    order, ask = date_order(table, mapping, options.date_order)
    money = options.money_reads
    if money == "auto":
        money = "credit" if "balance" in mapping and is_credit(mapping["balance"]) else "owed"
    reading = Reading(leave_out_bad=options.bad_values == "leave_out", credit=money == "credit")
    skips = set(options.skips)
    people = is_people_list(mapping)
    per = options.balance_per
    if people:
        rows = read_people(table, mapping, date_order=order, today=who.business_date, fixes=options.fixes, skips=skips,
                           reading=reading)  # fmt: skip
        per = "person" if per == "auto" else per  # each person's own account balance
    else:
        rows = read_rows(table, mapping, date_order=order, fixes=options.fixes, skips=skips, today=who.business_date,
                         reading=reading)  # fmt: skip
    skipped = sum(1 for n in table.row_numbers if n in skips)
    assume(ex, options)  # the classes asked for, as if made (the commit makes them first)
    plan = make_plan(rows, ex, who, skipped=skipped, balance_per=per, progress=progress, cancelled=cancelled)
    questions = ["date_order"] if ask else []
    if any(p.code == NO_LOCATION for p in plan.problems):
        questions.append("location")  # balances in the file and nowhere to record them: asked, never dropped
    return plan, Read(order, questions, money, people)


def answer(upload: Upload, table: Table, options: ImportOptions, plan: Plan, read: Read) -> PreviewAnswer:
    problems = [ImportProblem(**asdict(p)) for p in plan.problems[:MAX_PROBLEMS]]
    warnings: dict[str, int] = {}
    for p in plan.problems:
        if p.severity == "warning":
            warnings[p.code] = warnings.get(p.code, 0) + 1
    mapping = clean_mapping(options.mapping, table.headers)
    columns = describe_columns(table, mapping, money_reads=read.money_reads, balance_per=plan.balance_per, date_order=read.date_order,
                               people_list=read.people_list)  # fmt: skip
    return PreviewAnswer(upload_id=upload.id, counts=plan.counts, problems=problems, problems_total=len(plan.problems),
                         date_order=read.date_order, questions=read.questions, ready=not plan.error_rows and not read.questions,
                         columns=columns, money_reads=read.money_reads, balance_per=plan.balance_per,  # type: ignore[arg-type]
                         people_list=read.people_list, warnings_by_code=warnings,
                         missing_classes=missing(plan.missing_classes))  # fmt: skip
