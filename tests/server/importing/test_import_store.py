"""Where imports are kept between requests: files in the account's database, job rows in the
registry; on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from contextlib import ExitStack

import pytest
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from server.account_db import AccountDatabase
from server.importing import stored
from server.importing.job_rows import STALE_S, STOPPED, Busy, ImportJobRow, JobRows, Progress
from server.registry import Registry
from tests.helpers.postgres import temporary_database


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path):
    """Makes empty databases of one dialect; returns their URLs."""
    with ExitStack() as stack:
        n = iter(range(100))

        def make() -> str:
            if request.param == "sqlite":
                return f"sqlite:///{tmp_path / f'db{next(n)}.sqlite'}"
            return stack.enter_context(temporary_database())

        yield make


@pytest.fixture
def adb(url):
    db = AccountDatabase(url(), create=True)
    yield db
    db.close()


@pytest.fixture
def registry(url, tmp_path):
    reg = Registry(tmp_path, url=url())
    yield reg
    reg.close()


def _age(adb: AccountDatabase, upload_id: str, seconds: float) -> None:
    t = stored.ImportUpload.__table__
    with adb.write_session() as db:
        at = db.execute(select(t.c.created_at).where(t.c.id == upload_id)).scalar_one()
        db.execute(update(t).where(t.c.id == upload_id).values(created_at=at - dt.timedelta(seconds=seconds)))
        db.commit()


def test_a_kept_file_comes_back_byte_for_byte(adb):
    data = bytes(range(256)) * 1000  # not text: an XLSX is a ZIP
    up = stored.keep_upload(adb, stored.new_upload("acct", "staff-1", "roster.xlsx", data))
    back = stored.load_upload(adb, "acct", up.id)
    assert back is not None and back.data == data and (back.file_name, back.staff_id, back.sha256) == ("roster.xlsx", "staff-1", up.sha256)
    assert stored.load_upload(adb, "acct", "no-such-file") is None


def test_the_oldest_files_go_first_but_never_one_a_running_import_reads(adb):
    ups = []
    for i in range(stored.MAX_UPLOADS_PER_ACCOUNT):
        ups.append(stored.keep_upload(adb, stored.new_upload("acct", "s", f"f{i}.csv", b"a,b\n1,2\n")))
        _age(adb, ups[-1].id, 100 - i)  # each older than the next
    newer = stored.keep_upload(adb, stored.new_upload("acct", "s", "new.csv", b"a,b\n"), in_use={ups[0].id})
    kept = {u.id for u in ups + [newer] if stored.load_upload(adb, "acct", u.id) is not None}
    assert kept == {u.id for u in ups + [newer]} - {ups[1].id}  # the oldest is read by an import: the next one went


def test_files_expire_after_a_few_hours(adb):
    old = stored.keep_upload(adb, stored.new_upload("acct", "s", "old.csv", b"a\n"))
    _age(adb, old.id, stored.UPLOAD_TTL_S + 1)
    assert stored.load_upload(adb, "acct", old.id) is None  # gone for the desk at once
    stored.keep_upload(adb, stored.new_upload("acct", "s", "new.csv", b"a\n"))
    with adb.read_session() as db:
        assert db.get(stored.ImportUpload, old.id) is None  # and deleted with the next file kept


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def _start(rows: JobRows, job_id: str, account: str = "acct") -> None:
    rows.start(account_id=account, job_id=job_id, upload_id="u1", file_name="f.csv", sha256="0" * 64, staff_id="s",
               desk_id="d", phase="Starting")  # fmt: skip


def test_one_running_job_per_account_and_a_silent_one_stops_counting(registry):
    clock = Clock()
    rows = JobRows(registry, clock=clock)
    _start(rows, "j1")
    with pytest.raises(Busy):
        _start(rows, "j2")
    _start(rows, "k1", account="other")  # another account is not held up
    assert rows.running_uploads("acct") == {"u1"}
    clock.now += STALE_S - 1
    assert rows.beat("acct", "j1", Progress("Matching", 5, 10)) is False and rows.stale("acct") == []
    clock.now += STALE_S + 1
    assert [r.id for r in rows.stale("acct")] == ["j1"] and rows.running_uploads("acct") == set()
    assert rows.end("acct", "j1", state="failed", message=STOPPED, progress=Progress("Matching", 5, 10), counts=None, only_if_stale=True)
    assert not rows.end("acct", "j1", state="failed", message=STOPPED, progress=Progress("x", 0, 0), counts=None, only_if_stale=True)
    assert rows.beat("acct", "j1", Progress("Writing", 1, 2)) is None  # its process, if alive, learns it was given up
    row = rows.get("acct", "j1")
    assert (row.state, row.message, row.phase, row.done) == ("failed", STOPPED, "Matching", 5)
    _start(rows, "j2")  # the account may import again


def test_cancel_is_asked_through_the_row(registry):
    rows = JobRows(registry)
    _start(rows, "j1")
    assert not rows.cancel_asked("acct", "j1")
    JobRows(registry).ask_cancel("acct", "j1")  # another process
    assert rows.cancel_asked("acct", "j1") and rows.beat("acct", "j1", Progress("Writing", 1, 2)) is True


def test_the_database_itself_refuses_two_running_jobs_of_an_account(registry):
    """What makes the start atomic on PostgreSQL, where two processes may both find no running job."""
    rows = JobRows(registry)
    _start(rows, "j1")
    with pytest.raises(IntegrityError), Session(registry.writer) as db:
        db.execute(insert(ImportJobRow.__table__).values(account_id="acct", id="j2", upload_id="u", file_name="f", sha256="",
                                                         staff_id="s", desk_id="d", runner="r", state="running", phase="",
                                                         done=0, total=0, message="", cancel_requested=False, heartbeat=0.0,
                                                         started_at=dt.datetime(2026, 1, 1)))  # fmt: skip
        db.commit()
