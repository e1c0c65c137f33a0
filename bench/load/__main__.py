"""Load test: N desks per account across M accounts against the server on loopback.

    python -m bench.load                       # 200 desks (50 accounts x 4), 60 s, every set-up
    python -m bench.load --only sqlite:1 --seconds 30
    python -m bench.load --profile             # also a profile of one server process (bench.load.profiler)

Set-ups: SQLite files or PostgreSQL (a server of its own, PgBouncer in transaction pooling in
front), with one server process or several behind nginx. Everything is started and stopped here,
in a temp dir, on 127.0.0.1. Not part of the test run: it prints figures and compares each set-up
with the first one of the same run; it asserts no timing.

Desks sign in over --ramp seconds; the window starts once all have signed in and caught up, at
the start of a class change-over. Per route: requests, rate, p50/p99 latency, errors (anything
but 2xx, or no answer). "wait" is the long-poll, held open on purpose: its line counts answers
and errors, and "seen by other desks" is how long after a push's answer another desk of the
account was told. CPU is per process, as a share of one core, over the measured window (from
/proc, through psutil), the load generator's own included: it runs on the same cores. The
machine's load average is printed too: other work on it shows in every figure.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import signal
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from bench.load.desks import Desk, Rates, Stats
from bench.load.stack import MissingPackage, make_data, need, serve
from server.gc_tuning import tune as tune_gc

GOAL_P99 = 0.100
ROUTES = ("login", "first pull", "push", "pull", "wait", "(generator lag)")


def _parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--accounts", type=int, default=int(os.environ.get("BENCH_LOAD_ACCOUNTS", 50)))
    p.add_argument("--desks", type=int, default=int(os.environ.get("BENCH_LOAD_DESKS", 4)), help="desks per account")
    p.add_argument("--families", type=int, default=40, help="demo families per account")
    p.add_argument("--seconds", type=float, default=float(os.environ.get("BENCH_LOAD_SECONDS", 60)),
                   help="measured window, from the start of a change-over (a whole number of 60 s cycles is fair)")
    p.add_argument("--ramp", type=float, default=60.0, help="seconds over which desks sign in (not measured, but login and first pull are)")
    p.add_argument("--only", action="append", default=None, help="KIND:PROCESSES, e.g. sqlite:1 or postgresql:2 (repeat)")
    p.add_argument("--processes", default="1,2", help="server process counts to run (default 1,2)")
    p.add_argument("--profile", action="store_true", help="sample the first server process of each set-up during the window (bench.load.profiler)")
    p.add_argument("--profile-dir", type=Path, default=None, help="keep the raw profiles (collapsed stacks) and server logs here")
    p.add_argument("--seed", type=int, default=7)
    return p.parse_args()


def _setups(args: argparse.Namespace) -> list[tuple[str, int]]:
    if args.only:
        return [(o.split(":")[0], int(o.split(":")[1])) for o in args.only]
    counts = [int(n) for n in args.processes.split(",")]
    return [(kind, n) for kind in ("sqlite", "postgresql") for n in counts]


class Cpu:
    """CPU seconds of processes (and their children, e.g. PostgreSQL's backends) over a window."""

    def __init__(self, groups: dict[str, list[int]]):
        import psutil

        self.psutil = psutil
        self.groups = groups
        self.start = {name: self._times(pids) for name, pids in groups.items()}
        self.began = time.monotonic()

    def _times(self, pids: list[int]) -> dict[int, float]:
        out: dict[int, float] = {}
        for pid in pids:
            try:
                proc = self.psutil.Process(pid)
                for p in [proc, *proc.children(recursive=True)]:
                    t = p.cpu_times()
                    out[p.pid] = t.user + t.system
            except self.psutil.NoSuchProcess:
                continue
        return out

    def shares(self) -> dict[str, list[float]]:
        """Per group: each listed process's share of one core (children added to their parent)."""
        wall = time.monotonic() - self.began
        result = {}
        for name, pids in self.groups.items():
            end = self._times(pids)
            before = self.start[name]
            result[name] = [sum(end.get(p, 0) - before.get(p, 0) for p in end) / wall] if name in ("postgresql", "nginx") else [
                (end.get(pid, 0) - before.get(pid, 0)) / wall for pid in pids
            ]
        return result


def _pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))] if s else float("nan")


async def _drive(url: str, data, args: argparse.Namespace, rates: Rates, on_window) -> tuple[Stats, float]:  # noqa: ANN001
    stats = Stats()
    stop = asyncio.Event()
    caches: dict[str, dict] = {a.slug: {} for a in data.accounts}
    desks = [Desk(url, account, n + 1, stats, rates, stop, caches[account.slug]) for account in data.accounts for n in range(args.desks)]
    tasks = [asyncio.create_task(d.run(args.ramp)) for d in desks]

    async def lag() -> None:  # how late this process's own event loop runs: part of every figure above
        while not stop.is_set():
            began = time.perf_counter()
            await asyncio.sleep(0.01)
            if stats.measuring():
                stats.latencies["(generator lag)"].append(time.perf_counter() - began - 0.01)

    tasks.append(asyncio.create_task(lag()))
    await asyncio.sleep(args.ramp)
    # The window starts once every desk has signed in and caught up (sign-in hashes a password:
    # a queue of them is not the steady state measured here), and a few seconds after.
    deadline = time.monotonic() + 120
    while stats.settled < len(desks) and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    if stats.settled < len(desks):
        print(f"  ({len(desks) - stats.settled} desks had not signed in and caught up 120 s after the ramp; measuring anyway)")
    stats.ramp_took = time.monotonic() - stats.started
    # ...and at the start of a class change-over, so that every window of a whole number of cycles
    # holds as many bursts as quiet times.
    await asyncio.sleep(rates.cycle - (time.monotonic() - stats.started + 3) % rates.cycle + 3)
    stats.measuring_from = time.monotonic()
    window = on_window()
    await asyncio.sleep(args.seconds)
    took = time.monotonic() - stats.measuring_from
    stats.measuring_from = float("inf")
    window.close(took)
    stop.set()
    # Open long-polls end within their timeout; no need to wait for them.
    await asyncio.wait(tasks, timeout=5)
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return stats, took


class Window:
    """What happens during the measured window besides the desks: CPU figures and the profile."""

    def __init__(self, service, profile: bool):  # noqa: ANN001
        self.cpu = Cpu({**service.services, "load generator": [os.getpid()]})
        self.loadavg_before = os.getloadavg()
        self.profiled = service.servers[0].proc.pid if profile else None
        if self.profiled is not None:
            os.kill(self.profiled, signal.SIGUSR1)  # bench.load.profiler: sample from now
        self.shares: dict[str, list[float]] = {}

    def close(self, _took: float) -> None:
        self.shares = self.cpu.shares()
        self.loadavg_after = os.getloadavg()
        if self.profiled is not None:
            os.kill(self.profiled, signal.SIGUSR2)  # and no more: the stacks are written when it stops


def _report(name: str, stats: Stats, took: float, window: Window, desks: int) -> dict:
    shares = window.shares
    print(f"\n{name}: {desks} desks, {took:.0f} s measured, after all had signed in and caught up ({stats.ramp_took:.0f} s)")
    print(f"  {'route':<11} {'requests':>8} {'per s':>7} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} {'errors':>6}")
    summary = {"rate": 0.0, "p99": {}, "errors": 0}
    for route in ROUTES:
        lat = stats.latencies.get(route, [])
        errors = len(stats.errors.get(route, []))
        summary["errors"] += errors
        if route == "wait":
            print(f"  {route:<11} {stats.waits_answered:>8} {stats.waits_answered / took:>7.1f} {'(held open: long-poll)':>23} {errors:>6}")
            continue
        rate = len(lat) / took if route not in ("login", "first pull") else float("nan")
        if route == "(generator lag)":
            print(f"  {route:<11} {len(lat):>8} {'':>7} {_pct(lat, .5) * 1000:>7.1f} {_pct(lat, .99) * 1000:>7.1f} "
                  f"{(max(lat) if lat else float('nan')) * 1000:>7.1f}  (the load generator's own delay, in every figure)")  # fmt: skip
            continue
        if route not in ("login", "first pull"):
            summary["rate"] += rate
            summary["p99"][route] = _pct(lat, 0.99)
        print(f"  {route:<11} {len(lat):>8} {rate:>7.1f} {_pct(lat, .5) * 1000:>7.1f} {_pct(lat, .99) * 1000:>7.1f} "
              f"{(max(lat) if lat else float('nan')) * 1000:>7.1f} {errors:>6}")  # fmt: skip
    stats.settle_early()
    seen = stats.seen_after
    print(f"  change seen by other desks: p50 {_pct(seen, .5) * 1000:.0f} ms, p99 {_pct(seen, .99) * 1000:.0f} ms ({len(seen)} wake-ups)"
          f"; mutations rejected by the server: {stats.rejected}")  # fmt: skip
    answered = sum(len(stats.latencies.get(r, [])) for r in ("push", "pull")) + stats.waits_answered
    print(f"  throughput: {answered / took:.1f} requests/s answered (push, pull and long-polls answered: {stats.waits_answered / took:.1f}/s)")
    cpu = "; ".join(f"{k} {' + '.join(f'{v * 100:.0f}%' for v in vs)}" for k, vs in shares.items())
    print(f"  CPU (share of one core, {os.cpu_count()} cores in all): {cpu}")
    print("    (the load generator runs on the same cores: its CPU is taken from the servers', and its lag is in every figure)")
    before, after = window.loadavg_before, window.loadavg_after
    print(f"  machine load average (1 min): {before[0]:.1f} at the start, {after[0]:.1f} at the end of the window")
    for route, errs in stats.errors.items():
        for e in errs[:3]:
            print(f"  error on {route}: {e}")
    worst = max(summary["p99"].values(), default=float("nan"))
    verdict = "MET" if worst < GOAL_P99 and summary["errors"] == 0 else "NOT met"
    print(f"  goal (p99 < {GOAL_P99 * 1000:.0f} ms on push and pull, zero errors): {verdict} (worst p99 {worst * 1000:.1f} ms)")
    summary["worst"] = worst
    return summary


# Where a sample's time goes: the first matching rule, looking from the innermost frame outwards.
_LAYERS = (
    ("argon2", "password hashing (sign-in)"),
    ("do_execute", "database: running SQL"),
    ("fetch", "database: fetching rows"),
    ("do_commit", "database: commit"),
    ("do_rollback", "database: rollback"),
    ("_on_begin", "database: begin"),
    ("pool/", "database: connection pool"),
    ("sqlalchemy/orm", "SQLAlchemy ORM (objects, identity map)"),
    ("sqlalchemy/", "SQLAlchemy Core (statements, compile cache)"),
    ("pydantic", "pydantic (validation, JSON)"),
    ("jwt/", "access tokens (JWT)"),
    ("fastapi/", "FastAPI (routing, dependencies)"),
    ("starlette/", "Starlette"),
    ("anyio/", "thread hand-offs (anyio)"),
    ("h11", "HTTP parsing (h11)"),
    ("uvicorn/", "uvicorn"),
    ("asyncio/", "asyncio event loop"),
    ("server/", "Frontdesk server code"),
    ("sync/", "Frontdesk shared code (sync/)"),
)
_LAYERS = (("psycopg/", "database driver (psycopg)"),) + _LAYERS
# A thread whose innermost frame is one of these is idle (waiting for work), not counted. Under
# uvloop the loop waits in C, inside Runner.run: a sample there is the loop waiting (or in uvloop's
# own C code, a sliver), while the Python it runs shows as frames of their own.
_IDLE = {"_PollLikeSelector.select", "EpollSelector.select", "SqliteRelay._poll", "Condition.wait", "Event.wait", "_worker",
         "SimpleQueue.get", "Runner.run"}  # fmt: skip


def _profile_summary(path: Path) -> None:
    """bench.load.profiler's stacks, idle waits left out: per thread kind, time by layer, by route, by function."""
    if not path.exists():
        print("  (no profile written)")
        return
    by_kind: dict[str, dict[str, dict[str, int]]] = {}
    busy: dict[str, int] = {}
    samples: dict[str, int] = {}
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        kind, *frames = stack.split(";")
        n = int(count)
        samples[kind] = samples.get(kind, 0) + n
        if not frames or frames[-1].split(" (")[0] in _IDLE:
            continue
        busy[kind] = busy.get(kind, 0) + n
        tables = by_kind.setdefault(kind, {"layer": {}, "route": {}, "self": {}, "total": {}})
        layer = next((name for frame in reversed(frames) for key, name in _LAYERS if key in frame), "other (Python, threads)")
        route = next((("dependency " if "/routes/" not in f else "route ") + f.split(" (")[0]
                      for f in frames if "api/routes/" in f or "api/deps.py" in f or "api/guards.py" in f), None)  # fmt: skip
        if route is None:
            route = "garbage collection" if kind == "gc" else "HTTP and the event loop (uvicorn, h11, asyncio)"
        for table, key in (("layer", layer), ("route", route), ("self", frames[-1])):
            tables[table][key] = tables[table].get(key, 0) + n
        for f in set(frames):
            tables["total"][f] = tables["total"].get(f, 0) + n
    if not busy:
        print("  (empty profile)")
        return
    seconds = samples.get("event loop", 0) / 100 or float("nan")  # one thread, sampled at every tick
    print(f"  profile of server process 1 (bench.load.profiler, 100 samples/s, {seconds:.0f} s); busy share of each thread kind:")
    for kind, n in sorted(busy.items(), key=lambda kv: -kv[1]):
        print(f"    {kind}: {n / 100:.1f} thread-seconds busy = {n / 100 / seconds * 100:.0f}% of the window")
    for kind in ("event loop", "worker threads"):
        tables = by_kind.get(kind)
        if not tables:
            continue
        total = busy[kind]
        for title, key, top in (("by layer (innermost)", "layer", 10), ("by route or dependency", "route", 8),
                                ("functions, self", "self", 12), ("functions, inclusive", "total", 25)):  # fmt: skip
            print(f"  {kind}, {title}:")
            rows = sorted(tables[key].items(), key=lambda kv: -kv[1])
            if key == "total":  # the frames every stack has (thread start, the loop itself) say nothing
                rows = [r for r in rows if r[1] < total * 0.97]
            for name, n in rows[:top]:
                print(f"    {n / total * 100:5.1f}%  {name}")


def main() -> int:
    args = _parse()
    random.seed(args.seed)
    rates = Rates()
    try:
        import psutil  # noqa: F401
    except ImportError:
        print("psutil is not installed: pip install -e '.[dev]'", file=sys.stderr)
        return 2
    setups = _setups(args)
    for kind, n in setups:
        try:
            if n > 1:
                need("nginx")
            if kind == "postgresql":
                need("pgbouncer")
                need("initdb")
        except MissingPackage as exc:
            print(f"Cannot run {kind} with {n} process(es): {exc}", file=sys.stderr)
            return 2
    desks = args.accounts * args.desks
    print(f"Load test: {args.accounts} accounts x {args.desks} desks = {desks} desks; check-ins every ~{rates.quiet_every:.0f} s per desk, "
          f"every ~{rates.burst_every:.0f} s in a {rates.burst:.0f} s change-over each {rates.cycle:.0f} s, a register of "
          f"{rates.register} marks per change-over from half the desks; long-polls of 20 s. {os.cpu_count()} cores.")  # fmt: skip
    results: list[tuple[str, dict]] = []
    tune_gc()  # this process's pauses would show in every figure, as the server's would
    with tempfile.TemporaryDirectory(prefix="frontdesk-load-") as tmp:
        root = Path(tmp)
        for kind in dict.fromkeys(k for k, _ in setups):
            with ExitStack() as data_stack:
                began = time.monotonic()
                data = make_data(data_stack, kind, root, args.accounts, args.families)
                print(f"\n[{kind}: {args.accounts} accounts made in {time.monotonic() - began:.0f} s]")
                for _kind, n in [s for s in setups if s[0] == kind]:
                    profile = root / f"profile-{kind}-{n}.txt" if args.profile else None
                    with ExitStack() as stack:
                        service = serve(stack, data, n, root, profile)
                        name = f"{kind}, {n} server process{'es behind nginx' if n > 1 else ''}" + (", PgBouncer" if kind == "postgresql" else "")
                        windows: list[Window] = []
                        stats, took = asyncio.run(_drive(service.url, data, args, rates, lambda: windows.append(Window(service, profile is not None)) or windows[-1]))
                        results.append((name, _report(name, stats, took, windows[0], desks)))
                    for log in sorted((root / "logs").glob(f"server-{kind}-{n}-*.log")):
                        said = [line for line in log.read_text(errors="replace").splitlines() if " ERROR " in line or " WARNING " in line]
                        if said:
                            print(f"  {log.name}: {len(said)} warnings or errors, e.g. {said[0][:300]}")
                        if args.profile_dir is not None:
                            args.profile_dir.mkdir(parents=True, exist_ok=True)
                            shutil.copy(log, args.profile_dir / log.name)
                    if profile is not None:  # written when the server stopped
                        _profile_summary(profile)
                        if args.profile_dir is not None and profile.exists():
                            args.profile_dir.mkdir(parents=True, exist_ok=True)
                            shutil.copy(profile, args.profile_dir / profile.name)
    base_name, base = results[0]
    print(f"\nAgainst {base_name} (same run):")
    for name, r in results:
        print(f"  {name:<58} throughput x{r['rate'] / base['rate']:.2f}, worst p99 x{r['worst'] / base['worst']:.2f}, errors {r['errors']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
