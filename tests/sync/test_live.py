"""Live between desks: a change at one desk wakes the others' pull through the long-poll, and
without the long-poll they still catch up by their periodic pulls."""

from __future__ import annotations

import time

import pytest

from tests.helpers.fault_proxy import FaultProxy
from tests.helpers.waits import until
from tests.sync.test_engine import desk_online, engines, picks  # noqa: F401 (engines: a fixture)


def _sees(store, session: str, student: str) -> bool:
    return any(r.student_id == student and r.checked_in for r in store.roster(session))


@pytest.mark.asyncio
async def test_a_check_in_wakes_the_other_desk_without_waiting_for_its_next_pull(live_server, server_account, desks, http, engines):
    a, _, engine_a = await desk_online(desks, http, live_server.url, server_account, "a")
    # Desk b would not pull again for a minute on its own: only the long-poll can bring it sooner.
    b, _, engine_b = await desk_online(desks, http, live_server.url, server_account, "b", pull_interval=60.0)
    engines += [engine_a, engine_b]
    engine_a.start()
    engine_b.start()
    await until(lambda: engine_b._watch_task is not None, timeout=20, what="b's long-poll")
    p = picks(a)
    for i, student in enumerate(p.student_ids[:3]):
        began = time.monotonic()
        await a.check_in(student, p.location_id, p.session_ids[0])  # a's engine pushes at once (kick)
        await until(lambda s=student: _sees(b, p.session_ids[0], s), timeout=15, what="b to show a's check-in")
        print(f"desk-to-desk #{i}: {time.monotonic() - began:.3f} s")
    assert engine_b.live_wakes >= 3


@pytest.mark.asyncio
async def test_without_the_long_poll_the_desks_still_catch_up_by_periodic_pulls(live_server, server_account, desks, http, engines):
    with FaultProxy(live_server.port) as proxy:
        proxy.fail_next("refuse", path="/v1/sync/wait", times=10_000)  # a proxy that kills streams
        a, _, engine_a = await desk_online(desks, http, live_server.url, server_account, "a")
        b, _, engine_b = await desk_online(desks, http, proxy.url, server_account, "b", pull_interval=0.5)
        engines += [engine_a, engine_b]
        engine_b.start()
        p = picks(a)
        await a.check_in(p.student_ids[0], p.location_id, p.session_ids[0])
        await engine_a.sync_now()
        await until(lambda: _sees(b, p.session_ids[0], p.student_ids[0]), timeout=15, what="b's periodic pull")
        assert engine_b.live_wakes == 0 and proxy.injected["refuse"] >= 1


@pytest.mark.asyncio
async def test_a_server_told_to_stop_answers_the_long_polls_instead_of_waiting_for_them(server_account, http):
    import asyncio

    from tests.helpers.enrollment import code_for
    from tests.helpers.server_process import ServerProcess

    with ServerProcess(server_account["data_dir"]) as server:
        tokens = (await http.post(f"{server.url}/v1/auth/login", json={
            "account": "acme", "username": server_account["username"], "password": server_account["password"],
            "desk_id": "desk-live", "enrollment_code": code_for(server.url, "acme")})).json()  # fmt: skip
        waiting = asyncio.ensure_future(http.get(
            f"{server.url}/v1/sync/wait", params={"after": 10**9, "timeout": 25},
            headers={"Authorization": f"Bearer {tokens['access_token']}"}, timeout=40))  # fmt: skip
        await asyncio.sleep(0.5)
        began = time.monotonic()
        await asyncio.to_thread(server.stop)  # SIGTERM: a restart must not wait out every desk's long-poll
        took = time.monotonic() - began
        answer = await waiting
    assert answer.status_code == 200 and answer.json()["changed"] is False
    assert took < 8, f"stopping took {took:.1f} s: the long-poll held it up"
