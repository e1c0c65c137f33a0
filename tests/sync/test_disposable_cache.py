"""Disposable cache, precious outbox: a damaged cache is rebuilt from the server with the outbox
replayed on top; a damaged outbox is kept untouched and nothing more is recorded; a full disk says
so and loses nothing already recorded."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import event

from sync.cache import Cache
from sync.errors import StorageError
from sync.outbox import Outbox, OutboxDamaged
from sync.store import CACHE_FILE, OUTBOX_FILE, DeskStore
from tests.sync.conftest import sign_in
from tests.sync.data import world
from tests.sync.test_engine import assert_server_has_exactly, desk_online, picks
from tests.helpers.damage import damage_table


def test_a_cache_with_a_torn_page_is_found_by_quick_check_and_rebuilt(tmp_path: Path):
    path = tmp_path / CACHE_FILE
    first = Cache(path)
    first.apply_pull(world().changes(), cursor=30)
    first.close()
    damage_table(path, "student")
    con = sqlite3.connect(path)  # the version stamp alone still reads fine: only quick_check sees it
    assert con.execute("SELECT cursor FROM sync_state").fetchone() == (30,)
    con.close()
    again = Cache(path)
    try:
        assert again.rebuilt and again.cursor() == 0
    finally:
        again.close()


@pytest.mark.asyncio
async def test_a_rebuilt_cache_is_pulled_again_with_progress_and_the_outbox_replayed(
    live_server, server_account, desks, http
):
    store, _, engine = await desk_online(desks, http, live_server.url, server_account, "a", pull_limit=50)
    p = picks(store)
    await store.check_in(p.student_ids[0], p.location_id, p.session_ids[0])  # offline work: not sent yet
    await store.mark_attendance(p.session_ids[0], p.student_ids[1], "late")
    store.close()
    damage_table(store.data_dir / CACHE_FILE, "student")

    again = desks("a")
    assert again.cache.rebuilt and again.pending_count() == 2 and again.locations() == []
    client = engine.client
    await sign_in(client, again, server_account)
    from sync.engine import SyncEngine

    engine2 = SyncEngine(again, client, pull_limit=50)
    progress: list[tuple[int, int]] = []
    engine2.subscribe_progress(lambda done, total: progress.append((done, total)))
    status = await engine2.sync_now()
    assert (status.pending, status.error) == (0, None)
    assert len(progress) > 3 and progress[-1][0] == progress[-1][1]  # a bar that fills up, page by page
    assert all(a[0] <= b[0] for a, b in zip(progress, progress[1:]))
    roster = {r.student_id: r for r in again.roster(p.session_ids[0])}
    assert roster[p.student_ids[0]].checked_in and roster[p.student_ids[1]].status == "late"
    assert_server_has_exactly(server_account["data_dir"], again)


def test_a_damaged_outbox_is_kept_byte_for_byte_and_nothing_more_is_recorded(tmp_path: Path):
    box = Outbox(tmp_path / OUTBOX_FILE)
    for i in range(50):
        box.append("staff", "check_in", {"n": i, "pad": "x" * 200})
    box.close()
    path = tmp_path / OUTBOX_FILE
    damage_table(path, "mutations")
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(OutboxDamaged) as caught:
        DeskStore(tmp_path)
    assert "damaged" in caught.value.message and "kept" in caught.value.message
    assert str(path) in caught.value.message and caught.value.kind == "storage"
    with pytest.raises(OutboxDamaged):
        Outbox(path)  # asking again changes nothing either
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


def test_a_full_disk_refuses_the_change_in_words_and_keeps_what_was_recorded(store: DeskStore, demo):
    recorded = [store.outbox.append("staff-0001", "attendance.mark", {"n": i}) for i in range(3)]
    engine = store.outbox.engine
    engine.dispose()

    @event.listens_for(engine, "connect")
    def _tiny_disk(dbapi_conn, _record) -> None:
        pages = dbapi_conn.execute("PRAGMA page_count").fetchone()[0]
        dbapi_conn.execute(f"PRAGMA max_page_count = {pages}")  # not one page more: the disk is full

    with pytest.raises(StorageError) as caught:
        for i in range(500):
            store.outbox.append("staff-0001", "attendance.mark", {"n": i, "pad": "y" * 2000})
    assert caught.value.code == "disk_full" and "disk is full" in caught.value.message
    assert "safe" in caught.value.message
    assert [m.id for m in store.outbox.pending()][:3] == [m.id for m in recorded]


@pytest.mark.asyncio
async def test_a_full_disk_at_check_in_shows_nothing_that_was_not_recorded(store: DeskStore, demo):
    engine = store.outbox.engine
    engine.dispose()

    @event.listens_for(engine, "connect")
    def _tiny_disk(dbapi_conn, _record) -> None:
        pages = dbapi_conn.execute("PRAGMA page_count").fetchone()[0]
        dbapi_conn.execute(f"PRAGMA max_page_count = {pages}")

    # Fill the outbox to its last byte (small rows at the end), then a check-in must fail and leave
    # no trace in the cache.
    for size in (2000, 200, 0):
        with pytest.raises(StorageError):
            for i in range(2000):
                store.outbox.append("staff-0001", "attendance.mark", {"n": i, "pad": "y" * size})
    pending = store.pending_count()
    with pytest.raises(StorageError):
        await store.check_in(demo.ids["zoe"], demo.ids["downtown"], demo.ids["sess_tumbling"])
    assert store.pending_count() == pending
    assert not any(r.checked_in for r in store.roster(demo.ids["sess_tumbling"]) if r.student_id == demo.ids["zoe"])


def test_staff_may_set_a_damaged_outbox_aside_and_it_is_kept_for_support(tmp_path: Path):
    from sync.outbox import set_aside

    box = Outbox(tmp_path / OUTBOX_FILE)
    old_desk = box.desk_id
    for i in range(50):
        box.append("staff", "check_in", {"n": i, "pad": "x" * 200})
    box.close()
    damage_table(tmp_path / OUTBOX_FILE, "mutations")
    before = hashlib.sha256((tmp_path / OUTBOX_FILE).read_bytes()).hexdigest()
    kept = set_aside(tmp_path / OUTBOX_FILE)
    assert kept.parent == tmp_path and "damaged" in kept.name
    assert hashlib.sha256(kept.read_bytes()).hexdigest() == before  # moved, not rewritten
    store = DeskStore(tmp_path)  # a fresh outbox: a new desk to the server
    try:
        assert store.desk_id != old_desk and store.pending_count() == 0
    finally:
        store.close()
