"""A PgBouncer of our own in front of a PostgreSQL server, in transaction pooling mode (the
supported set-up, see the README), for tests and benchmarks.

Clients authenticate to it with their role's password (SCRAM), which it checks against the
server's pg_shadow through auth_query as `auth_user`; every database on the server is reachable
through it (the "*" entry), as accounts get databases of their own.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.helpers.pg_cluster import service_dir
from tests.helpers.server_process import free_port

INSTALL = "PgBouncer is not installed (Debian: apt-get install pgbouncer)"


def pgbouncer_bin() -> str | None:
    return shutil.which("pgbouncer") or next((p for p in ("/usr/sbin/pgbouncer", "/usr/bin/pgbouncer") if os.path.exists(p)), None)


def skip_unless_installed() -> None:
    if pgbouncer_bin() is None:
        pytest.skip(INSTALL)


class PgBouncer:
    def __init__(
        self, server_host: str = "127.0.0.1", server_port: int = 5432, *, auth_user: str = "postgres", pool_size: int = 20, idle_timeout: int = 600
    ):
        self.server = (server_host, server_port)
        self.auth_user = auth_user
        self.pool_size = pool_size  # server connections per database and role, i.e. per account
        self.idle_timeout = idle_timeout  # an account's idle server connections close after this
        self.port = free_port()
        self.base: Path | None = None
        self.proc: subprocess.Popen | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> PgBouncer:
        exe = pgbouncer_bin()
        if exe is None:
            raise RuntimeError(INSTALL)
        self.base = service_dir("frontdesk-pgbouncer-")
        (self.base / "userlist.txt").write_text(f'"{self.auth_user}" ""\n')
        host, port = self.server
        (self.base / "pgbouncer.ini").write_text(
            "[databases]\n"
            f"* = host={host} port={port}\n"
            "[pgbouncer]\n"
            f"listen_addr = 127.0.0.1\nlisten_port = {self.port}\nunix_socket_dir =\n"
            "pool_mode = transaction\n"
            "auth_type = scram-sha-256\n"
            f"auth_file = {self.base / 'userlist.txt'}\n"
            f"auth_user = {self.auth_user}\n"
            "auth_query = SELECT usename, passwd FROM pg_shadow WHERE usename = $1\n"
            f"default_pool_size = {self.pool_size}\nmax_client_conn = 2000\nserver_idle_timeout = {self.idle_timeout}\n"
            "server_reset_query =\nlog_connections = 0\nlog_disconnections = 0\n"
            f"admin_users = {self.auth_user}\n"
            "ignore_startup_parameters = extra_float_digits\n"
            f"logfile = {self.base / 'pgbouncer.log'}\n"
            f"pidfile = {self.base / 'pgbouncer.pid'}\n"
        )
        if os.geteuid() == 0:
            for name in ("userlist.txt", "pgbouncer.ini"):
                shutil.chown(self.base / name, "postgres", "postgres")
        # It refuses to run as root: as root it is told to become `postgres` itself (-u), so our
        # process is PgBouncer's own and a signal reaches it.
        user = ["-u", "postgres"] if os.geteuid() == 0 else []
        # Its output goes to a file: it also logs to stderr, and a pipe nobody reads would fill up
        # and stop it dead (it blocks on the write).
        self._out = open(self.base / "stderr.log", "wb")
        self.proc = subprocess.Popen([exe, *user, str(self.base / "pgbouncer.ini")], stdout=self._out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        import socket

        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                err = (self.base / "stderr.log").read_text(errors="replace")
                self.stop()
                raise RuntimeError(f"pgbouncer exited at start: {err}{self.log}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise TimeoutError("pgbouncer did not listen in 10 s")

    @property
    def log(self) -> str:
        path = self.base / "pgbouncer.log" if self.base else None
        return path.read_text(errors="replace") if path is not None and path.exists() else ""

    def stop(self) -> None:
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGINT)  # immediate shutdown
                try:
                    self.proc.wait(10)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
            self._out.close()
            self.proc = None
        if self.base is not None:
            shutil.rmtree(self.base, ignore_errors=True)
            self.base = None

    def __enter__(self) -> PgBouncer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
