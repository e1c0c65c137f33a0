"""Desk-to-desk latency of a check-in while online: desk a checks a child in, how long until
desk b's roster shows it (b's periodic pull is a minute away, so this is the long-poll's doing).

    python -m bench.sync_latency          # BENCH_LATENCY_N check-ins (default 60)
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path

import httpx
from sqlmodel import Session, select

from sync.client import ApiClient
from sync.engine import SyncEngine
from sync.core.schema import ClassSession, Location, Student
from sync.store import DeskStore
from tests.helpers.enrollment import code_for
from tests.helpers.server_process import ServerProcess, make_account

N = int(os.environ.get("BENCH_LATENCY_N", "60"))


async def _desk(http: httpx.AsyncClient, url: str, account: dict, folder: Path) -> tuple[DeskStore, SyncEngine]:
    store = DeskStore(folder)
    client = ApiClient(http, url)
    tokens = await client.login(account["slug"], account["username"], account["password"], store.desk_id, folder.name,
                                enrollment_code=code_for(url, account["slug"]))  # alex sets the desk up with a code
    client.access_token = tokens.access_token
    store.staff_id = tokens.staff.id
    engine = SyncEngine(store, client, pull_interval=60.0)
    await engine.sync_now()
    engine.start()
    return store, engine


async def _measure(url: str, account: dict, tmp: Path) -> list[float]:
    async with httpx.AsyncClient(timeout=httpx.Timeout(30.0)) as http:
        a, engine_a = await _desk(http, url, account, tmp / "desk-a")
        b, engine_b = await _desk(http, url, account, tmp / "desk-b")
        with Session(a.cache.engine) as s:
            location = s.exec(select(Location.id)).first()
            sessions = list(s.exec(select(ClassSession.id).where(ClassSession.location_id == location)).all())
            students = list(s.exec(select(Student.id).where(Student.active)).all())
        pairs = [(se, st) for se in sessions for st in students][:N]
        await asyncio.sleep(0.5)  # b's long-poll is waiting
        latencies = []
        for session, student in pairs:
            began = time.perf_counter()
            await a.check_in(student, location, session)
            while not any(r.student_id == student and r.checked_in for r in b.roster(session)):
                await asyncio.sleep(0.005)
            latencies.append(time.perf_counter() - began)
            await asyncio.sleep(0.05)
        await engine_a.stop()
        await engine_b.stop()
        a.close()
        b.close()
    return latencies


def run() -> None:
    print(f"\ndesk-to-desk latency: {N} check-ins at desk a, seen on desk b's roster (b's periodic pull: 60 s)")
    with tempfile.TemporaryDirectory() as tmp:
        account = make_account(Path(tmp) / "server", "acme", families=40)
        with ServerProcess(Path(tmp) / "server") as server:
            lat = sorted(asyncio.run(_measure(server.url, account, Path(tmp))))
    p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]  # noqa: E731
    print(f"  p50 {p(0.5) * 1000:.0f} ms · p95 {p(0.95) * 1000:.0f} ms · p99 {p(0.99) * 1000:.0f} ms · "
          f"max {lat[-1] * 1000:.0f} ms · mean {statistics.mean(lat) * 1000:.0f} ms (goal: p99 < 2000 ms)")  # fmt: skip


if __name__ == "__main__":
    run()
