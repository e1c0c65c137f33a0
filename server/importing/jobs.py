"""The import job: all of it or none of it, with progress and cancel seen by every server process.

One job per account at a time, on a thread of the process whose request started it, so that
request answers at once and the desk polls its progress, through any process behind the proxy:
the job's state is a registry row (server.importing.job_rows) its process writes, and the file
it imports was kept in the account's database (server.importing.stored).

The job plans on a read snapshot, then opens one write transaction: if the account changed since
the snapshot it plans again inside it, so the rows written always match the account they land
in. Every record gets a change number (desks pull them); the audit entry names the file and its
sha256 and keeps the mapping for the next file with these columns. Cancel (asked through any
process), a row with a problem, or any failure rolls everything back; so does the death of the
process, whose job then reads as failed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from server.account_db import AccountDatabase, AuditEvent, audit, current_usn
from server.importing import job_rows
from server.importing.existing import load_existing
from server.importing.fields import clean_mapping, headers_key
from server.importing.first_setup import NEW_LOCATION, alias, make_first
from server.importing.job_rows import STOPPED, TICK_S, Busy, ImportJobRow, JobRows, Progress
from server.importing.plan import Cancelled
from server.importing.preview import Upload, open_table, plan_for, who_for
from server.importing.reading import FileProblem
from server.importing.stored import MAX_UPLOADS_PER_ACCOUNT, UPLOAD_TTL_S, keep_upload, load_upload, new_upload
from server.importing.writing import write_plan
from server.registry import Registry
from sync.core.clock import Clock, SystemClock
from sync.core.ids import new_id
from sync.core.wire_imports import ImportCounts, ImportOptions, JobStatus

__all__ = ["Busy", "ImportJobs", "MAX_UPLOADS_PER_ACCOUNT", "UPLOAD_TTL_S", "new_upload"]
log = logging.getLogger("frontdesk.server.imports")
FAILED = "The import stopped on an unexpected error; nothing was written. Try again, and tell support if it happens again."


@dataclass
class Job:
    """A job running on this process: what its thread has got to, written to its row by the watcher."""

    id: str
    account_id: str
    upload: Upload
    staff_id: str
    desk_id: str
    asked: Callable[[], bool]  # whether cancel was asked through any process (reads the row)
    clock: Clock = field(default_factory=SystemClock)
    state: str = "running"
    phase: str = "Starting"
    done: int = 0
    total: int = 0
    message: str = ""
    counts: ImportCounts | None = None
    cancel: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None
    written: Progress | None = None  # what its row says
    beaten: float = 0.0  # time.monotonic() of its row's last write
    polled: float = 0.0  # time.monotonic() of the last look at its row's cancel flag
    lock: threading.Lock = field(default_factory=threading.Lock)

    def status(self) -> JobStatus:
        with self.lock:
            return JobStatus(job_id=self.id, upload_id=self.upload.id, file_name=self.upload.file_name, state=self.state,  # type: ignore[arg-type]
                             phase=self.phase, done=self.done, total=self.total, message=self.message,
                             counts=self.counts.model_copy() if self.counts else None)  # fmt: skip

    def progressed(self, phase: str, done: int, total: int) -> None:
        with self.lock:
            self.phase, self.done, self.total = phase, done, total

    def ended(self, state: str, message: str, counts: ImportCounts | None = None) -> None:
        with self.lock:
            self.counts, self.message, self.state = counts, message, state

    def cancelled(self, *, now: bool = False) -> bool:
        """Cancel asked here, or through another process (its row read at most every TICK_S, or `now`)."""
        if self.cancel.is_set():
            return True
        t = time.monotonic()
        if now or t - self.polled >= TICK_S:
            self.polled = t
            try:
                if self.asked():
                    self.cancel.set()
            except Exception:  # the registry unreachable a moment: the import goes on
                log.warning("could not read the cancel flag of import job %s", self.id, exc_info=True)
        return self.cancel.is_set()


def _status_of(row: ImportJobRow) -> JobStatus:
    return JobStatus(job_id=row.id, upload_id=row.upload_id, file_name=row.file_name, state=row.state,  # type: ignore[arg-type]
                     phase=row.phase, done=row.done, total=row.total, message=row.message,
                     counts=ImportCounts(**row.counts) if row.counts else None)  # fmt: skip


class ImportJobs:
    """This process's side of imports: files kept in the account's database, jobs in registry rows,
    and the jobs running here, whose rows a watcher thread keeps up to date (heartbeat included)."""

    def __init__(self, registry: Registry, clock: Clock | None = None) -> None:
        self.clock: Clock = clock or SystemClock()  # the business date of imports (ages, opening balances); tests pin it
        self.rows = JobRows(registry)
        self._local: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._watcher: threading.Thread | None = None

    # --- uploads ---------------------------------------------------------------------------
    def keep(self, adb: AccountDatabase, upload: Upload) -> Upload:
        """Keep a file that could be read, for its preview and commit (the oldest of the account's go first)."""
        return keep_upload(adb, upload, in_use=self.rows.running_uploads(upload.account_id))

    def upload(self, adb: AccountDatabase, account_id: str, upload_id: str) -> Upload | None:
        return load_upload(adb, account_id, upload_id)

    # --- jobs ----------------------------------------------------------------------------------
    def start(self, adb: AccountDatabase, upload: Upload, options: ImportOptions, *, staff_id: str, desk_id: str,
              on_committed: Callable[[], None] = lambda: None) -> JobStatus:  # fmt: skip
        """Busy when another import of the account runs, on whichever process."""
        account_id, job_id = upload.account_id, new_id()
        self.reap(adb, account_id)
        job = Job(id=job_id, account_id=account_id, upload=upload, staff_id=staff_id, desk_id=desk_id, clock=self.clock,
                  asked=lambda: self.rows.cancel_asked(account_id, job_id))  # fmt: skip
        self.rows.start(account_id=account_id, job_id=job_id, upload_id=upload.id, file_name=upload.file_name,
                        sha256=upload.sha256, staff_id=staff_id, desk_id=desk_id, phase=job.phase)  # fmt: skip
        job.written, job.beaten = Progress(job.phase, 0, 0), time.monotonic()
        with self._lock:
            self._local[job.id] = job
            if self._watcher is None:
                self._watcher = threading.Thread(target=self._watch, name="import-rows", daemon=True)
                self._watcher.start()
        job.thread = threading.Thread(target=_run, args=(job, adb, options, on_committed, self._wake.set),
                                      name=f"import-{job.id[:8]}", daemon=True)  # fmt: skip
        job.thread.start()
        return job.status()

    def status(self, adb: AccountDatabase, account_id: str, job_id: str) -> JobStatus | None:
        with self._lock:
            job = self._local.get(job_id)
        if job is not None and job.account_id == account_id:
            return job.status()  # fresher than its row
        row = self.rows.get(account_id, job_id)
        if row is not None and self.rows.is_stale(row):
            self.reap(adb, account_id)
            row = self.rows.get(account_id, job_id)
        return _status_of(row) if row is not None else None

    def cancel(self, adb: AccountDatabase, account_id: str, job_id: str) -> JobStatus | None:
        """Ask a running job to stop, wherever it runs; its thread sees it within TICK_S."""
        status = self.status(adb, account_id, job_id)
        if status is None or status.state != "running":
            return status
        self.rows.ask_cancel(account_id, job_id)
        with self._lock:
            job = self._local.get(job_id)
        if job is not None:
            job.cancel.set()
        return self.status(adb, account_id, job_id)

    def reap(self, adb: AccountDatabase, account_id: str) -> None:
        """End the account's jobs whose process died: failed, since their transaction died with it,
        unless the audit log shows it committed just before (then done, as it was)."""
        for row in self.rows.stale(account_id):
            detail = _committed(adb, row.id)
            progress = Progress(row.phase, row.done, row.total)
            if detail is not None and isinstance(detail.get("counts"), dict):
                counts = ImportCounts(**detail["counts"])
                self.rows.end(account_id, row.id, state="done", message=_done_words(counts), progress=progress,
                              counts=counts.model_dump(), only_if_stale=True)  # fmt: skip
            elif self.rows.end(account_id, row.id, state="failed", message=STOPPED, progress=progress, counts=None,
                               only_if_stale=True):  # fmt: skip
                log.warning("import job %s of %s was running on %s, which stopped", row.id, row.file_name, row.runner)
                _audit_apart(adb, "import.failed", row.staff_id, row.desk_id, row.id, {
                    "file_name": row.file_name, "sha256": row.sha256, "job_id": row.id, "reason": "server stopped"})  # fmt: skip

    def close(self, timeout: float = 10.0) -> None:
        """Server shutdown: running jobs are cancelled (they roll back) and waited for, and their rows written."""
        with self._lock:
            jobs = list(self._local.values())
        for job in jobs:
            job.cancel.set()
        for job in jobs:
            if job.thread is not None:
                job.thread.join(timeout)
        for job in jobs:
            self._write(job)

    # --- the watcher: this process's running jobs, written to their rows ---------------------------
    def _watch(self) -> None:
        while True:
            self._wake.wait(TICK_S)
            self._wake.clear()
            with self._lock:
                jobs = list(self._local.values())
                if not jobs:
                    self._watcher = None
                    return
            for job in jobs:
                self._write(job)

    def _write(self, job: Job) -> None:
        with job.lock:
            state, message, progress = job.state, job.message, Progress(job.phase, job.done, job.total)
            counts = job.counts.model_dump() if job.counts else None
        try:
            if state != "running":
                self.rows.end(job.account_id, job.id, state=state, message=message, progress=progress, counts=counts)
                with self._lock:
                    self._local.pop(job.id, None)
                return
            if progress == job.written and time.monotonic() - job.beaten < job_rows.HEARTBEAT_S:
                return
            asked = self.rows.beat(job.account_id, job.id, progress)
            job.written, job.beaten = progress, time.monotonic()
            if asked is None:  # declared dead by another process (this one stalled): stop, as it was told
                log.warning("import job %s: its row no longer says running; cancelling it", job.id)
            if asked is None or asked:
                job.cancel.set()
        except Exception:  # the registry unreachable a moment: tried again next tick
            log.warning("could not write the row of import job %s", job.id, exc_info=True)


def _committed(adb: AccountDatabase, job_id: str) -> dict[str, Any] | None:
    """The audit detail of the job's commit, if it committed."""
    with adb.read_session() as db:
        return db.execute(select(AuditEvent.detail).where(AuditEvent.action == "import.committed",
                                                          AuditEvent.record_type == "import",
                                                          AuditEvent.record_id == job_id)).scalar()  # fmt: skip


def _run(job: Job, adb: AccountDatabase, options: ImportOptions, on_committed: Callable[[], None],
         wake: Callable[[], None]) -> None:  # fmt: skip
    upload, staff_id, desk_id = job.upload, job.staff_id, job.desk_id
    cancelled = job.cancelled
    detail: dict = {"file_name": upload.file_name, "sha256": upload.sha256, "size": len(upload.data), "job_id": job.id}
    try:
        job.progressed("Reading the file", 0, 1)
        table = open_table(upload, options)
        mapping = clean_mapping(options.mapping, table.headers)
        detail.update(headers_key=headers_key(table.headers), mapping=mapping, rows=len(table.rows),
                      skipped_rows=sorted(options.skips)[:1000], fixed_rows=sorted(options.fixes)[:1000])  # fmt: skip
        with adb.read_session() as db:  # plan on a snapshot: the write lock is held only while writing
            seen_usn = current_usn(db)
            ex = load_existing(db)
        who = who_for(ex, options, staff_id, desk_id, upload.file_name, job.clock)
        plan, read = plan_for(table, ex, who, options, progress=job.progressed, cancelled=cancelled)
        _refuse(plan, read.questions)
        with adb.write_session() as db:
            asked_first = options.new_location is not None or bool(options.create_classes)
            if asked_first or current_usn(db) != seen_usn:  # someone wrote meanwhile: plan again on what is there now
                job.progressed("Matching again: the account changed" if not asked_first else "Setting up classes", 0, 1)
                ex = load_existing(db)
                made = make_first(db, ex, options, who.location_id if who.location_id != NEW_LOCATION else None, job.clock)
                ex = load_existing(db)  # with the location and classes just made
                alias(ex, made)
                who = who_for(ex, options, staff_id, desk_id, upload.file_name, job.clock)
                plan, read = plan_for(table, ex, who, options, progress=job.progressed, cancelled=cancelled)
                _refuse(plan, read.questions)
            usns = write_plan(db, plan, progress=job.progressed, cancelled=cancelled)
            if job.cancelled(now=True):  # a cancel asked through any process before this point is honoured
                raise Cancelled()
            detail.update(counts=plan.counts.model_dump(), usns=list(usns) if usns else None, location_id=who.location_id)
            audit(db, "import.committed", staff_id=staff_id, desk_id=desk_id, record_type="import", record_id=job.id, **detail)
            job.progressed("Saving", job.total, job.total)
            db.commit()
        job.ended("done", _done_words(plan.counts), plan.counts)
        on_committed()
    except Cancelled:
        _audit_apart(adb, "import.cancelled", staff_id, desk_id, job.id, detail)
        job.ended("cancelled", "The import was cancelled; nothing was written.")
    except FileProblem as problem:
        _audit_apart(adb, "import.failed", staff_id, desk_id, job.id, {**detail, "reason": problem.message})
        job.ended("failed", problem.message)
    except Exception:
        log.exception("import job %s of %s failed", job.id, upload.file_name)
        _audit_apart(adb, "import.failed", staff_id, desk_id, job.id, {**detail, "reason": "unexpected error"})
        job.ended("failed", FAILED)
    finally:
        if job.state == "running":  # BaseException: never leave the row running while this process lives
            job.ended("failed", FAILED)
        wake()  # its row says how it ended now


def _refuse(plan, questions: list[str]) -> None:  # noqa: ANN001 - plan.Plan
    if "date_order" in questions:
        raise FileProblem("Say how the birth dates are written (month first or day first), then import.")
    if "location" in questions:
        raise FileProblem("The file has opening balances and the account has no location yet: say which location "
                          "to make first, then import; nothing was written.")  # fmt: skip
    bad = plan.error_rows
    if bad:
        shown = ", ".join(map(str, bad[:8])) + ("…" if len(bad) > 8 else "")
        raise FileProblem(f"{len(bad)} row{'s' if len(bad) != 1 else ''} still {'have' if len(bad) != 1 else 'has'} "
                          f"a problem (row {shown}). Fix or skip {'them' if len(bad) != 1 else 'it'}, then import; nothing was written.")  # fmt: skip


def _audit_apart(adb: AccountDatabase, action: str, staff_id: str, desk_id: str, job_id: str, detail: dict) -> None:
    """An import that wrote nothing is still worth knowing of; in its own small transaction."""
    try:
        with adb.write_session() as db:
            audit(db, action, staff_id=staff_id, desk_id=desk_id, record_type="import", record_id=job_id, **detail)
            db.commit()
    except Exception:  # the database itself may be why the job failed
        log.exception("could not audit %s of import job %s", action, job_id)


def _done_words(c: ImportCounts) -> str:
    made = [f"{n} {word}{'' if n == 1 else 's'}" for n, word in ((c.families_new, "new family"), (c.guardians_new, "new guardian"),
            (c.students_new, "new student"), (c.enrollments_new, "enrollment"), (c.notes_new, "medical note"),
            (c.balances_new, "opening balance")) if n]  # fmt: skip
    made = [m.replace("new familys", "new families") for m in made]
    if not made:
        return "Nothing new: everything in this file is already on file."
    return "Imported " + ", ".join(made) + "."
