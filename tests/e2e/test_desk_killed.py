"""A desk killed (SIGKILL) while its push is on the wire starts again from its files: nothing lost,
nothing doubled."""

from __future__ import annotations

import asyncio

import pytest

from sync.client import ApiClient
from sync.engine import SyncEngine
from sync.store import DeskStore
from tests.e2e.desks import DeskProcess, wait_for_desks
from tests.helpers.fault_proxy import FaultProxy
from tests.helpers.server_process import ServerProcess
from tests.sync.conftest import FAST, sign_in
from tests.sync.test_engine import assert_server_has_exactly

pytestmark = pytest.mark.slow


@pytest.mark.asyncio
async def test_a_desk_killed_mid_push_restarts_from_its_files(server_account, tmp_path, http):
    control = tmp_path / "control"
    control.mkdir()
    with ServerProcess(server_account["data_dir"]) as server, FaultProxy(server.port, stall_seconds=2.0) as proxy:
        desk = DeskProcess("a", {
            "server_url": proxy.url, "account": "acme", "username": server_account["username"],
            "password": server_account["password"], "data_dir": str(tmp_path / "desk-a"), "target": 200,
            "interval": 0.0, "seed": 3, "control_dir": str(control), "batch": 20,
        }, tmp_path)  # fmt: skip
        try:
            desk.start()
            await asyncio.to_thread(wait_for_desks, lambda: desk.recorded() >= 60, 60, "60 changes recorded", [desk])
            proxy.fail_next("stall", path="/v1/sync/push")  # the next push hangs on the wire...
            await asyncio.to_thread(wait_for_desks, lambda: proxy.planned() == 0, 30, "a push in flight", [desk])
            await asyncio.sleep(0.3)
            desk.kill()  # ...and the desk dies with it
        finally:
            desk.kill()
        printed = desk.recorded()

        store = DeskStore(tmp_path / "desk-a")  # the same folder, as the app would open it again
        try:
            counts = store.outbox.counts()
            assert sum(counts.values()) >= printed  # every change the desk had said was recorded is there
            assert counts["pending"] > 0
            client = ApiClient(http, server.url)
            await sign_in(client, store, server_account)
            engine = SyncEngine(store, client, **FAST)
            status = await engine.sync_now()
            assert (status.pending, status.rejected, status.error) == (0, 0, None)
            assert_server_has_exactly(server_account["data_dir"], store)
        finally:
            store.close()


@pytest.mark.asyncio
async def test_a_desk_killed_mid_pull_restarts_from_its_files_and_converges(server_account, tmp_path, http):
    from tests.e2e.desk_worker import cache_digest
    from tests.e2e.test_chaos import server_digest

    control = tmp_path / "control"
    control.mkdir()
    with ServerProcess(server_account["data_dir"]) as server, FaultProxy(server.port, stall_seconds=0.4) as proxy:
        proxy.fail_next("stall", path="/v1/sync/pull", times=1000)  # every page is slow to come
        desk = DeskProcess("a", {
            "server_url": proxy.url, "account": "acme", "username": server_account["username"],
            "password": server_account["password"], "data_dir": str(tmp_path / "desk-a"), "target": 0,
            "control_dir": str(control), "pull_limit": 40,
        }, tmp_path)  # fmt: skip
        try:
            desk.start()
            await asyncio.to_thread(wait_for_desks, lambda: proxy.injected["stall"] >= 4, 60, "a few pages pulled", [desk])
            desk.kill()  # in the middle of the first pull
        finally:
            desk.kill()

        store = DeskStore(tmp_path / "desk-a")
        try:
            assert not store.cache.rebuilt and 0 < store.cache.cursor()  # the pages it had are kept, whole
            client = ApiClient(http, server.url)
            await sign_in(client, store, server_account)
            status = await SyncEngine(store, client, **FAST, pull_limit=40).sync_now()
            assert status.error is None
            assert cache_digest(store)[0] == server_digest(server_account["data_dir"])
        finally:
            store.close()
