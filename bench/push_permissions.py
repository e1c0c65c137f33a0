"""What the per-mutation permission check (and audit source) costs a push, against the same push
with the check switched off, in the same run on copies of the same account database.

Both sides call server.push.push in-process (no HTTP, which would hide the difference), with
batches of 500 attendance marks made by the token's own staff member, and by another staff
member who signed in at that desk before (the "switch user" path, one more audit lookup).

    python -m bench.push_permissions
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

from sqlmodel import select

import server.push as push_module
from server.account_db import AccountDatabase, audit
from server.tokens import AccessClaims
from sync.core.ids import new_id, utcnow
from sync.core.schema import ClassSession, Student
from sync.core.wire import Mutation
from tests.helpers.server_process import account_db_path, make_account

COUNT = int(os.environ.get("BENCH_PERMISSIONS", "5000"))
BATCH = 500


def _mutations(adb: AccountDatabase, desk_id: str, staff_id: str) -> list[Mutation]:
    with adb.read_session() as db:
        sessions = list(db.exec(select(ClassSession.id)))
        students = list(db.exec(select(Student.id)))
    return [
        Mutation(id=new_id(), desk_id=desk_id, seq=i + 1, staff_id=staff_id, made_at=utcnow(), type="attendance.mark",
                 payload={"mark_id": new_id(), "session_id": sessions[i % len(sessions)],
                          "student_id": students[(i // len(sessions)) % len(students)], "status": "present"})
        for i in range(COUNT)
    ]


def _rate(db_path: Path, account_id: str, token_staff: str, maker: str, checked: bool) -> float:
    adb = AccountDatabase(f"sqlite:///{db_path}")
    desk_id = new_id()
    with adb.write_session() as db:  # the maker signed in at this desk before
        audit(db, "login.succeeded", staff_id=maker, desk_id=desk_id)
        db.commit()
    mutations = _mutations(adb, desk_id, maker)
    token = AccessClaims(account_id, token_staff, desk_id)
    saved = push_module.permission_refusal, push_module.source_of
    if not checked:
        push_module.permission_refusal = lambda *_a: None
        push_module.source_of = lambda *_a: "desk"
    try:
        t0 = time.perf_counter()
        for i in range(0, COUNT, BATCH):
            results = push_module.push(adb, token, mutations[i:i + BATCH])
            assert all(r.status == "applied" for r in results), results[0]
        seconds = time.perf_counter() - t0
    finally:
        push_module.permission_refusal, push_module.source_of = saved
        adb.close()
    return COUNT / seconds


def run() -> None:
    from server import admin

    with tempfile.TemporaryDirectory() as tmp:
        acct = make_account(Path(tmp) / "server", "acme", "alex", "correct horse", families=100)
        other = admin.add_staff(acct["data_dir"], "acme", "sam", "correct horse", group="front-desk")
        source = account_db_path(acct["data_dir"], "acme")
        figures = {}
        for name, maker, checked in (("no check", acct["staff_id"], False), ("checked", acct["staff_id"], True),
                                     ("checked, switched user", other, True)):
            copy = Path(tmp) / f"{name.replace(' ', '_').replace(',', '')}.sqlite"
            shutil.copy(source, copy)
            figures[name] = _rate(copy, acct["account_id"], acct["staff_id"], maker, checked)
        base = figures["no check"]
        print(f"push with permission checks, {COUNT} attendance marks in batches of {BATCH} (in-process):")
        for name, rate in figures.items():
            print(f"  {name:24s} {rate:8.0f} mutations/s   {rate / base:5.2f}x of no check")


if __name__ == "__main__":
    run()
