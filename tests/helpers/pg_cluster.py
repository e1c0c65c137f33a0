"""Throw-away PostgreSQL servers for tests and benchmarks: a cluster of its own in a temp dir,
made with initdb and run with pg_ctl from Debian's postgresql package, on 127.0.0.1 and a free
port, trust auth. Used as the second server of a shard map, next to the one on 127.0.0.1:5432.

PostgreSQL will not run as root: as root, the cluster belongs to the `postgres` user (runuser).
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.helpers.server_process import free_port


class Unavailable(RuntimeError):
    """No initdb/pg_ctl here; the message says what to install."""


def _bin(name: str) -> str:
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None)
    if found is None:
        raise Unavailable(f"{name} is not installed (Debian: apt-get install postgresql)")
    return found


def as_service_user(cmd: list[str]) -> list[str]:
    """The command as the `postgres` user when we are root (PostgreSQL and PgBouncer refuse root)."""
    if os.geteuid() != 0:
        return cmd
    runuser = shutil.which("runuser") or "/usr/sbin/runuser"
    return [runuser, "-u", "postgres", "--", *cmd]


def service_dir(prefix: str) -> Path:
    """A temp dir the service user owns (as root: `postgres`)."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    if os.geteuid() == 0:
        shutil.chown(path, "postgres", "postgres")
    return path


class TempCluster:
    def __init__(self, *, durable: bool = False, max_connections: int = 300):
        self.durable = durable  # False: fsync off, fine for a test's throw-away data
        self.max_connections = max_connections
        self.base: Path | None = None
        self.port = free_port()

    @property
    def admin_dsn(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> TempCluster:
        initdb, pg_ctl = _bin("initdb"), _bin("pg_ctl")
        self.base = service_dir("frontdesk-pg-")
        data = self.base / "data"
        done = subprocess.run(
            as_service_user([initdb, "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"]),
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        if done.returncode != 0:
            self.stop()
            raise RuntimeError(f"initdb failed: {done.stderr or done.stdout}")
        options = f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 -c max_connections={self.max_connections}"
        if not self.durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        done = subprocess.run(
            as_service_user([pg_ctl, "-D", str(data), "-o", options, "-l", str(self.base / "log"), "-w", "-t", "60", "start"]),
            capture_output=True, text=True, timeout=90,
        )  # fmt: skip
        if done.returncode != 0:
            log = (self.base / "log").read_text(errors="replace") if (self.base / "log").exists() else ""
            self.stop()
            raise RuntimeError(f"pg_ctl start failed: {done.stderr or done.stdout}\n{log}")
        return self

    def stop(self) -> None:
        if self.base is None:
            return
        data = self.base / "data"
        if (data / "postmaster.pid").exists():
            subprocess.run(as_service_user([_bin("pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]),
                           capture_output=True, timeout=60)  # fmt: skip
        shutil.rmtree(self.base, ignore_errors=True)
        self.base = None

    def __enter__(self) -> TempCluster:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
