"""Versions and credentials that lapse while a desk is offline: the outbox always waits, whole."""

from __future__ import annotations

import pytest

from sync.engine import SyncEngine
from tests.helpers.fault_proxy import FaultProxy
from tests.sync.conftest import FAST, server_rows
from tests.sync.test_auth import desk_auth, expired_token
from tests.sync.test_engine import assert_server_has_exactly, desk_online, picks


async def _offline_work(store, n: int = 4) -> None:
    p = picks(store)
    for student in p.student_ids[:n]:
        await store.check_in(student, p.location_id, p.session_ids[0])


@pytest.mark.asyncio
async def test_a_desk_older_than_the_server_is_told_to_update_and_keeps_its_work(live_server, server_account, desks, http):
    store, client, engine = await desk_online(desks, http, live_server.url, server_account)
    await _offline_work(store)
    client.protocol = 0  # this desk speaks a protocol the server no longer serves
    status = await engine.sync_now()
    assert "update the app" in (status.error or "") and "kept" in status.error
    assert (status.pending, status.rejected) == (4, 0)  # nothing set aside as refused
    assert server_rows(server_account["data_dir"], "SELECT count(*) FROM applied_mutation WHERE desk_id = ?", store.desk_id) == [(0,)]

    client.protocol = 1  # the app was updated: the same outbox goes out
    status = await engine.sync_now()
    assert (status.pending, status.rejected, status.error) == (0, 0, None)
    assert_server_has_exactly(server_account["data_dir"], store)


@pytest.mark.asyncio
async def test_an_access_token_that_expired_offline_is_renewed_on_reconnect(
    live_server, server_account, desks, http, memory_keyring
):
    with FaultProxy(live_server.port) as proxy:
        store = desks("a")
        auth = desk_auth(http, proxy.url, store)
        signed = await auth.login(server_account["username"], server_account["password"])
        store.staff_id = signed.staff.id
        engine = SyncEngine(store, auth.client, **FAST)
        assert (await engine.sync_now()).error is None
        proxy.down = True  # the connection drops...
        await _offline_work(store)
        assert not (await engine.sync_now()).online
        auth.client.access_token = expired_token(server_account, store.desk_id)  # ...for longer than a token lives
        proxy.down = False
        status = await engine.sync_now()
        assert (status.pending, status.error, status.needs_sign_in) == (0, None, False)
        assert_server_has_exactly(server_account["data_dir"], store)


@pytest.mark.asyncio
async def test_a_sign_in_revoked_while_offline_asks_for_a_password_and_the_outbox_waits(
    live_server, server_account, desks, http, memory_keyring
):
    store = desks("a")
    auth = desk_auth(http, live_server.url, store)
    signed = await auth.login(server_account["username"], server_account["password"])
    store.staff_id = signed.staff.id
    engine = SyncEngine(store, auth.client, **FAST)
    assert (await engine.sync_now()).error is None
    await _offline_work(store)
    live_server.app.state.frontdesk.registry.revoke_staff_tokens(server_account["account_id"], server_account["staff_id"])
    auth.client.access_token = expired_token(server_account, store.desk_id)

    status = await engine.sync_now()
    assert status.needs_sign_in and "sign in" in (status.error or "").lower()
    assert (status.pending, status.rejected) == (4, 0)

    await auth.login(server_account["username"], server_account["password"])  # staff sign in again
    status = await engine.sync_now()
    assert (status.pending, status.error, status.needs_sign_in) == (0, None, False)
    assert_server_has_exactly(server_account["data_dir"], store)
