"""Importing through two server processes on one data dir, as behind nginx: a file sent to one is
previewed and imported through the other, progress and cancel go through either, a restart keeps
the file, and a job whose process was killed reads as failed and no longer blocks the account."""

from __future__ import annotations

import sqlite3
import time
from contextlib import contextmanager

import httpx
import pytest

from server import admin
from server.importing.job_rows import STALE_S, STOPPED
from tests.fixtures import imports as fx
from tests.helpers.server_process import ServerProcess, account_db_path, make_account
from tests.server.api import count, query
from tests.server.importing.api import MANAGER_PASSWORD, commit, preview, upload, wait_job

TABLES = ("family", "contact", "student", "alert", "ledger_entry")


@pytest.fixture(params=["sqlite", "postgresql"])
def registry_env(request, monkeypatch):
    """The registry every process and admin command uses: the data dir's SQLite file, or PostgreSQL."""
    if request.param == "sqlite":
        yield {}
        return
    from tests.helpers.postgres import temporary_database

    with temporary_database() as url:
        monkeypatch.setenv("FRONTDESK_REGISTRY_URL", url)
        yield {"FRONTDESK_REGISTRY_URL": url}


def _data_dir(tmp_path):
    make_account(tmp_path, families=5)
    admin.add_staff(tmp_path, "acme", "mia", MANAGER_PASSWORD, group="manager")
    return tmp_path


@contextmanager
def _clients(*servers: ServerProcess):
    clients = [httpx.Client(base_url=s.url, timeout=30) for s in servers]
    try:
        yield clients
    finally:
        for c in clients:
            c.close()


def _mia(client: httpx.Client) -> dict:
    from tests.server.api import login

    return login(client, username="mia", password=MANAGER_PASSWORD)


def _counts(db_path) -> dict[str, int]:
    return {t: count(db_path, t) for t in TABLES}


def _audits(db_path, action: str) -> int:
    return query(db_path, "SELECT count(*) FROM audit_event WHERE action = ?", action)[0][0]


def _wait_phase(client: httpx.Client, mgr: dict, job_id: str, prefix: str, timeout: float = 40.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = client.get(f"/v1/imports/jobs/{job_id}", headers=mgr["headers"]).json()
        assert status["state"] == "running", status
        if status["phase"].startswith(prefix):
            return status
        time.sleep(0.05)
    raise AssertionError(f"the import job did not reach {prefix!r}")


def _account_file(data_dir):
    """The account's SQLite file, wherever the registry is ($FRONTDESK_REGISTRY_URL or the data dir)."""
    from server.registry import Registry

    registry = Registry(data_dir)
    try:
        return data_dir / registry.account_by_slug("acme").db_location
    finally:
        registry.close()


def test_a_file_sent_to_one_process_is_previewed_and_imported_through_the_other(tmp_path, registry_env):
    data_dir = _data_dir(tmp_path)
    db_path = _account_file(data_dir)
    before = _counts(db_path)
    with ServerProcess(data_dir, env=registry_env) as a, ServerProcess(data_dir, env=registry_env) as b, _clients(a, b) as (ca, cb):
        mgr = _mia(ca)
        r = upload(ca, mgr, "clean.csv", fx.clean_csv())
        assert r.status_code == 201, r.text
        up = r.json()
        r = preview(cb, mgr, up["upload_id"], mapping=up["mapping"])
        assert r.status_code == 200, r.text
        assert {k: r.json()["counts"][k] for k in fx.CLEAN_PREVIEW} == fx.CLEAN_PREVIEW
        r = commit(cb, mgr, up["upload_id"], mapping=up["mapping"])
        assert r.status_code == 202, r.text
        job = wait_job(ca, mgr, r.json()["job_id"])  # polled through the process that does not run it
        assert job["state"] == "done" and job["message"].startswith("Imported 5 new families"), job
        assert job["counts"]["families_new"] == 5 and job["upload_id"] == up["upload_id"]
        assert wait_job(cb, mgr, job["job_id"]) == job
    after = _counts(db_path)
    assert {t: after[t] - before[t] for t in TABLES} == {"family": 5, "contact": 6, "student": 7, "alert": 2, "ledger_entry": 3}
    assert query(db_path, "SELECT count(*) FROM family WHERE name = 'Okafor'") == [(1,)]  # written once
    assert _audits(db_path, "import.committed") == 1


def test_cancel_asked_through_one_process_stops_the_job_running_on_the_other(tmp_path):
    data_dir = _data_dir(tmp_path)
    db_path = account_db_path(data_dir, "acme")
    before = _counts(db_path)
    with ServerProcess(data_dir) as a, ServerProcess(data_dir) as b, _clients(a, b) as (ca, cb):
        mgr = _mia(ca)
        up = upload(cb, mgr, "big.csv", fx.roster_csv(3000)).json()
        lock = sqlite3.connect(db_path, isolation_level=None, timeout=30)
        lock.execute("BEGIN IMMEDIATE")  # B's job plans, then waits here for the write lock
        try:
            r = commit(cb, mgr, up["upload_id"], mapping=up["mapping"])
            assert r.status_code == 202, r.text
            job_id = r.json()["job_id"]
            _wait_phase(ca, mgr, job_id, "Matching")
            r = ca.post(f"/v1/imports/jobs/{job_id}/cancel", headers=mgr["headers"])
            assert r.status_code == 200 and r.json()["state"] == "running", r.text
            # A second import meanwhile is refused, through either process: one per account.
            assert commit(ca, mgr, up["upload_id"], mapping=up["mapping"]).status_code == 409
        finally:
            lock.execute("ROLLBACK")
            lock.close()
        done = wait_job(ca, mgr, job_id)
        assert done["state"] == "cancelled" and "nothing was written" in done["message"], done
    assert _counts(db_path) == before
    assert _audits(db_path, "import.cancelled") == 1 and _audits(db_path, "import.committed") == 0


def test_a_restart_between_upload_and_commit_keeps_the_file(tmp_path):
    data_dir = _data_dir(tmp_path)
    db_path = account_db_path(data_dir, "acme")
    with ServerProcess(data_dir) as a:
        with _clients(a) as (c,):
            mgr = _mia(c)
            up = upload(c, mgr, "clean.csv", fx.clean_csv()).json()
        a.restart()
        with _clients(a) as (c,):
            assert preview(c, mgr, up["upload_id"], mapping=up["mapping"]).json()["ready"]
            job = wait_job(c, mgr, commit(c, mgr, up["upload_id"], mapping=up["mapping"]).json()["job_id"])
            assert job["state"] == "done", job
    assert query(db_path, "SELECT count(*) FROM family WHERE name = 'Okafor'") == [(1,)]
    [(name, size)] = query(db_path, "SELECT file_name, size FROM import_upload")
    assert (name, size) == ("clean.csv", len(fx.clean_csv()))


def test_a_job_whose_process_was_killed_reads_as_failed_and_a_new_import_can_start(tmp_path):
    data_dir = _data_dir(tmp_path)
    db_path = account_db_path(data_dir, "acme")
    before = _counts(db_path)
    with ServerProcess(data_dir) as a, ServerProcess(data_dir) as b, _clients(a, b) as (ca, cb):
        mgr = _mia(ca)
        up = upload(cb, mgr, "big.csv", fx.roster_csv(8000)).json()
        lock = sqlite3.connect(db_path, isolation_level=None, timeout=30)
        lock.execute("BEGIN IMMEDIATE")
        try:
            job_id = commit(cb, mgr, up["upload_id"], mapping=up["mapping"]).json()["job_id"]
            _wait_phase(ca, mgr, job_id, "Matching")
            # A change lands before the job writes: it plans again inside its write transaction (seconds).
            lock.execute("UPDATE change_counter SET usn = usn + 1")
            lock.execute("COMMIT")
        finally:
            if lock.in_transaction:
                lock.execute("ROLLBACK")
            lock.close()
        _wait_write_lock_taken(db_path)
        b.kill()  # inside its one write transaction
        assert ca.get(f"/v1/imports/jobs/{job_id}", headers=mgr["headers"]).json()["state"] == "running"  # silent a while yet
        clean = upload(ca, mgr, "clean.csv", fx.clean_csv()).json()
        assert commit(ca, mgr, clean["upload_id"], mapping=clean["mapping"]).status_code == 409
        _silent_for(data_dir, job_id, STALE_S + 1)  # as if its heartbeat had stopped that long ago
        status = ca.get(f"/v1/imports/jobs/{job_id}", headers=mgr["headers"]).json()
        assert status["state"] == "failed" and status["message"] == STOPPED
        assert _counts(db_path) == before  # its transaction died with it
        r = commit(ca, mgr, clean["upload_id"], mapping=clean["mapping"])
        assert r.status_code == 202, r.text
        assert wait_job(ca, mgr, r.json()["job_id"])["state"] == "done"
        assert wait_job(ca, mgr, job_id)["message"] == STOPPED  # stays so
    assert _counts(db_path)["family"] == before["family"] + 5
    [(detail,)] = query(db_path, "SELECT detail FROM audit_event WHERE action = 'import.failed'")
    assert '"reason": "server stopped"' in detail and job_id in detail


def _wait_write_lock_taken(db_path, timeout: float = 20.0) -> None:
    """Until another connection (the job) holds the account database's write lock."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        probe = sqlite3.connect(db_path, isolation_level=None, timeout=0)
        try:
            probe.execute("BEGIN IMMEDIATE")
            probe.execute("ROLLBACK")
        except sqlite3.OperationalError as exc:
            assert "locked" in str(exc), exc
            return
        finally:
            probe.close()
        time.sleep(0.01)
    raise AssertionError("the import job never took the write lock")


def _silent_for(data_dir, job_id: str, seconds: float) -> None:
    con = sqlite3.connect(data_dir / "registry.sqlite", isolation_level=None, timeout=30)
    try:
        assert con.execute("UPDATE import_job SET heartbeat = heartbeat - ? WHERE id = ?", (seconds, job_id)).rowcount == 1
    finally:
        con.close()
