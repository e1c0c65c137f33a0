"""The sync engine against the real server: offline work, killed servers, rejections, other desks."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from sqlmodel import Session, select

from sync.client import ApiClient
from sync.engine import SyncEngine
from sync.errors import OFFLINE_MESSAGE, NetworkError
from sync.core.mutations import CHECK_IN
from sync.outbox import mutations as outbox_table
from sync.core.schema import CheckIn, ClassSession, Location, Student
from sync.store import DeskStore
from sync.views import SyncStatus
from tests.helpers.server_process import ServerProcess, free_port
from tests.helpers.waits import until
from tests.sync.conftest import FAST, server_rows, sign_in

STATUSES = ("present", "absent", "late")


@pytest_asyncio.fixture
async def engines() -> AsyncIterator[list[SyncEngine]]:
    """Engines a test starts; all stopped at the end, even when the test fails."""
    started: list[SyncEngine] = []
    try:
        yield started
    finally:
        for engine in started:
            await engine.stop()


@pytest.fixture
def server_process(server_account) -> ServerProcess:
    """The real server as a child process on a fixed port (not started: the test decides when)."""
    server = ServerProcess(server_account["data_dir"], port=free_port())
    try:
        yield server
    finally:
        server.stop()


@dataclass
class Picks:
    location_id: str
    session_ids: list[str]
    student_ids: list[str]


def picks(store: DeskStore) -> Picks:
    """Real ids from what the desk pulled: one location, its sessions, every active student."""
    with Session(store.cache.engine) as s:
        location = s.exec(select(Location).order_by(Location.name)).first()
        assert location is not None, "the desk has pulled nothing"
        sessions = s.exec(
            select(ClassSession.id).where(ClassSession.location_id == location.id).order_by(ClassSession.starts_at)
        ).all()
        students = s.exec(select(Student.id).where(Student.active).order_by(Student.id)).all()
    return Picks(location.id, list(sessions), list(students))


def outbox_payload_ids(store: DeskStore, key: str, type_: str | None = None) -> list[str]:
    with store.outbox.engine.connect() as conn:
        stmt = select(outbox_table.c.type, outbox_table.c.payload)
        return [p[key] for t, p in conn.execute(stmt) if p.get(key) and (type_ is None or t == type_)]


async def desk_online(desks, http, url: str, account: dict, name: str = "a", client_cls=ApiClient, **options):
    store = desks(name)
    client = client_cls(http, url)
    await sign_in(client, store, account)
    engine = SyncEngine(store, client, **{**FAST, **options})
    status = await engine.sync_now()
    assert status.online and status.error is None, status
    return store, client, engine


def assert_server_has_exactly(data_dir: Path, store: DeskStore) -> None:
    """Every mutation of the desk is on the server once: same ids, same counts, none twice."""
    check_ins = outbox_payload_ids(store, "check_in_id")
    marks = outbox_payload_ids(store, "mark_id")
    desk = store.desk_id
    server_check_ins = [r[0] for r in server_rows(data_dir, "SELECT id FROM check_in WHERE desk_id = ?", desk)]
    server_marks = [r[0] for r in server_rows(data_dir, "SELECT id FROM attendance_mark WHERE desk_id = ?", desk)]
    applied = server_rows(data_dir, "SELECT seq, status FROM applied_mutation WHERE desk_id = ? ORDER BY seq", desk)
    assert sorted(server_check_ins) == sorted(check_ins) and len(set(server_check_ins)) == len(server_check_ins)
    assert sorted(server_marks) == sorted(marks) and len(set(server_marks)) == len(server_marks)
    total = store.outbox.counts()["applied"]
    assert applied == [(seq, "applied") for seq in range(1, total + 1)]


# -- 1. offline work reaches the server by itself ----------------------------------------


@pytest.mark.asyncio
async def test_work_recorded_while_the_server_is_down_arrives_by_itself(server_process, server_account, desks, http, engines):
    server = server_process.start()
    store, client, engine = await desk_online(desks, http, server.url, server_account)
    engines.append(engine)
    p = picks(store)
    server.stop()  # nothing listens on the port any more
    seen: list[SyncStatus] = []
    engine.subscribe(seen.append)
    engine.start()

    session = p.session_ids[0]
    for student in p.student_ids[:6]:
        assert not (await store.check_in(student, p.location_id, session)).already
    assert (await store.check_in(p.student_ids[0], p.location_id, session)).already
    for i, student in enumerate(p.student_ids[6:12]):
        await store.mark_attendance(session, student, STATUSES[i % 3])
    await store.mark_attendance(session, p.student_ids[6], "present")  # changed mind: the later mark wins
    await until(lambda: engine.status.error is not None and not engine.status.online, timeout=20, what="offline status")
    assert engine.status.pending == 13 and store.pending_count() == 13
    assert engine.status.error == OFFLINE_MESSAGE
    assert server_rows(server_process.data_dir, "SELECT count(*) FROM check_in") == [(0,)]

    await asyncio.to_thread(server.start)  # same port, same data
    await until(lambda: engine.status.pending == 0 and engine.status.online, timeout=20, what="the outbox to drain")
    assert_server_has_exactly(server_process.data_dir, store)
    assert store.outbox.counts() == {"pending": 0, "applied": 13, "rejected": 0}
    register = dict(server_rows(server_process.data_dir, "SELECT student_id, status FROM attendance WHERE session_id = ?", session))
    assert register[p.student_ids[6]] == "present" and register[p.student_ids[7]] == "absent"
    assert seen[-1].online and seen[-1].pending == 0 and seen[-1].last_sync is not None
    assert any(not s.online for s in seen) and any(s.syncing for s in seen)


# -- 2. a server killed in the middle of a big push --------------------------------------


class KillingClient(ApiClient):
    """Kills the server process (SIGKILL) at two moments of the push, like a power cut."""

    server: ServerProcess

    def __init__(self, http: httpx.AsyncClient, url: str):
        super().__init__(http, url)
        self.kills = [asyncio.Event(), asyncio.Event()]
        self.batch_seconds = 0.0
        self.in_flight_error: Exception | None = None

    async def push(self, mutations):
        if not self.kills[0].is_set():
            # The server applies and commits the first batch, then dies before the desk reads the answer.
            started = time.monotonic()
            await super().push(mutations)
            self.batch_seconds = time.monotonic() - started
            self.server.kill()
            self.kills[0].set()
            raise NetworkError(OFFLINE_MESSAGE)
        if not self.kills[1].is_set() and mutations[0].seq > 500:
            # The second batch: killed half way through the time a batch takes the server.
            sending = asyncio.ensure_future(super().push(mutations))
            await asyncio.sleep(self.batch_seconds / 2)
            self.server.kill()
            try:
                return await sending
            except NetworkError as exc:
                self.in_flight_error = exc
                raise
            finally:
                self.kills[1].set()
        return await super().push(mutations)


@pytest.mark.asyncio
@pytest.mark.timeout(90)
async def test_a_server_killed_mid_push_loses_and_doubles_nothing(server_process, server_account, desks, http, engines):
    server = server_process.start()
    store, client, engine = await desk_online(desks, http, server.url, server_account, client_cls=KillingClient)
    client.server = server
    engines.append(engine)
    p = picks(store)
    pairs = [(s, st) for s in p.session_ids for st in p.student_ids]
    # Check-ins spread over every batch: batches alike in kind take alike time, so half the first
    # batch's time lands inside the second (marks alone go the server's bulk way, much faster).
    marks = 0
    for k in range(2000):
        if k % 40 == 0:
            session, student = pairs[k // 40]
            await store.check_in(student, p.location_id, session)
        else:
            session, student = pairs[marks % len(pairs)]
            await store.mark_attendance(session, student, STATUSES[marks % 3])
            marks += 1
    assert store.pending_count() == 2000

    engine.start()
    await asyncio.wait_for(client.kills[0].wait(), 30)
    assert store.pending_count() == 2000  # the answer was lost with the server: nothing is taken as sent
    await asyncio.to_thread(server.start)
    await asyncio.wait_for(client.kills[1].wait(), 30)
    assert 0 < store.pending_count() <= 1500
    assert client.in_flight_error is not None, "the second kill came after the answer, not during the push"
    await asyncio.to_thread(server.start)
    await until(lambda: store.pending_count() == 0 and engine.status.online, timeout=40, what="the outbox to drain")

    assert_server_has_exactly(server_process.data_dir, store)
    assert store.outbox.counts() == {"pending": 0, "applied": 2000, "rejected": 0}
    with Session(store.cache.engine) as s:  # the desk's cache has the server's rows, nothing local-only
        assert s.exec(select(CheckIn).where(CheckIn.usn == None)).all() == []  # noqa: E711
        assert len(s.exec(select(CheckIn)).all()) == 50


# -- 3. a rejected mutation is shown and does not block the queue ------------------------


@pytest.mark.asyncio
async def test_a_rejected_change_is_listed_and_the_ones_after_it_apply(live_server, server_account, desks, http, engines):
    store, client, engine = await desk_online(desks, http, live_server.url, server_account)
    engines.append(engine)
    p = picks(store)
    # A student only this desk knows about (say, typed into a cache by hand): the server has no such child.
    with Session(store.cache.engine) as s:
        family_id = s.get(Student, p.student_ids[0]).family_id
        s.add(Student(id="local-only-student", family_id=family_id, first_name="Ghost", last_name="Child"))
        s.commit()
    session = p.session_ids[0]
    await store.check_in(p.student_ids[0], p.location_id, session)
    ghost = await store.check_in("local-only-student", p.location_id, session)
    await store.check_in(p.student_ids[1], p.location_id, session)
    await store.mark_attendance(session, p.student_ids[2], "absent")
    assert any(r.student_id == "local-only-student" and r.checked_in for r in store.roster(session))

    status = await engine.sync_now()
    assert (status.pending, status.rejected, status.online) == (0, 1, True)
    [rejected] = store.rejected()
    assert (rejected.seq, rejected.type, rejected.code) == (2, CHECK_IN, "not_found")
    assert rejected.summary == "Check-in of Ghost Child"
    assert "no longer on file" in rejected.message
    assert store.outbox.counts() == {"pending": 0, "applied": 3, "rejected": 1}
    on_server = {r[0] for r in server_rows(server_account["data_dir"], "SELECT id FROM check_in")}
    assert ghost.check_in_id not in on_server and len(on_server) == 2
    # The desk no longer shows what the server refused.
    assert not any(r.student_id == "local-only-student" and r.checked_in for r in store.roster(session))
    assert server_rows(server_account["data_dir"], "SELECT status FROM attendance WHERE student_id = ?", p.student_ids[2]) == [("absent",)]


# -- other desks, status, sign-in --------------------------------------------------------


@pytest.mark.asyncio
async def test_a_second_desk_sees_the_first_desks_work(live_server, server_account, desks, http, engines):
    a, _, engine_a = await desk_online(desks, http, live_server.url, server_account, "a")
    b, _, engine_b = await desk_online(desks, http, live_server.url, server_account, "b")
    engines += [engine_a, engine_b]
    changed: list[frozenset[str]] = []
    engine_b.subscribe_changes(changed.append)
    engine_b.start()
    p = picks(a)
    session = p.session_ids[1]
    await a.check_in(p.student_ids[3], p.location_id, session)
    await a.mark_attendance(session, p.student_ids[4], "late")
    await engine_a.sync_now()

    def b_sees() -> bool:
        rows = {r.student_id: r for r in b.roster(session)}
        return p.student_ids[3] in rows and rows[p.student_ids[3]].checked_in and rows.get(p.student_ids[4]) is not None
    # The rows are in b's cache a moment before the round tells its listeners: wait for both.
    await until(lambda: b_sees() and bool(changed), timeout=10, what="desk b to pull desk a's check-in")
    rows = {r.student_id: r for r in b.roster(session)}
    assert (rows[p.student_ids[3]].status, rows[p.student_ids[4]].status) == ("present", "late")
    assert any({"check_in", "attendance"} <= types for types in changed), changed


@pytest.mark.asyncio
async def test_without_a_sign_in_the_engine_waits_and_then_sends(live_server, server_account, desks, http, engines):
    store = desks("a")
    client = ApiClient(http, live_server.url)
    engine = SyncEngine(store, client, **FAST)
    engines.append(engine)
    status = await engine.sync_now()
    assert status.needs_sign_in and not status.syncing and status.error
    engine.start()
    await sign_in(client, store, server_account)
    engine.kick()
    await until(lambda: engine.status.online and engine.status.last_sync is not None, timeout=20, what="a sync after sign-in")
    assert not engine.status.needs_sign_in and picks(store).student_ids


@pytest.mark.asyncio
async def test_stop_cancels_cleanly_and_start_again_works(live_server, server_account, desks, http):
    store, client, engine = await desk_online(desks, http, live_server.url, server_account)
    engine.start()
    engine.start()  # twice is once
    await asyncio.sleep(0.1)
    await engine.stop()
    await engine.stop()
    engine.start()
    p = picks(store)
    await store.mark_attendance(p.session_ids[0], p.student_ids[0], "present")
    await until(lambda: engine.status.pending == 0, timeout=20, what="the kick to send the mark")
    await engine.stop()
    assert engine._task is None


# -- the engine's own logic, with a stand-in server --------------------------------------


@pytest.mark.asyncio
async def test_a_request_the_server_refuses_whole_is_split_so_only_the_bad_one_is_rejected(store: DeskStore, demo):
    """A 4xx for a whole batch (not a per-mutation result) must not block the queue either."""
    pushed: list[list[int]] = []
    poison = 2

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/sync/pull":
            return httpx.Response(200, json={"changes": [], "cursor": 100, "more": False})
        batch = httpx.Response(200, content=request.content).json()["mutations"]
        pushed.append([m["seq"] for m in batch])
        if any(m["seq"] == poison for m in batch):
            return httpx.Response(422, json={"error": {"code": "invalid_request", "message": "The request is not valid."}})
        return httpx.Response(200, json={"results": [
            {"id": m["id"], "seq": m["seq"], "status": "applied", "usn": 100 + m["seq"]} for m in batch]})  # fmt: skip

    for status in STATUSES:
        await store.mark_attendance(demo.ids["sess_tumbling"], demo.ids["zoe"], status)
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler), base_url="http://desk.test") as http:
        client = ApiClient(http)
        client.access_token = "t"
        status = await SyncEngine(store, client, **FAST).sync_now()
    assert pushed == [[1, 2, 3], [1], [2], [3]]
    assert (status.pending, status.rejected, status.online) == (0, 1, True)
    [rejected] = store.rejected()
    assert (rejected.seq, rejected.message) == (2, "The request is not valid.")


@pytest.mark.asyncio
async def test_backoff_grows_with_failures_and_stays_within_bounds(store: DeskStore):
    async with httpx.AsyncClient() as http:
        engine = SyncEngine(store, ApiClient(http, "http://127.0.0.1:9"), backoff_min=0.2, backoff_max=2.0)
        delays = []
        for failures in range(1, 8):
            engine.failures = failures
            delays.append(max(engine._backoff() for _ in range(50)))
    assert all(0.2 <= d <= 2.0 for d in delays)
    assert delays[0] <= 0.2 + 1e-9 and delays[-1] > 1.0  # starts at the minimum, grows towards the maximum


def test_status_listeners_can_unsubscribe(store: DeskStore):
    engine = SyncEngine(store, ApiClient(httpx.AsyncClient(), "http://127.0.0.1:9"))
    seen: list[SyncStatus] = []
    unsubscribe: Callable[[], None] = engine.subscribe(seen.append)
    engine._update(pending=3)
    unsubscribe()
    engine._update(pending=4)
    assert [s.pending for s in seen] == [3]


@pytest.mark.asyncio
async def test_an_unexpected_failure_is_reported_and_the_loop_keeps_going(store: DeskStore, demo, caplog):
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        if len(calls) == 1:  # a page the cache cannot store (a bug on one side or the other)
            return httpx.Response(200, json={"changes": [{"type": "student", "id": "x", "usn": 1, "data": {}}],
                                             "cursor": 1, "more": False})  # fmt: skip
        return httpx.Response(200, json={"changes": [], "cursor": 1, "more": False})

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler), base_url="http://desk.test") as http:
        client = ApiClient(http)
        client.access_token = "t"
        engine = SyncEngine(store, client, **FAST, live=False)  # this stand-in server has no long-poll
        engine.start()
        try:
            await until(lambda: len(calls) >= 2 and engine.status.error is None, timeout=20, what="a later round to succeed")
        finally:
            await engine.stop()
    assert "sync round failed unexpectedly" in caplog.text
    assert store.cache.cursor() == 1


@pytest.mark.asyncio
async def test_a_first_pull_in_many_pages_ends_with_every_index_made(live_server, server_account, desks, http, engines):
    store, _, engine = await desk_online(desks, http, live_server.url, server_account, "a", pull_limit=7)
    engines.append(engine)
    assert not store.cache.loading  # the last page made the indexes the load had put off (sync.pull_apply)
    with store.cache.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM deferred_index").scalar() == 0
        assert conn.exec_driver_sql("SELECT count(*) FROM fts_bulk").scalar() == 0
        students = conn.exec_driver_sql("SELECT count(*) FROM student").scalar()
        assert students and conn.exec_driver_sql("SELECT count(*) FROM student_fts").scalar() == students
        names = set(conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'index'").scalars())
    assert {"ix_attendance_student_id", "ix_student_family_id", "student_name_order", "family_name_order"} <= names
