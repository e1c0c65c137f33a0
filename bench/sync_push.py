"""Push of 10k offline mutations to a loopback server, against raw inserts into its database.

The desk's outbox holds 10k attendance marks (recorded offline); the timed part is the engine's
push of all of them (batches of 500, HTTP on loopback, the server applying each in a savepoint
with its exactly-once bookkeeping and audit). The baseline writes the same rows the server writes
per mutation (mark, register, applied_mutation, audit_event) with sqlite3 executemany, one
transaction, into a copy of the same account database. The server's own apply rate (the issue's
"server apply rate against raw inserts") is server.push run in process on another copy with the
same batches: no HTTP, no desk.

    python -m bench.sync_push
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import shutil
import sqlite3
import tempfile
import time
import uuid
from pathlib import Path

import httpx
from sqlmodel import Session, select

from sync import db
from sync.client import ApiClient
from sync.engine import SyncEngine
from sync.ids import new_id
from sync.mutations import ATTENDANCE_MARK
from sync.schema import ClassSession, Student, attendance_id
from sync.store import DeskStore
from tests.helpers.server_process import ServerProcess, account_db_path, make_account

COUNT = int(os.environ.get("BENCH_PUSH", "10000"))


def _fill_outbox(store: DeskStore, staff_id: str) -> list[tuple[str, str, str]]:
    with Session(store.cache.engine) as s:
        sessions = list(s.exec(select(ClassSession.id)).all())
        students = list(s.exec(select(Student.id).where(Student.active)).all())
    made = []
    with db.write_session(store.outbox.engine) as s:  # one transaction: filling is not what is measured
        for i in range(COUNT):
            session, student = sessions[i % len(sessions)], students[(i // len(sessions)) % len(students)]
            payload = {"mark_id": new_id(), "session_id": session, "student_id": student, "status": "present"}
            store.outbox._append(s, staff_id, ATTENDANCE_MARK, payload)
            made.append((session, student, payload["mark_id"]))
    return made


def _raw_rate(db_path: Path, made: list[tuple[str, str, str]], staff_id: str) -> float:
    con = sqlite3.connect(db_path, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=FULL")  # as the server's account database
    now = dt.datetime(2025, 1, 1).isoformat(sep=" ")
    usn = 10_000_000
    marks, registers, applied, audits = [], [], [], []
    for i, (session, student, mark_id) in enumerate(made):
        usn += 2
        marks.append((mark_id, usn - 1, session, student, "present", staff_id, "desk", now))
        registers.append((attendance_id(session, student), usn, session, student, "present", mark_id, now, staff_id))
        applied.append((str(uuid.uuid4()), "raw-desk", i + 1, staff_id, ATTENDANCE_MARK, "applied", usn, now))
        audits.append((str(uuid.uuid4()), now, staff_id, "raw-desk", "mutation.applied", json.dumps({"seq": i + 1})))
    t0 = time.perf_counter()
    con.execute("BEGIN IMMEDIATE")
    con.executemany("INSERT INTO attendance_mark (id, usn, session_id, student_id, status, staff_id, desk_id, made_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", marks)  # fmt: skip
    con.executemany("INSERT OR REPLACE INTO attendance (id, usn, session_id, student_id, status, mark_id, marked_at, staff_id)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", registers)  # fmt: skip
    con.executemany("INSERT INTO applied_mutation (mutation_id, desk_id, seq, staff_id, type, status, usn, applied_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", applied)  # fmt: skip
    con.executemany("INSERT INTO audit_event (id, at, staff_id, desk_id, action, detail) VALUES (?, ?, ?, ?, ?, ?)", audits)
    con.execute("COMMIT")
    seconds = time.perf_counter() - t0
    con.close()
    return len(made) / seconds


def _server_rate(db_path: Path, account: dict, staff_id: str, mutations: list) -> float:
    """The server's own apply rate: server.push on the same batches, in process, no HTTP or desk."""
    from server.account_db import AccountDatabase
    from server.push import push
    from server.tokens import AccessClaims

    adb = AccountDatabase(f"sqlite:///{db_path}")
    token = AccessClaims(account_id=account["account_id"], staff_id=staff_id, desk_id=mutations[0].desk_id)
    t0 = time.perf_counter()
    for i in range(0, len(mutations), 500):
        assert all(r.status == "applied" for r in push(adb, token, mutations[i : i + 500]))
    seconds = time.perf_counter() - t0
    adb.close()
    return len(mutations) / seconds


async def _push(url: str, account: dict, desk_dir: Path) -> tuple[float, list, str, list]:
    store = DeskStore(desk_dir)
    async with httpx.AsyncClient(timeout=httpx.Timeout(60.0)) as http:
        client = ApiClient(http, url)
        tokens = await client.login(account["slug"], account["username"], account["password"], store.desk_id, "bench")
        client.access_token = tokens.access_token
        store.staff_id = tokens.staff.id
        engine = SyncEngine(store, client, live=False)
        await engine.sync_now()  # the first pull: the desk has the classes and students
        made = _fill_outbox(store, tokens.staff.id)
        mutations = store.outbox.pending()
        t0 = time.perf_counter()
        await engine._push_all()
        seconds = time.perf_counter() - t0
        assert store.pending_count() == 0 and store.outbox.counts()["rejected"] == 0
    store.close()
    return seconds, made, tokens.staff.id, mutations


def run() -> None:
    print(f"\npush: {COUNT:,} offline attendance marks to a loopback server (batches of 500)")
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "server"
        account = make_account(data, "acme", families=60)
        raw_copy = Path(tmp) / "raw.sqlite3"
        server_copy = Path(tmp) / "server-copy.sqlite3"
        shutil.copy(account_db_path(data, "acme"), raw_copy)
        shutil.copy(account_db_path(data, "acme"), server_copy)
        with ServerProcess(data) as server:
            seconds, made, staff_id, mutations = asyncio.run(_push(server.url, account, Path(tmp) / "desk"))
        raw = _raw_rate(raw_copy, made, staff_id)
        applied = _server_rate(server_copy, account, staff_id, mutations)
    rate = COUNT / seconds
    print(f"  push, end to end : {seconds:.2f} s  ({rate:,.0f} mutations/s; goal < 5 s for 10k)")
    print(f"  raw executemany  : {raw:,.0f} mutations/s (the same rows, one transaction)")
    print(f"  server apply     : {applied:,.0f} mutations/s (server.push in process, same batches, no HTTP)")
    print(f"  ratio            : {applied / raw:.2f} server apply rate / raw (goal >= 0.30); end to end {rate / raw:.2f}")


if __name__ == "__main__":
    run()
