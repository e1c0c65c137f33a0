"""Push of 10k offline mutations to a loopback server, against raw inserts into its database.

The desk's outbox holds 10k attendance marks (recorded offline); the timed part is the engine's
push of all of them (the desk's batches, HTTP on loopback, the server applying each batch in one
transaction with its exactly-once bookkeeping and audit). The server's own apply rate (the
issue's "server apply rate against raw inserts") is server.push run in process on a copy of the
account database with the same batches: no HTTP, no desk. The baseline is the very rows that
apply wrote (mark, register, applied_mutation, audit_event: four per mutation), read back and
inserted with sqlite3 executemany in one transaction into another copy of the same database
(same tables and indexes, WAL, synchronous=FULL like the server).

    python -m bench.sync_push
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path

import httpx
from sqlmodel import Session, select

from sync import db
from sync.client import ApiClient
from sync.engine import SyncEngine
from sync.core.ids import new_id
from sync.core.mutations import ATTENDANCE_MARK
from sync.core.schema import ClassSession, Student
from sync.store import DeskStore
from sync.core.wire import MAX_PUSH_BATCH
from tests.helpers.enrollment import code_for
from tests.helpers.server_process import ServerProcess, account_db_path, make_account

COUNT = int(os.environ.get("BENCH_PUSH", "10000"))


def _fill_outbox(store: DeskStore, staff_id: str) -> None:
    with Session(store.cache.engine) as s:
        sessions = list(s.exec(select(ClassSession.id)).all())
        students = list(s.exec(select(Student.id).where(Student.active)).all())
    with db.write_session(store.outbox.engine) as s:  # one transaction: filling is not what is measured
        for i in range(COUNT):
            session, student = sessions[i % len(sessions)], students[(i // len(sessions)) % len(students)]
            payload = {"mark_id": new_id(), "session_id": session, "student_id": student, "status": "present"}
            store.outbox._append(s, staff_id, ATTENDANCE_MARK, payload)


def _raw_rate(db_path: Path, rows: dict[str, list[tuple]]) -> float:
    """The baseline: the very rows the server's apply wrote, inserted with sqlite3 executemany in
    one transaction into another copy of the same account database (same tables, same indexes,
    same journal mode and synchronous setting as the server's)."""
    con = sqlite3.connect(db_path, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=FULL")  # as the server's account database (server.sqlite)
    t0 = time.perf_counter()
    con.execute("BEGIN IMMEDIATE")
    for table, tuples in rows.items():
        marks = ", ".join("?" * len(tuples[0]))
        # A register row may be there already (the seed's marks): replaced, as the server updates it.
        con.executemany(f"INSERT OR REPLACE INTO {table} VALUES ({marks})", tuples)
    con.execute("COMMIT")
    seconds = time.perf_counter() - t0
    con.close()
    return sum(len(t) for t in rows.values()) / 4 / seconds  # four rows per mutation: per mutation


def _server_rate(db_path: Path, account: dict, staff_id: str, mutations: list, batch: int) -> tuple[float, dict[str, list[tuple]]]:
    """The server's own apply rate: server.push on the desk's batches, in process, no HTTP or desk.

    Returns the rate and the rows it wrote (mark, register, applied_mutation, audit_event), read
    back for the baseline."""
    from server.account_db import AccountDatabase
    from server.push import push
    from server.tokens import AccessClaims

    con = sqlite3.connect(db_path)
    head = con.execute("SELECT usn FROM change_counter").fetchone()[0]
    rowids = {t: con.execute(f"SELECT coalesce(max(rowid), 0) FROM {t}").fetchone()[0] for t in ("applied_mutation", "audit_event")}
    con.close()
    adb = AccountDatabase(f"sqlite:///{db_path}")
    token = AccessClaims(account_id=account["account_id"], staff_id=staff_id, desk_id=mutations[0].desk_id)
    t0 = time.perf_counter()
    for i in range(0, len(mutations), batch):
        assert all(r.status == "applied" for r in push(adb, token, mutations[i : i + batch]))
    seconds = time.perf_counter() - t0
    adb.close()
    con = sqlite3.connect(db_path)
    rows = {
        "attendance_mark": con.execute("SELECT * FROM attendance_mark WHERE usn > ?", (head,)).fetchall(),
        "attendance": con.execute("SELECT * FROM attendance WHERE usn > ?", (head,)).fetchall(),
        **{t: con.execute(f"SELECT * FROM {t} WHERE rowid > ? ORDER BY rowid", (after,)).fetchall() for t, after in rowids.items()},
    }
    con.close()
    assert len(rows["applied_mutation"]) == len(rows["audit_event"]) == len(rows["attendance_mark"]) == len(mutations)
    return len(mutations) / seconds, rows


async def _push(url: str, account: dict, desk_dir: Path) -> tuple[float, str, list, int]:
    store = DeskStore(desk_dir)
    async with httpx.AsyncClient(timeout=httpx.Timeout(60.0)) as http:
        client = ApiClient(http, url)
        tokens = await client.login(account["slug"], account["username"], account["password"], store.desk_id, "bench",
                                    enrollment_code=code_for(url, account["slug"]))  # alex sets the desk up with a code
        client.access_token = tokens.access_token
        store.staff_id = tokens.staff.id
        engine = SyncEngine(store, client, live=False)
        await engine.sync_now()  # the first pull: the desk has the classes and students
        _fill_outbox(store, tokens.staff.id)
        mutations = store.outbox.pending()
        t0 = time.perf_counter()
        await engine._push_all()
        seconds = time.perf_counter() - t0
        assert store.pending_count() == 0 and store.outbox.counts()["rejected"] == 0
    store.close()
    return seconds, tokens.staff.id, mutations, engine.push_batch


def run() -> None:
    print(f"\npush: {COUNT:,} offline attendance marks to a loopback server (the desk's batches of {MAX_PUSH_BATCH})")
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "server"
        account = make_account(data, "acme", families=60)
        raw_copy = Path(tmp) / "raw.sqlite3"
        server_copy = Path(tmp) / "server-copy.sqlite3"
        shutil.copy(account_db_path(data, "acme"), raw_copy)
        shutil.copy(account_db_path(data, "acme"), server_copy)
        with ServerProcess(data) as server:
            seconds, staff_id, mutations, batch = asyncio.run(_push(server.url, account, Path(tmp) / "desk"))
        applied, rows = _server_rate(server_copy, account, staff_id, mutations, batch)
        raw = _raw_rate(raw_copy, rows)
    rate = COUNT / seconds
    commits = -(-COUNT // batch)
    print(f"  push, end to end : {seconds:.2f} s  ({rate:,.0f} mutations/s; goal < 5 s for 10k)")
    print(f"  raw executemany  : {raw:,.0f} mutations/s (the server's own rows, 4 per mutation, one transaction)")
    print(f"  server apply     : {applied:,.0f} mutations/s (server.push in process, {commits} batches = {commits} commits, no HTTP)")
    print(f"  ratio            : {applied / raw:.2f} server apply rate / raw (goal >= 0.30); end to end {rate / raw:.2f}")


if __name__ == "__main__":
    run()
