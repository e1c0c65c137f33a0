"""A sampling profiler for one server process under load, from the standard library only.

    python -m bench.load.profiler OUT.txt serve --data-dir ... --port ...

runs `python -m server.cli` with the same arguments, and a daemon thread that looks at every
thread's Python stack `RATE` times a second (sys._current_frames). When the server stops
(SIGTERM, as the load test stops it) the stacks are written to OUT.txt, one line per distinct
stack, in the collapsed form flame graph tools read: "outer;...;inner count". It samples only
between SIGUSR1 and SIGUSR2, which the load test sends at the start and end of its measured
window (sign-ins and first pulls are left out). Nothing of this is in the server's own code: the
load test starts the profiled process this way (--profile).

Sampling, not tracing (cProfile): tracing every call slows a request path made of many small
calls several times over, and would move the figures it is meant to explain. A thread blocked in
C (SQLite's fsync, a socket read) shows at the Python frame that called it: the samples are wall
time per thread; the event loop's busy samples are the ones that delay every request.
"""

from __future__ import annotations

import collections
import os
import signal
import sys
import threading
import time
from pathlib import Path
from types import CodeType, FrameType

RATE = 100  # samples per second, as py-spy's default

_ROOT = str(Path(__file__).resolve().parents[2]) + os.sep


def _where(code: CodeType) -> str:
    name = code.co_filename
    if "site-packages" + os.sep in name:
        name = name.split("site-packages" + os.sep, 1)[1]
    elif name.startswith(_ROOT):
        name = name[len(_ROOT):]
    elif os.sep + "python3" in name:  # the standard library: lib/python3.11/asyncio/... -> asyncio/...
        name = name.split(os.sep + "python3", 1)[1].split(os.sep, 1)[-1]
    return f"{code.co_qualname} ({name})"


class Sampler:
    def __init__(self, rate: int = RATE) -> None:
        self.interval = 1.0 / rate
        self.stacks: collections.Counter[tuple[str, tuple[CodeType, ...]]] = collections.Counter()
        self._names: dict[int, str] = {}
        self._stop = threading.Event()
        self.recording = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-profiler", daemon=True)

    def start(self) -> Sampler:
        self._thread.start()
        return self

    def _run(self) -> None:
        me = threading.get_ident()
        while not self._stop.wait(self.interval):
            if not self.recording.is_set():
                continue
            names = {t.ident: t.name for t in threading.enumerate()}
            for ident, frame in sys._current_frames().items():
                if ident == me:
                    continue
                codes: list[CodeType] = []
                f: FrameType | None = frame
                while f is not None:
                    codes.append(f.f_code)
                    f = f.f_back
                name = names.get(ident, "?")
                kind = "event loop" if name == "MainThread" else "gc" if name == "gc-freeze" else "worker threads"
                self.stacks[(kind, tuple(reversed(codes)))] += 1

    def write(self, path: Path) -> None:
        self._stop.set()
        self._thread.join(1)
        lines = [f"{kind};{';'.join(_where(c) for c in codes)} {n}" for (kind, codes), n in self.stacks.items()]
        path.write_text("\n".join(lines) + "\n")


class Tracer:
    """cProfile in every thread, timed by each thread's own CPU clock (time.thread_time): what
    the sampler cannot tell, which Python code burns the CPU. It slows calls down several times,
    so its figures are shares, not times; for a few requests in a row (not the load test).
    Written as one pstats file (OUT.txt.pstats)."""

    def __init__(self) -> None:
        import cProfile

        self._new = lambda: cProfile.Profile(time.thread_time)
        self.profiles: list = []
        self.recording = threading.Event()
        self._local = threading.local()

    def _bootstrap(self, *_args) -> None:  # the first profile event of each thread started after us
        sys.setprofile(None)
        self._profile_this_thread()

    def _profile_this_thread(self) -> None:
        prof = self._new()
        self.profiles.append(prof)
        prof.enable()

    def start(self) -> Tracer:
        threading.setprofile(self._bootstrap)
        self._profile_this_thread()
        return self

    def write(self, path: Path) -> None:
        import pstats

        for prof in self.profiles:
            prof.disable()  # only this thread's; the others' numbers are read as they stand
        stats = pstats.Stats(self.profiles[0])
        for prof in self.profiles[1:]:
            try:
                stats.add(prof)
            except TypeError:  # a thread that never ran anything
                continue
        stats.dump_stats(str(path) + ".pstats")


def main() -> int:
    out = Path(sys.argv[1])
    sampler = Tracer().start() if os.environ.get("BENCH_PROFILER") == "cprofile" else Sampler().start()
    signal.signal(signal.SIGUSR1, lambda *_: sampler.recording.set())
    signal.signal(signal.SIGUSR2, lambda *_: sampler.recording.clear())
    from server.cli import main as cli_main

    def write_and_stop(signum: int, _frame: object) -> None:
        # uvicorn handles SIGTERM while it serves, then puts this handler back and raises the
        # signal again once it has stopped: the process ends here, not by returning.
        sampler.write(out)
        signal.signal(signum, signal.SIG_DFL)
        signal.raise_signal(signum)

    signal.signal(signal.SIGTERM, write_and_stop)
    signal.signal(signal.SIGINT, write_and_stop)
    try:
        return cli_main(sys.argv[2:])
    finally:
        sampler.write(out)


if __name__ == "__main__":
    sys.exit(main())
