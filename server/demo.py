"""`frontdesk-server demo`: the whole product on one machine, for `make demo`.

Seeds a demo account on first use, runs the server on loopback in a child process, opens the desk
app signed in against it (the password passed through the environment, never the command line),
and stops the server when the desk window closes. The desk is started as a program, not imported:
the server never depends on desk/.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

DEMO_SLUG = "demo"
DEMO_NAME = "Tumble Town Gymnastics"
DEMO_PASSWORD = "demo"
DEMO_STAFF = (("alex", "Alex Rivera", "front-desk"), ("morgan", "Morgan Lee", "owner"))


def prepare(data_dir: Path) -> None:
    """Create and seed the demo account once; later runs keep what earlier demos recorded."""
    from server import admin, seed

    if admin.account_exists(data_dir, DEMO_SLUG):
        seed.ensure_sessions(data_dir, DEMO_SLUG)  # a demo made last month still has classes today
        return
    admin.create_account(data_dir, DEMO_SLUG, DEMO_NAME)
    seed.seed_demo(data_dir, DEMO_SLUG)
    for username, display_name, group in DEMO_STAFF:
        admin.add_staff(data_dir, DEMO_SLUG, username, DEMO_PASSWORD, group=group, display_name=display_name)


def wait_healthy(url: str, server: subprocess.Popen, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"The server stopped at start (exit {server.returncode}); see the messages above.")
        try:
            if httpx.get(f"{url}/v1/health", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"The server did not answer at {url} within {timeout:.0f} s.")


def run(data_dir: Path, host: str = "127.0.0.1", port: int = 8800) -> int:
    data_dir = data_dir.resolve()
    server_dir = data_dir / "server"
    prepare(server_dir)
    url = f"http://{host}:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "serve", "--data-dir", str(server_dir), "--host", host, "--port", str(port)]
    )
    try:
        wait_healthy(url, server)
        print(f"Frontdesk server at {url}; account {DEMO_SLUG!r}, staff alex/morgan, password {DEMO_PASSWORD!r}")
        desk_env = dict(os.environ, FRONTDESK_PASSWORD=DEMO_PASSWORD)
        # alex (front desk) may not set a computer up as a desk: the owner's setup code does it, as
        # at a real school. One use; a desk already set up on an earlier run does not need it.
        from server import admin

        code = admin.enrollment_code(server_dir, DEMO_SLUG, uses=1, hours=1)
        desk = subprocess.Popen(
            [
                sys.executable, "-m", "desk.app",
                "--server", url, "--account", DEMO_SLUG, "--username", "alex",
                "--data-dir", str(data_dir / "desk"), "--setup-code", code,
            ],
            env=desk_env,
        )
        try:
            return desk.wait()
        except KeyboardInterrupt:
            desk.send_signal(signal.SIGINT)
            return desk.wait()
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
