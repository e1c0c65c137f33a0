"""Soak: the chaos test (tests/e2e/test_chaos.py) run for minutes instead of seconds.

Three desk processes (tests/e2e/desk_worker.py) record check-ins and attendance marks and sync
through a proxy that cuts, stalls and truncates sync requests (tests/helpers/fault_proxy.py),
while the server is SIGKILLed and restarted and desks are killed like a power cut and restarted
from their files. When the time is up the desks stop recording, drain their outboxes and pull
once more; then what the server holds is compared with what the desks recorded.

    python -m bench.sync_soak                 # 5 minutes
    python -m bench.sync_soak --minutes 3 --server-kill-every 30 --desk-kill-every 45

Prints what was recorded, applied, rejected, lost (must be 0), duplicated (must be 0), the faults
injected, the kills survived, whether every desk's cache and the server ended equal, and the
throughput; exits 1 when something was lost or duplicated or the digests differ.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

from tests.e2e.desks import DeskProcess, server_digest, tally, wait_for
from tests.helpers.fault_proxy import FaultProxy
from tests.helpers.server_process import ServerProcess, make_account

DESKS = "abc"


def run(minutes: float, chaos: float, server_kill_every: float, desk_kill_every: float, interval: float, seed: int) -> bool:
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        control = tmp / "control"
        control.mkdir()
        data_dir = tmp / "server"
        account = make_account(data_dir, "acme", families=20)
        server = ServerProcess(data_dir)
        proxy = None
        desks: list[DeskProcess] = []
        server_kills = 0
        try:
            server.start()
            proxy = FaultProxy(server.port, chaos=chaos, seed=seed, stall_seconds=0.4).start()
            for i, name in enumerate(DESKS):
                desks.append(DeskProcess(name, {
                    "server_url": proxy.url, "account": "acme", "username": account["username"],
                    "password": account["password"], "data_dir": str(tmp / f"desk-{name}"),
                    "target": 10**9, "interval": interval, "seed": seed + i, "control_dir": str(control), "batch": 25,
                }, tmp).start())  # fmt: skip
            wait_for(lambda: all(d.recorded() > 0 for d in desks), 90, "every desk's first change", desks)
            started = time.monotonic()
            end = started + minutes * 60
            next_server_kill = started + server_kill_every * rng.uniform(0.5, 1.0)
            next_desk_kill = started + desk_kill_every * rng.uniform(0.5, 1.0)
            last_report = started
            while time.monotonic() < end:
                now = time.monotonic()
                if now >= next_server_kill:
                    server.kill()
                    server_kills += 1
                    time.sleep(rng.uniform(0.3, 2.0))  # the desks keep recording, offline
                    server.start()
                    next_server_kill = time.monotonic() + server_kill_every * rng.uniform(0.5, 1.5)
                if now >= next_desk_kill:
                    victim = rng.choice(desks)
                    victim.kill()  # a power cut...
                    time.sleep(rng.uniform(0.0, 1.0))
                    victim.start()  # ...and it comes back from its files
                    next_desk_kill = time.monotonic() + desk_kill_every * rng.uniform(0.5, 1.5)
                for d in desks:
                    if not d.alive():
                        raise RuntimeError(f"desk {d.name} died:\n{d.log()[-3000:]}")
                if now - last_report >= 30:
                    last_report = now
                    print(f"  {now - started:5.0f} s: recorded {[d.recorded() for d in desks]}, faults {proxy.faults}, "
                          f"server kills {server_kills}, desk kills {sum(d.kills for d in desks)}", flush=True)  # fmt: skip
                time.sleep(0.1)
            recording = time.monotonic() - started
            (control / "drain").write_text("go")
            wait_for(lambda: all((control / f"drained-{d.name}").exists() for d in desks), 300, "outboxes to drain", desks)
            drained = time.monotonic() - started
            (control / "final").write_text("go")
            wait_for(lambda: all((control / f"result-{d.name}.json").exists() for d in desks), 120, "final pulls", desks)
            for d in desks:
                if d.wait(60) != 0:
                    raise RuntimeError(f"desk {d.name} failed:\n{d.log()[-3000:]}")
            results = [d.result() for d in desks]
            return _report(data_dir, results, proxy, server_kills, desks, recording, drained)
        finally:
            for d in desks:
                d.kill()
            if proxy is not None:
                proxy.stop()
            server.stop()


def _report(data_dir: Path, results: list[dict], proxy: FaultProxy, server_kills: int, desks: list[DeskProcess],
            recording: float, drained: float) -> bool:  # fmt: skip
    t = tally(data_dir, results)
    recorded, rejected, lost, extra, duplicated, gaps, n_applied = (t.recorded, t.rejected, t.lost, t.extra, t.duplicated,
                                                                     t.gaps, t.applied)  # fmt: skip
    digests_equal = len({r["digest"] for r in results}) == 1 and results[0]["digest"] == server_digest(data_dir)
    per_desk = ", ".join(f"{d.name}={sum(r['counts'].values())}" for d, r in zip(desks, results, strict=True))
    print(f"  mutations recorded : {recorded:,} ({per_desk})")
    print(f"  applied / rejected : {n_applied:,} / {rejected:,}")
    print(f"  lost / duplicated  : {lost} / {duplicated} (extra on server {extra}, desks with seq gaps {gaps}); must be 0")
    print(f"  faults injected    : {proxy.faults:,} {dict(proxy.injected)} in {proxy.requests:,} requests")
    print(f"  kills survived     : server {server_kills}, desks {sum(d.kills for d in desks)} {({d.name: d.kills for d in desks})}")
    print(f"  final digests equal: {digests_equal} (3 desk caches and the server; sizes {results[0]['sizes']})")
    print(f"  throughput         : {recorded / recording:,.1f} mutations/s recorded over {recording:.0f} s; "
          f"all applied {drained - recording:.1f} s after recording stopped; {n_applied / drained:,.1f} applied/s overall")  # fmt: skip
    return lost == duplicated == extra == gaps == 0 and digests_equal


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=5.0, help="how long the desks record (default 5)")
    parser.add_argument("--chaos", type=float, default=0.12, help="share of sync requests the proxy breaks (default 0.12)")
    parser.add_argument("--server-kill-every", type=float, default=40.0, help="seconds between server kills, on average")
    parser.add_argument("--desk-kill-every", type=float, default=60.0, help="seconds between desk kills, on average")
    parser.add_argument("--interval", type=float, default=0.03, help="seconds between two changes at a desk")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print(f"\nsoak: {len(DESKS)} desks for {args.minutes:g} min, chaos {args.chaos}, server killed about every "
          f"{args.server_kill_every:g} s, a desk about every {args.desk_kill_every:g} s")  # fmt: skip
    ok = run(args.minutes, args.chaos, args.server_kill_every, args.desk_kill_every, args.interval, args.seed)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
