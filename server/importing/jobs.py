"""Uploads kept between preview and commit, and the import job: all of it or none of it.

One job per account at a time, on its own thread, so the request that starts it answers at once
and the desk polls its progress. The job plans on a read snapshot, then opens one write
transaction: if the account changed since the snapshot it plans again inside it, so the rows
written always match the account they land in. Every record gets a change number (desks pull
them); the audit entry names the file and its sha256 and keeps the mapping for the next file
with these columns. Cancel, a row with a problem, or any failure rolls everything back.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from server.account_db import AccountDatabase, audit, current_usn
from server.importing.existing import load_existing
from server.importing.fields import clean_mapping, headers_key
from server.importing.plan import Cancelled, Counts
from server.importing.preview import Upload, open_table, plan_for, who_for
from server.importing.reading import FileProblem
from server.importing.writing import write_plan
from sync.ids import new_id
from sync.wire_imports import ImportCounts, ImportOptions, JobStatus

log = logging.getLogger("frontdesk.server.imports")
UPLOAD_TTL_S = 3 * 3600
MAX_UPLOADS_PER_ACCOUNT = 5
FAILED = "The import stopped on an unexpected error; nothing was written. Try again, and tell support if it happens again."


def new_upload(account_id: str, staff_id: str, file_name: str, data: bytes) -> Upload:
    return Upload(id=new_id(), account_id=account_id, staff_id=staff_id, file_name=file_name, data=data,
                  sha256=hashlib.sha256(data).hexdigest(), created=time.monotonic())  # fmt: skip


class Busy(Exception):
    """Another import of this account is running."""


@dataclass
class Job:
    id: str
    account_id: str
    upload: Upload
    state: str = "running"
    phase: str = "Starting"
    done: int = 0
    total: int = 0
    message: str = ""
    counts: Counts | None = None
    cancel: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None

    def status(self) -> JobStatus:
        return JobStatus(job_id=self.id, upload_id=self.upload.id, file_name=self.upload.file_name, state=self.state,  # type: ignore[arg-type]
                         phase=self.phase, done=self.done, total=self.total, message=self.message,
                         counts=ImportCounts(**asdict(self.counts)) if self.counts else None)  # fmt: skip

    def progressed(self, phase: str, done: int, total: int) -> None:
        self.phase, self.done, self.total = phase, done, total


class ImportJobs:
    """What one server process holds of imports: uploads in memory (for a few hours) and jobs."""

    def __init__(self) -> None:
        self._uploads: dict[str, Upload] = {}
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    # --- uploads ---------------------------------------------------------------------------
    def keep(self, upload: Upload) -> Upload:
        """Keep a file that could be read, for its preview and commit (the oldest of the account's go first)."""
        account_id = upload.account_id
        with self._lock:
            self._expire()
            mine = sorted((u for u in self._uploads.values() if u.account_id == account_id), key=lambda u: u.created)
            for old in mine[: max(0, len(mine) - MAX_UPLOADS_PER_ACCOUNT + 1)]:
                if not any(j.upload is old and j.state == "running" for j in self._jobs.values()):
                    del self._uploads[old.id]
            self._uploads[upload.id] = upload
        return upload

    def upload(self, account_id: str, upload_id: str) -> Upload | None:
        with self._lock:
            upload = self._uploads.get(upload_id)
        return upload if upload is not None and upload.account_id == account_id else None

    def _expire(self) -> None:
        now = time.monotonic()
        for uid, u in list(self._uploads.items()):
            if now - u.created > UPLOAD_TTL_S:
                del self._uploads[uid]

    # --- jobs ----------------------------------------------------------------------------------
    def start(self, adb: AccountDatabase, upload: Upload, options: ImportOptions, *, staff_id: str, desk_id: str,
              on_committed: Callable[[], None] = lambda: None) -> Job:  # fmt: skip
        with self._lock:
            if any(j.account_id == upload.account_id and j.state == "running" for j in self._jobs.values()):
                raise Busy()
            job = Job(id=new_id(), account_id=upload.account_id, upload=upload)
            self._jobs[job.id] = job
        job.thread = threading.Thread(target=_run, args=(job, adb, options, staff_id, desk_id, on_committed),
                                      name=f"import-{job.id[:8]}", daemon=True)  # fmt: skip
        job.thread.start()
        return job

    def job(self, account_id: str, job_id: str) -> Job | None:
        with self._lock:
            job = self._jobs.get(job_id)
        return job if job is not None and job.account_id == account_id else None

    def close(self, timeout: float = 10.0) -> None:
        """Server shutdown: running jobs are cancelled (they roll back) and waited for."""
        with self._lock:
            jobs = list(self._jobs.values())
        for job in jobs:
            job.cancel.set()
        for job in jobs:
            if job.thread is not None:
                job.thread.join(timeout)


def _run(job: Job, adb: AccountDatabase, options: ImportOptions, staff_id: str, desk_id: str,
         on_committed: Callable[[], None]) -> None:  # fmt: skip
    upload = job.upload
    cancelled = job.cancel.is_set
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
        who = who_for(ex, options, staff_id, desk_id, upload.file_name)
        plan, _order, questions = plan_for(table, ex, who, options, progress=job.progressed, cancelled=cancelled)
        _refuse(plan, questions)
        with adb.write_session() as db:
            if current_usn(db) != seen_usn:  # someone wrote meanwhile: plan again on what is there now
                job.progressed("Matching again: the account changed", 0, 1)
                ex = load_existing(db)
                plan, _order, questions = plan_for(table, ex, who, options, progress=job.progressed, cancelled=cancelled)
                _refuse(plan, questions)
            usns = write_plan(db, plan, progress=job.progressed, cancelled=cancelled)
            if cancelled():
                raise Cancelled()
            detail.update(counts=asdict(plan.counts), usns=list(usns) if usns else None, location_id=who.location_id)
            audit(db, "import.committed", staff_id=staff_id, desk_id=desk_id, record_type="import", record_id=job.id, **detail)
            job.progressed("Saving", job.total, job.total)
            db.commit()
        job.counts, job.state = plan.counts, "done"
        job.message = _done_words(plan.counts)
        on_committed()
    except Cancelled:
        job.state, job.message = "cancelled", "The import was cancelled; nothing was written."
        _audit_apart(adb, "import.cancelled", staff_id, desk_id, job, detail)
    except FileProblem as problem:
        job.state, job.message = "failed", problem.message
        _audit_apart(adb, "import.failed", staff_id, desk_id, job, {**detail, "reason": problem.message})
    except Exception:
        log.exception("import job %s of %s failed", job.id, upload.file_name)
        job.state, job.message = "failed", FAILED
        _audit_apart(adb, "import.failed", staff_id, desk_id, job, {**detail, "reason": "unexpected error"})


def _refuse(plan, questions: list[str]) -> None:  # noqa: ANN001 - plan.Plan
    if questions:
        raise FileProblem("Say how the birth dates are written (month first or day first), then import.")
    bad = plan.error_rows
    if bad:
        shown = ", ".join(map(str, bad[:8])) + ("…" if len(bad) > 8 else "")
        raise FileProblem(f"{len(bad)} row{'s' if len(bad) != 1 else ''} still {'have' if len(bad) != 1 else 'has'} "
                          f"a problem (row {shown}). Fix or skip {'them' if len(bad) != 1 else 'it'}, then import; nothing was written.")  # fmt: skip


def _audit_apart(adb: AccountDatabase, action: str, staff_id: str, desk_id: str, job: Job, detail: dict) -> None:
    """An import that wrote nothing is still worth knowing of; in its own small transaction."""
    try:
        with adb.write_session() as db:
            audit(db, action, staff_id=staff_id, desk_id=desk_id, record_type="import", record_id=job.id, **detail)
            db.commit()
    except Exception:  # the database itself may be why the job failed
        log.exception("could not audit %s of import job %s", action, job.id)


def _done_words(c: Counts) -> str:
    made = [f"{n} {word}{'' if n == 1 else 's'}" for n, word in ((c.families_new, "new family"), (c.guardians_new, "new guardian"),
            (c.students_new, "new student"), (c.enrollments_new, "enrollment"), (c.notes_new, "medical note"),
            (c.balances_new, "opening balance")) if n]  # fmt: skip
    made = [m.replace("new familys", "new families") for m in made]
    if not made:
        return "Nothing new: everything in this file is already on file."
    return "Imported " + ", ".join(made) + "."
