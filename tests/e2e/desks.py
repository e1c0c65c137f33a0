"""Desk processes for the end-to-end tests (tests/e2e/desk_worker.py), killable like a power cut."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.helpers.enrollment import code_for
from tests.helpers.server_process import REPO_ROOT
from tests.helpers.waits import wait_for
from tests.sync.conftest import server_rows


class DeskProcess:
    def __init__(self, name: str, config: dict, workdir: Path):
        self.name = name
        # A code to enroll it with (the desk's credential is in its folder: tests.helpers.enrollment.own_secret).
        self.config = {"enrollment_code": code_for(config["server_url"], config["account"]), **config, "name": name}
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


def wait_for_desks(predicate, timeout: float, what: str, desks: list[DeskProcess] = ()) -> None:
    """tests.helpers.waits.wait_for that fails at once when a desk process dies, with the desks' logs."""

    def none_died() -> None:
        for d in desks:
            if d.proc is not None and d.proc.poll() not in (None, 0):
                raise AssertionError(f"desk {d.name} died while waiting for {what}:\n{d.log()[-3000:]}")

    wait_for(predicate, timeout, what, check=none_died,
             describe=lambda: "\n".join(f"--- {d.name}\n{d.log()[-1500:]}" for d in desks))  # fmt: skip


def server_digest(data_dir) -> str:
    """The digest desk_worker.cache_digest makes, of the server's rows (equal once desks converged)."""
    check_ins = sorted(r[0] for r in server_rows(data_dir, "SELECT id FROM check_in"))
    marks = sorted(r[0] for r in server_rows(data_dir, "SELECT id FROM attendance_mark"))
    register = sorted(tuple(r) for r in server_rows(data_dir, "SELECT id, status, mark_id FROM attendance"))
    return hashlib.sha256(json.dumps([check_ins, marks, [list(r) for r in register]]).encode()).hexdigest()


@dataclass(frozen=True)
class Tally:
    """What the desks recorded against what the server holds (the chaos test and bench.sync_soak)."""

    recorded: int  # every mutation in the desks' outboxes
    applied: int
    rejected: int
    lost: int  # recorded at a desk, not on the server
    extra: int  # on the server, recorded at no desk
    duplicated: int  # a row or an applied (desk, seq) twice
    gaps: int  # desks whose seqs on the server are not exactly 1..n
    on_server_check_ins: list[str]
    on_server_marks: list[str]
    recorded_check_ins: list[str]
    recorded_marks: list[str]


def tally(data_dir, results: list[dict]) -> Tally:  # noqa: ANN001
    desk_ids = [r["desk_id"] for r in results]
    marks = ",".join("?" * len(desk_ids))
    recorded_check_ins = [i for r in results for i in r["check_in_ids"]]
    recorded_marks = [i for r in results for i in r["mark_ids"]]
    check_ins = [r[0] for r in server_rows(data_dir, f"SELECT id FROM check_in WHERE desk_id IN ({marks})", *desk_ids)]
    on_marks = [r[0] for r in server_rows(data_dir, f"SELECT id FROM attendance_mark WHERE desk_id IN ({marks})", *desk_ids)]
    applied = server_rows(data_dir, f"SELECT desk_id, seq, status FROM applied_mutation WHERE desk_id IN ({marks})", *desk_ids)
    gaps = 0
    for desk_id, result in zip(desk_ids, results, strict=True):
        seqs = sorted(s for d, s, _ in applied if d == desk_id)
        gaps += seqs != list(range(1, sum(result["counts"].values()) + 1))  # every seq once, no gap
    return Tally(
        recorded=sum(sum(r["counts"].values()) for r in results),
        applied=sum(1 for a in applied if a[2] == "applied"),
        rejected=sum(r["counts"]["rejected"] for r in results),
        lost=len(set(recorded_check_ins) - set(check_ins)) + len(set(recorded_marks) - set(on_marks)),
        extra=len(set(check_ins) - set(recorded_check_ins)) + len(set(on_marks) - set(recorded_marks)),
        duplicated=(len(check_ins) - len(set(check_ins))) + (len(on_marks) - len(set(on_marks)))
        + (len(applied) - len({(d, s) for d, s, _ in applied})),
        gaps=gaps,
        on_server_check_ins=check_ins, on_server_marks=on_marks,
        recorded_check_ins=recorded_check_ins, recorded_marks=recorded_marks,
    )  # fmt: skip
