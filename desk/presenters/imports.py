"""The Import screen's logic, without widgets: a file from the previous software, its columns, the
preview with every problem, fixes and skips, the import as a job with progress and cancel, and
the export of everything.

The server does the reading and the matching (sync.imports_client): the desk never needs every
family locally. A preview is only good for the choices it was made with: any change (a column,
the date order, a fix, a skip) makes it stale, and only a fresh preview with no problem left may
be imported.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sync.imports_client import ImportApi
from sync.core.wire_imports import ExportFormat, ImportOptions, ImportProblem, JobStatus, PreviewAnswer, UploadAnswer

MAX_FILE_BYTES = 30 * 1024 * 1024  # as the server (server.importing.reading.MAX_BYTES)
POLL_S = 0.25
DATE_ORDERS = {"auto": "As the file shows", "mdy": "Month first (3/5/2015 is March 5)", "dmy": "Day first (3/5/2015 is 3 May)"}
MONEY_READS = {"auto": "As the column's name says", "owed": "Money the family owes", "credit": "Credit the business owes them"}
BALANCE_PER = {"auto": "As the file shows", "family": "One balance per family", "person": "One per person, added up per family"}
ACCEPT_WORDS = "Import rows with problems without the bad values"
Progress = Callable[[str, int, int], None]


_VALUE_CODES = {"bad_email", "bad_date", "bad_money", "bad_phone", "too_long"}  # a cell that could not be read


class FileTooBig(ValueError):
    pass


@dataclass(frozen=True)
class MappingRow:
    field: str
    label: str
    header: str | None
    sample: str  # what the first row holds in that column


@dataclass(frozen=True)
class ColumnLine:
    header: str
    reads_as: str  # in words, from the server's preview
    samples: str  # up to three values, separated by " · "


@dataclass(frozen=True)
class ProblemLine:
    row: int
    field: str | None
    column: str  # the file's column, or "" for the whole row
    message: str
    value: str
    error: bool
    skipped: bool
    fixed: str | None  # the value typed to replace the file's, if any


def money(cents: int) -> str:
    return f"${cents // 100:,}.{cents % 100:02d}"


def plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else (many or word + 's')}"


class ImportPresenter:
    def __init__(self, api: ImportApi, location_id: str | None = None):
        self.api = api
        self.location_id = location_id or None
        self.upload: UploadAnswer | None = None
        self.mapping: dict[str, str] = {}
        self.date_order = "auto"
        self.money_reads = "auto"
        self.balance_per = "auto"
        self.bad_values = "leave_out"
        self.fixes: dict[int, dict[str, str]] = {}
        self.skips: set[int] = set()
        self.create_classes: dict[str, str] = {}  # the file's words for a class not set up -> "Tue 17:00 60"
        self.preview: PreviewAnswer | None = None
        self.stale = True
        self.job: JobStatus | None = None
        self._cancel = False
        self.cancel_sent = False

    # --- the file and its columns ---------------------------------------------------------
    async def choose_file(self, path: Path) -> UploadAnswer:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise FileTooBig(f"{path.name} is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB. Split it into smaller files.")
        data = await asyncio.to_thread(path.read_bytes)
        answer = await self.api.upload(path.name, data)
        self.upload, self.mapping = answer, dict(answer.mapping)
        self.date_order, self.fixes, self.skips, self.preview, self.stale = "auto", {}, set(), None, True
        self.create_classes = {}
        self.money_reads, self.balance_per, self.bad_values = "auto", "auto", "leave_out"
        return answer

    def file_words(self) -> str:
        up = self.upload
        if up is None:
            return "No file chosen yet. Export the families and students from your previous software as CSV or Excel, then choose that file."
        kind = "Excel workbook" + (f", sheet “{up.sheet}”" if up.sheet else "") if up.format == "xlsx" else "CSV"
        details = [kind]
        if up.encoding:
            details.append(up.encoding)
        if up.delimiter:
            details.append({",": "comma", ";": "semicolon", "\t": "tab", "|": "vertical bar"}.get(up.delimiter, up.delimiter) + " separated")
        source = "the columns you chose last time for this kind of file" if up.mapping_source == "saved" else "our guesses from the column names"
        return f"{up.file_name}: {plural(up.rows, 'row')} ({', '.join(details)}). Columns: {source}; check them below."

    def mapping_rows(self) -> list[MappingRow]:
        up = self.upload
        if up is None:
            return []
        first = up.sample[0] if up.sample else []
        out = []
        for f in up.fields:
            header = self.mapping.get(f.name)
            sample = first[up.headers.index(header)] if header in up.headers and up.headers.index(header) < len(first) else ""
            out.append(MappingRow(f.name, f.label, header, sample))
        return out

    def set_column(self, field: str, header: str | None) -> None:
        if header:
            self.mapping[field] = header
        else:
            self.mapping.pop(field, None)
        self.stale = True

    def set_date_order(self, order: str) -> None:
        if order in DATE_ORDERS and order != self.date_order:
            self.date_order, self.stale = order, True

    def set_money_reads(self, how: str) -> None:
        """Flip the money column: what the family owes, or a credit ("Account Credit")."""
        if how in MONEY_READS and how != self.money_reads:
            self.money_reads, self.stale = how, True

    def set_balance_per(self, how: str) -> None:
        if how in BALANCE_PER and how != self.balance_per:
            self.balance_per, self.stale = how, True

    def set_stop_on_bad_values(self, stop: bool) -> None:
        how = "stop" if stop else "leave_out"
        if how != self.bad_values:
            self.bad_values, self.stale = how, True

    def options(self) -> ImportOptions:
        return ImportOptions(mapping=dict(self.mapping), date_order=self.date_order, location_id=self.location_id,  # type: ignore[arg-type]
                             fixes={r: dict(f) for r, f in self.fixes.items()}, skips=sorted(self.skips),
                             money_reads=self.money_reads, balance_per=self.balance_per, bad_values=self.bad_values,  # type: ignore[arg-type]
                             create_classes=dict(self.create_classes))  # fmt: skip

    # --- the preview ------------------------------------------------------------------------
    async def check(self) -> PreviewAnswer:
        if self.upload is None:
            raise ValueError("Choose a file first.")
        answer = await self.api.preview(self.upload.upload_id, self.options())
        self.preview, self.stale = answer, False
        return answer

    @property
    def may_import(self) -> bool:
        return self.preview is not None and not self.stale and self.preview.ready

    def column_lines(self) -> list[ColumnLine]:
        """Each column of the file, what it will be read as, and three values it holds."""
        p = self.preview
        if p is None:
            return []
        return [ColumnLine(c.header, c.reads_as, " · ".join(c.samples)) for c in p.columns]

    @property
    def may_accept_problems(self) -> bool:
        """The one click: rows with problems imported without their bad values (rows that cannot be imported at all skipped)."""
        p = self.preview
        return p is not None and not self.stale and not self.asks_date_order() and any(
            pr.severity == "error" or pr.value for pr in p.problems)  # fmt: skip

    async def accept_problems(self) -> PreviewAnswer:
        """Leave every bad value out and skip the rows that cannot be imported (no name, a repeat), then check again."""
        p = self.preview
        if p is None:
            raise ValueError("Check the file first.")
        self.bad_values = "leave_out"
        self.skips |= {pr.row for pr in p.problems if pr.severity == "error" and pr.code not in _VALUE_CODES}
        answer = await self.check()
        if answer.ready:
            return answer
        # What was an error only because bad values stopped the import is a warning now; anything left is skipped.
        self.skips |= {pr.row for pr in answer.problems if pr.severity == "error"}
        return await self.check()

    # --- classes the file names that are not set up ----------------------------------------
    @property
    def may_create_classes(self) -> bool:
        """The one click: the classes whose day and time the file gives are made by the import."""
        p = self.preview
        return p is not None and not self.stale and any(m.times for m in p.missing_classes)

    async def create_missing_classes(self) -> PreviewAnswer:
        """Ask the import to make them first (through the server's set-up code), then check again."""
        p = self.preview
        if p is None:
            raise ValueError("Check the file first.")
        self.create_classes.update({m.file_name: m.times for m in p.missing_classes if m.times})
        return await self.check()

    def classes_words(self) -> str:
        p = self.preview
        if p is None:
            return ""
        lines = []
        if self.create_classes:
            made = ", ".join(f"{name} ({times})" for name, times in self.create_classes.items())
            lines.append(f"The import sets up {plural(len(self.create_classes), 'class', 'classes')} first: {made}.")
        if p.missing_classes:
            listed = ", ".join(m.name + (f" ({m.times.rsplit(' ', 1)[0]})" if m.times else "") for m in p.missing_classes[:6])
            more = f" and {len(p.missing_classes) - 6} more" if len(p.missing_classes) > 6 else ""
            lines.append(f"{plural(len(p.missing_classes), 'class', 'classes')} in the file {'is' if len(p.missing_classes) == 1 else 'are'} "
                         f"not set up: {listed}{more}. Students are imported without them.")  # fmt: skip
            if any(m.times for m in p.missing_classes):
                lines.append("“Set up the missing classes” makes those whose day and time the file gives (60 minutes each).")
            if any(not m.times for m in p.missing_classes):
                lines.append("Set the others up in Set-up (F10) under the same name, then check again.")
        return "\n".join(lines)

    def asks_date_order(self) -> bool:
        return self.preview is not None and "date_order" in self.preview.questions

    def summary(self) -> str:
        p = self.preview
        if p is None:
            return ""
        c = p.counts
        lines = [
            f"{plural(c.rows, 'row')}: {plural(c.families_new, 'new family', 'new families')}, "
            f"{plural(c.guardians_new, 'new guardian')}, {plural(c.students_new, 'new student')}.",
            f"Already on file (matched, not added again): {plural(c.families_matched, 'family', 'families')}, "
            f"{plural(c.guardians_matched, 'guardian')}, {plural(c.students_matched, 'student')}.",
        ]
        extra = [plural(c.enrollments_new, "enrollment"), plural(c.notes_new, "medical note"), plural(c.balances_new, "opening balance")]
        lines.append("Also " + ", ".join(extra) + (f" ({money(c.balance_due_cents)} owed, {money(c.balance_credit_cents)} credit)."
                                                    if c.balances_new else "."))  # fmt: skip
        if p.people_list:
            lines.append("Read as a list of people: children are joined to the parent or household their row names; "
                         "adults are guardians.")  # fmt: skip
        if c.balances_new or p.money_reads == "credit":
            how = "credits the business owes" if p.money_reads == "credit" else "money the family owes"
            per = "each person's own, added up per family" if p.balance_per == "person" else "one per family"
            lines.append(f"Balances are read as {how}, {per}. Change it below if that is wrong.")
        left_out = sum(1 for pr in p.problems if pr.value and pr.severity == "warning")
        if left_out:
            lines.append(f"{plural(left_out, 'value')} cannot be read and will be left out (the rows are imported "
                         "without them); type over one below to fix it.")  # fmt: skip
        if self.classes_words():
            lines.append(self.classes_words())
        if c.rows_skipped:
            lines.append(f"{plural(c.rows_skipped, 'row')} left out.")
        if c.rows_with_errors:
            lines.append(f"{plural(c.rows_with_errors, 'row')} {'has' if c.rows_with_errors == 1 else 'have'} a problem: "
                         "fix the value or tick Skip, then check again.")  # fmt: skip
        elif self.asks_date_order():
            lines.append("Say how the birth dates are written (month first or day first), then check again.")
        elif p.ready:
            lines.append("Ready to import." if self._anything_new(c) else "Nothing new to import: everything in this file is already on file.")
        return "\n".join(lines)

    @staticmethod
    def _anything_new(c) -> bool:  # noqa: ANN001
        return any((c.families_new, c.guardians_new, c.students_new, c.enrollments_new, c.notes_new, c.balances_new))

    def problem_lines(self) -> list[ProblemLine]:
        p, up = self.preview, self.upload
        if p is None or up is None:
            return []
        lines = [self._line(pr) for pr in p.problems]
        shown = {pr.row for pr in p.problems}
        lines += [ProblemLine(r, None, "", "Skipped: this row is left out.", "", False, True, None) for r in sorted(self.skips - shown)]
        return sorted(lines, key=lambda line: (line.row, not line.error))

    def _line(self, pr: ImportProblem) -> ProblemLine:
        column = self.mapping.get(pr.field or "", "")
        fixed = self.fixes.get(pr.row, {}).get(pr.field or "")
        return ProblemLine(pr.row, pr.field, column, pr.message, pr.value, pr.severity == "error", pr.row in self.skips, fixed)

    def more_problems(self) -> int:
        return 0 if self.preview is None else self.preview.problems_total - len(self.preview.problems)

    def skip(self, row: int, skipped: bool = True) -> None:
        if skipped:
            self.skips.add(row)
        else:
            self.skips.discard(row)
        self.stale = True

    def fix(self, row: int, field: str, value: str) -> None:
        self.fixes.setdefault(row, {})[field] = value
        self.stale = True

    # --- the import ---------------------------------------------------------------------------
    async def run(self, progress: Progress | None = None) -> JobStatus:
        """Start the job and follow it to its end; cancel() asks the server to stop it (nothing is then written)."""
        if not self.may_import or self.upload is None:
            raise ValueError("Check the file first; every problem must be fixed or skipped.")
        self._cancel = self.cancel_sent = False
        job = self.job = await self.api.commit(self.upload.upload_id, self.options())
        while job.state == "running":
            if progress is not None:
                progress(job.phase, job.done, job.total)
            await asyncio.sleep(POLL_S)
            if self._cancel and not self.cancel_sent:
                job = self.job = await self.api.cancel(job.job_id)
                self.cancel_sent = True  # the server rolls back; the loop waits for it to say so
                continue
            job = self.job = await self.api.job(job.job_id)
        if job.state == "done":
            self.stale = True  # a second run would match everything now: check again first
        return job

    def cancel(self) -> None:
        self._cancel = True

    # --- export -------------------------------------------------------------------------------
    async def export(self, fmt: ExportFormat, path: Path) -> Path:
        data = await self.api.export(fmt)
        await asyncio.to_thread(Path(path).write_bytes, data)
        return Path(path)

    @staticmethod
    def export_name(fmt: ExportFormat) -> str:
        return f"frontdesk-export-{fmt}.zip"
