"""Desk processes for the end-to-end tests (tests/e2e/desk_worker.py), killable like a power cut."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.helpers.server_process import REPO_ROOT


class DeskProcess:
    def __init__(self, name: str, config: dict, workdir: Path):
        self.name = name
        self.config = {**config, "name": name}
        self.workdir = workdir
        self.config_path = workdir / f"desk-{name}.json"
        self.log_path = workdir / f"desk-{name}.log"
        self.proc: subprocess.Popen | None = None
        self.kills = 0

    def start(self) -> DeskProcess:
        self.config_path.write_text(json.dumps(self.config))
        env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "tests.e2e.desk_worker", str(self.config_path)],
                cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        return self

    def recorded(self) -> int:
        """The last "recorded N" the desk printed (0 before its first change)."""
        if not self.log_path.exists():
            return 0
        lines = [ln for ln in self.log_path.read_text(errors="replace").splitlines() if ln.startswith("recorded ")]
        return int(lines[-1].split()[1]) if lines else 0

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        if self.alive():
            self.proc.send_signal(signal.SIGKILL)
            self.kills += 1
        if self.proc is not None:
            self.proc.wait()

    def wait(self, timeout: float) -> int:
        assert self.proc is not None
        return self.proc.wait(timeout)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def result(self) -> dict:
        return json.loads((Path(self.config["control_dir"]) / f"result-{self.name}.json").read_text())


def wait_for(predicate, timeout: float, what: str, desks: list[DeskProcess] = ()) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        for d in desks:
            if d.proc is not None and d.proc.poll() not in (None, 0):
                raise AssertionError(f"desk {d.name} died while waiting for {what}:\n{d.log()[-3000:]}")
        if time.monotonic() > deadline:
            logs = "\n".join(f"--- {d.name}\n{d.log()[-1500:]}" for d in desks)
            raise AssertionError(f"timed out after {timeout} s waiting for {what}\n{logs}")
        time.sleep(0.05)
