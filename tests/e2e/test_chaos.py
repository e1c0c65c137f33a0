"""The chaos test: three desk processes, a proxy that cuts, stalls and truncates, a server killed
twice and a desk killed once. At the end the server holds exactly the union of what the desks
recorded, nothing twice, and every desk's cache is the same."""

from __future__ import annotations

import time

import pytest

from tests.e2e.desks import DeskProcess, server_digest, tally, wait_for_desks
from tests.helpers.fault_proxy import FaultProxy
from tests.helpers.server_process import ServerProcess

pytestmark = pytest.mark.slow
TARGET = 120  # changes per desk


@pytest.mark.timeout(150)
def test_three_desks_through_faults_and_kills_converge_on_exactly_what_they_recorded(server_account, tmp_path):
    started = time.monotonic()
    control = tmp_path / "control"
    control.mkdir()
    data_dir = server_account["data_dir"]
    server = ServerProcess(data_dir)
    proxy = None
    desks: list[DeskProcess] = []
    server_kills = 0
    try:
        server.start()
        proxy = FaultProxy(server.port, chaos=0.12, seed=7, stall_seconds=0.4).start()
        for i, name in enumerate("abc"):
            desks.append(DeskProcess(name, {
                "server_url": proxy.url, "account": "acme", "username": server_account["username"],
                "password": server_account["password"], "data_dir": str(tmp_path / f"desk-{name}"),
                "target": TARGET, "interval": 0.03, "seed": i, "control_dir": str(control), "batch": 25,
            }, tmp_path).start())  # fmt: skip

        def all_past(n: int) -> bool:
            return all(d.recorded() >= n for d in desks)

        wait_for_desks(lambda: all_past(25), 90, "25 changes at every desk", desks)
        server.kill()
        server_kills += 1
        time.sleep(0.8)  # the desks keep recording, offline
        server.start()

        wait_for_desks(lambda: all_past(55), 90, "55 changes at every desk", desks)
        desks[1].kill()  # desk b loses power...
        desks[1].start()  # ...and comes back from its files

        wait_for_desks(lambda: all_past(85), 90, "85 changes at every desk", desks)
        server.kill()
        server_kills += 1
        time.sleep(0.8)
        server.start()

        wait_for_desks(lambda: all_past(TARGET), 120, "every desk to finish recording", desks)
        (control / "drain").write_text("go")
        wait_for_desks(lambda: all((control / f"drained-{d.name}").exists() for d in desks), 120, "outboxes to drain", desks)
        (control / "final").write_text("go")
        wait_for_desks(lambda: all((control / f"result-{d.name}.json").exists() for d in desks), 60, "final pulls", desks)
        for d in desks:
            assert d.wait(30) == 0, d.log()[-2000:]
        results = [d.result() for d in desks]

        t = tally(data_dir, results)
        print(
            f"\nchaos: desks=3 recorded={t.recorded} applied={t.applied} "
            f"rejected={t.rejected} lost={t.lost} duplicated={t.duplicated} extra={t.extra} "
            f"faults={proxy.faults} {dict(proxy.injected)} requests={proxy.requests} "
            f"server_kills={server_kills} desk_kills={sum(d.kills for d in desks)} "
            f"live_wakes={[r['live_wakes'] for r in results]} seconds={time.monotonic() - started:.1f}"
        )
        assert (t.lost, t.duplicated, t.extra, t.rejected, t.gaps) == (0, 0, 0, 0, 0)
        assert sorted(t.on_server_check_ins) == sorted(t.recorded_check_ins)
        assert sorted(t.on_server_marks) == sorted(t.recorded_marks)
        assert len({r["digest"] for r in results}) == 1, [r["sizes"] for r in results]
        assert results[0]["digest"] == server_digest(data_dir)
        assert proxy.faults > 0 and server_kills == 2 and desks[1].kills == 1
    finally:
        for d in desks:
            d.kill()
        if proxy is not None:
            proxy.stop()
        server.stop()
