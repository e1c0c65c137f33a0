"""A headless desk in its own process, for the end-to-end tests: records work and syncs.

    python -m tests.e2e.desk_worker CONFIG.json

CONFIG: server_url, account, username, password, data_dir, target (mutations in the outbox to
reach, counting those of an earlier run of the same folder), interval (seconds between two
changes), seed, control_dir. It prints "recorded N" after each change is on disk. When
control_dir/drain appears it sends everything and writes control_dir/drained-<name>; when
control_dir/final appears it pulls once more and writes control_dir/result-<name>.json (desk id,
what it recorded, a digest of its cache). It is the sync stack of the desk app, without Qt.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
import sys
import time
from pathlib import Path

import httpx
from sqlmodel import Session, select

from sync.client import ApiClient
from sync.engine import SyncEngine
from sync.errors import SyncError
from sync.outbox import mutations as outbox_table
from sync.core.schema import Attendance, AttendanceMark, CheckIn, ClassSession, Student
from sync.store import DeskStore
from tests.helpers.enrollment import own_secret

STATUSES = ("present", "absent", "late")


def cache_digest(store: DeskStore) -> tuple[str, dict[str, int]]:
    """A digest of the facts and the register in this desk's cache (equal on converged desks)."""
    with Session(store.cache.engine) as s:
        check_ins = sorted(s.exec(select(CheckIn.id)).all())
        marks = sorted(s.exec(select(AttendanceMark.id)).all())
        register = sorted((a.id, a.status, a.mark_id) for a in s.exec(select(Attendance)).all())
    text = json.dumps([check_ins, marks, register])
    return hashlib.sha256(text.encode()).hexdigest(), {
        "check_ins": len(check_ins), "marks": len(marks), "register": len(register)}  # fmt: skip


def recorded(store: DeskStore) -> dict[str, list[str]]:
    """Ids of everything this desk recorded, from its outbox."""
    out: dict[str, list[str]] = {"check_in_ids": [], "mark_ids": [], "rejected": []}
    with store.outbox.engine.connect() as conn:
        for row in conn.execute(outbox_table.select()).mappings():
            if row["state"] == "rejected":
                out["rejected"].append(row["id"])
                continue
            if row["payload"].get("check_in_id"):
                out["check_in_ids"].append(row["payload"]["check_in_id"])
            if row["payload"].get("mark_id"):
                out["mark_ids"].append(row["payload"]["mark_id"])
    return out


async def sign_in(client: ApiClient, store: DeskStore, cfg: dict) -> None:
    while True:  # the server may be down or the proxy cutting: keep trying, like staff would
        try:
            tokens = await client.login(cfg["account"], cfg["username"], cfg["password"], store.desk_id, cfg["name"],
                                        desk_secret=own_secret(store.data_dir), enrollment_code=cfg["enrollment_code"])  # fmt: skip
        except SyncError:
            await asyncio.sleep(0.3)
            continue
        client.access_token = tokens.access_token
        store.staff_id = tokens.staff.id
        return


async def main(cfg: dict) -> None:
    control = Path(cfg["control_dir"])
    name = cfg["name"]
    rng = random.Random(cfg.get("seed", 0))
    store = DeskStore(Path(cfg["data_dir"]))
    http = httpx.AsyncClient(timeout=httpx.Timeout(5.0, connect=2.0))
    client = ApiClient(http, cfg["server_url"])

    async def renew() -> bool:
        await sign_in(client, store, cfg)
        return True

    client.on_unauthorized = renew
    await sign_in(client, store, cfg)
    engine = SyncEngine(store, client, pull_interval=0.5, backoff_min=0.1, backoff_max=1.0, push_batch=cfg.get("batch", 50),
                        pull_limit=cfg.get("pull_limit", 1000))
    engine.start()
    while not store.locations():
        await asyncio.sleep(0.1)
    with Session(store.cache.engine) as s:
        location = store.locations()[0].id
        sessions = list(s.exec(select(ClassSession.id).where(ClassSession.location_id == location)).all())
        students = list(s.exec(select(Student.id).where(Student.active)).all())
    total = sum(store.outbox.counts().values())
    while total < cfg["target"] and not (control / "drain").exists():  # a soak ends by time, not by count
        session, student = rng.choice(sessions), rng.choice(students)
        if rng.random() < 0.4:
            outcome = await store.check_in(student, location, session)
            total += 0 if outcome.already else 1
        else:
            await store.mark_attendance(session, student, rng.choice(STATUSES))
            total += 1
        print(f"recorded {total}", flush=True)
        await asyncio.sleep(cfg.get("interval", 0.01))
    while not (control / "drain").exists():
        await asyncio.sleep(0.1)
    while True:
        status = await engine.sync_now()
        if status.pending == 0 and status.error is None:
            break
        await asyncio.sleep(0.2)
    (control / f"drained-{name}").write_text("ok")
    while not (control / "final").exists():
        await asyncio.sleep(0.1)
    await engine.stop()
    while (await engine.sync_now()).error is not None:
        await asyncio.sleep(0.2)
    digest, sizes = cache_digest(store)
    result = {"desk_id": store.desk_id, "digest": digest, "sizes": sizes, "counts": store.outbox.counts(),
              "live_wakes": engine.live_wakes, **recorded(store), "at": time.time()}  # fmt: skip
    (control / f"result-{name}.json").write_text(json.dumps(result))
    await http.aclose()
    store.close()


if __name__ == "__main__":
    asyncio.run(main(json.loads(Path(sys.argv[1]).read_text())))
