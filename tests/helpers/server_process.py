"""Real Frontdesk servers for tests: a subprocess (can be SIGKILLed) or a uvicorn thread (fast).

Both listen on 127.0.0.1 only and answer real HTTP, so tests go through the same stack as a
desk does. Use them as context managers: the server is stopped even when the test fails.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

from tests.helpers.clock import pinned_clock, pinned_today
from tests.helpers.enrollment import register_server

REPO_ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 15.0


def free_port() -> int:
    """A TCP port nobody listens on right now (another process could still take it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_account(
    data_dir: str | os.PathLike,
    slug: str = "acme",
    username: str = "alex",
    password: str = "correct horse",
    *,
    families: int = 20,
    group: str = "front-desk",
    name: str | None = None,
    seed: int = 1,
    today: dt.date | None = None,
) -> dict:
    """An account with small demo data (classes this week and next of `today`, by default the
    tests' pinned day) and one staff member; returns ids the tests need.

    Keys: account_id, slug, staff_id, username, password, data_dir.
    """
    from server import admin

    account = admin.create_account(data_dir, slug, name=name or slug.title())
    admin.seed_demo(data_dir, slug, families=families, seed=seed, today=today or pinned_today())
    staff_id = admin.add_staff(data_dir, slug, username, password, group=group)
    return {
        "account_id": account.id,
        "slug": slug,
        "staff_id": staff_id,
        "username": username,
        "password": password,
        "data_dir": Path(data_dir),
    }


def _wait_healthy(url: str, alive, describe_death, timeout: float = START_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        if not alive():
            raise RuntimeError(f"server died while starting:\n{describe_death()}")
        try:
            if httpx.get(f"{url}/v1/health", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError as exc:
            last_error = exc
        time.sleep(0.05)
    raise TimeoutError(f"server at {url} did not answer /v1/health in {timeout} s ({last_error!r})")


class ServerProcess:
    """`python -m server.cli serve` in a subprocess, so tests can kill and restart it."""

    def __init__(self, data_dir: str | os.PathLike, port: int | None = None, env: dict | None = None):
        self.data_dir = Path(data_dir)
        self.port = port or free_port()
        self.env = env or {}
        self.proc: subprocess.Popen | None = None
        self._log_path = Path(tempfile.mkstemp(prefix="frontdesk-server-", suffix=".log")[1])
        self._log = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> str:
        """Everything the server wrote to stdout/stderr so far."""
        return self._log_path.read_text(errors="replace") if self._log_path.exists() else ""

    def start(self) -> ServerProcess:
        if self.proc is not None and self.proc.poll() is None:
            raise RuntimeError("server already running")
        register_server(self.url, self.data_dir)  # its enrollment codes (tests.helpers.enrollment)
        env = {**os.environ, **self.env}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
        cmd = [
            sys.executable, "-m", "server.cli", "serve",
            "--data-dir", str(self.data_dir),
            "--host", "127.0.0.1",
            "--port", str(self.port),
        ]  # fmt: skip
        self._log = open(self._log_path, "ab")  # a file, not a pipe: a full pipe would block the server
        self.proc = subprocess.Popen(cmd, cwd=REPO_ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT)
        try:
            _wait_healthy(self.url, lambda: self.proc.poll() is None, lambda: self.log)
        except BaseException:
            self.kill()
            raise
        return self

    def kill(self) -> None:
        """SIGKILL: the server gets no chance to clean up, like a power cut of the process."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self._reap()

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM and wait; SIGKILL if it does not stop in time."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self._reap()

    def restart(self) -> ServerProcess:
        """Stop if needed and start again on the same port and data dir."""
        self.stop()
        return self.start()

    def _reap(self) -> None:
        if self.proc is not None:
            self.proc.wait()
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
        self._log_path.unlink(missing_ok=True)


class ThreadedServer:
    """The app on uvicorn in a background thread of the test process: real HTTP, fast start."""

    def __init__(self, data_dir: str | os.PathLike | None = None, *, app=None, settings=None, clock=None):
        if app is None:
            from server.main import create_app
            from server.settings import Settings

            if settings is None:
                settings = Settings(data_dir=Path(data_dir))
            app = create_app(settings, clock or pinned_clock())  # the tests' pinned moment, like their desks
        self.app = app
        # Bind here and hand the socket to uvicorn, so no other process can take the port between.
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self.port = self._sock.getsockname()[1]
        self._server = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ThreadedServer:
        import uvicorn

        register_server(self.url, self.app.state.frontdesk.settings.data_dir)  # tests.helpers.enrollment

        # proxy_headers off as `serve` has it (server.addresses decides whom to believe).
        config = uvicorn.Config(self.app, log_level="warning", lifespan="on", access_log=False, proxy_headers=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._sock]}, name=f"uvicorn-{self.port}", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError("uvicorn thread died while starting (see the captured log)")
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError("uvicorn thread did not start in time")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self._server is not None:
            from server.live import bell_of

            bell_of(self.app).close()  # open long-polls answer now, as `serve` does on SIGTERM
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None
        self._sock.close()

    def __enter__(self) -> ThreadedServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def account_db_path(data_dir: str | os.PathLike, slug: str) -> Path:
    """The SQLite file of an account, for tests that look at what the server stored."""
    import sqlite3

    con = sqlite3.connect(Path(data_dir) / "registry.sqlite")
    try:
        row = con.execute("SELECT db_location FROM account WHERE slug = ?", (slug,)).fetchone()
    finally:
        con.close()
    if row is None:
        raise KeyError(slug)
    return Path(data_dir) / row[0]
