"""The service under load, started and stopped here in a temp dir: accounts, server processes,
nginx in front of several of them, and for PostgreSQL a server of its own with PgBouncer.

Everything listens on 127.0.0.1 only. A missing package is named with its install command.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.helpers.server_process import REPO_ROOT, ServerProcess, _wait_healthy, free_port

PASSWORD = "correct horse"
PACKAGES = {"nginx": "apt-get install nginx", "pgbouncer": "apt-get install pgbouncer", "initdb": "apt-get install postgresql"}


class MissingPackage(RuntimeError):
    pass


def need(binary: str) -> str:
    found = shutil.which(binary) or next((p for p in (f"/usr/sbin/{binary}", f"/usr/bin/{binary}") if os.path.exists(p)), None)
    if found is None:
        raise MissingPackage(f"{binary} is not installed: {PACKAGES.get(binary, 'install it')} (Debian's package)")
    return found


@dataclass
class Account:
    slug: str
    username: str = "alex"
    password: str = PASSWORD
    enrollment_code: str = ""  # alex (front desk) sets each desk up with the owner's code (server.desks)


@dataclass
class Data:
    """A data dir with accounts, on SQLite files or on a PostgreSQL server behind PgBouncer."""

    kind: str  # sqlite | postgresql
    dir: Path
    accounts: list[Account]
    env: dict[str, str] = field(default_factory=dict)  # for server processes
    services: dict[str, list[int]] = field(default_factory=dict)  # name -> pids, for the CPU figures


def make_data(stack: ExitStack, kind: str, root: Path, accounts: int, families: int) -> Data:
    """Accounts with demo data and one front-desk staff member each."""
    data_dir = root / f"data-{kind}"
    env: dict[str, str] = {}
    services: dict[str, list[int]] = {}
    placement = None
    if kind == "postgresql":
        need("pgbouncer")
        from server.placement import Placement
        from server.secrets_box import KEY_ENV, new_key
        from tests.helpers.pg_cluster import TempCluster, Unavailable
        from tests.helpers.pgbouncer import PgBouncer

        try:
            # fsync on, as in production; a connection per account's pool and per listening process
            cluster = stack.enter_context(TempCluster(durable=True, max_connections=200 + accounts * 4))
        except Unavailable as exc:
            raise MissingPackage(str(exc)) from None
        # PgBouncer pools per database, i.e. per account: a few server connections each (a push holds
        # one for its transaction while the account's other desks pull), kept for PgBouncer's default
        # idle time, so that an account's change-over does not open them anew each time.
        bouncer = stack.enter_context(PgBouncer("127.0.0.1", cluster.port, pool_size=4, idle_timeout=600))
        services["postgresql"] = [_postmaster_pid(cluster)]
        services["pgbouncer"] = [bouncer.proc.pid]
        env = {KEY_ENV: new_key(), "FRONTDESK_REGISTRY_URL": f"postgresql+psycopg://postgres@127.0.0.1:{cluster.port}/postgres"}
        os.environ.update(env)  # the admin commands below read the same
        stack.callback(lambda: [os.environ.pop(k, None) for k in env])
        placement = Placement.of("postgresql", [f"{cluster.admin_dsn}?name=pg1&pgbouncer={bouncer.address}"])
    made = [Account(f"gym-{i:02d}") for i in range(accounts)]

    def create(account: Account) -> None:
        from server import admin

        admin.create_account(data_dir, account.slug, name=account.slug.title(), placement=placement)
        admin.seed_demo(data_dir, account.slug, families=families, seed=hash(account.slug) % 1000)
        admin.add_staff(data_dir, account.slug, account.username, account.password, group="front-desk")
        account.enrollment_code = admin.enrollment_code(data_dir, account.slug, uses=100_000, hours=24 * 7)

    from server.registry import Registry

    Registry(data_dir).close()  # made once, before accounts are made side by side
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(create, made))
    return Data(kind, data_dir, made, env, services)


def _postmaster_pid(cluster) -> int:  # noqa: ANN001 - TempCluster
    return int((cluster.base / "data" / "postmaster.pid").read_text().splitlines()[0])


@dataclass
class Service:
    url: str
    servers: list[ServerProcess]
    services: dict[str, list[int]]


class ProfiledServerProcess(ServerProcess):
    """A server process run under bench.load.profiler, which writes its stacks to `profile_to` at exit."""

    def __init__(self, data_dir: Path, profile_to: Path, env: dict | None = None):
        super().__init__(data_dir, env=env)
        self.profile_to = profile_to

    def start(self) -> ServerProcess:
        env = {**os.environ, **self.env}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
        cmd = [sys.executable, "-m", "bench.load.profiler", str(self.profile_to), "serve", "--data-dir", str(self.data_dir),
               "--host", "127.0.0.1", "--port", str(self.port)]  # fmt: skip
        self._log = open(self._log_path, "ab")
        self.proc = subprocess.Popen(cmd, cwd=REPO_ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT)
        try:
            _wait_healthy(self.url, lambda: self.proc.poll() is None, lambda: self.log)
        except BaseException:
            self.kill()
            raise
        return self


def serve(stack: ExitStack, data: Data, processes: int, root: Path, profile_to: Path | None = None) -> Service:
    """`processes` server processes on the data dir; nginx in front when there are several.

    With `profile_to`, the first one is sampled (bench.load.profiler) and writes there when stopped."""
    env = {**data.env, "FRONTDESK_LOG_LEVEL": "warning"}
    servers = []
    for i in range(processes):
        server = ServerProcess(data.dir, env=env) if profile_to is None or i else ProfiledServerProcess(data.dir, profile_to, env=env)
        servers.append(stack.enter_context(server))
    services = {**data.services, "server": [s.proc.pid for s in servers]}
    logs = root / "logs"

    def keep_logs() -> None:  # before the servers stop and their logs go: what they said under load
        logs.mkdir(exist_ok=True)
        for i, s in enumerate(servers, 1):
            (logs / f"server-{data.kind}-{processes}-{i}.log").write_text(s.log)

    stack.callback(keep_logs)
    if processes == 1:
        return Service(servers[0].url, servers, services)
    nginx = stack.enter_context(Nginx(root / f"nginx-{data.kind}-{processes}", [s.port for s in servers]))
    services["nginx"] = nginx.pids()
    return Service(nginx.url, servers, services)


class Nginx:
    """nginx as the reverse proxy of several server processes (keep-alive to them, long-polls allowed)."""

    def __init__(self, base: Path, ports: list[int]):
        self.exe = need("nginx")
        self.base = base
        self.ports = ports
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Nginx:
        self.base.mkdir(parents=True, exist_ok=True)
        upstreams = "".join(f"    server 127.0.0.1:{p};\n" for p in self.ports)
        user = "user root root;\n" if os.geteuid() == 0 else ""
        (self.base / "nginx.conf").write_text(
            f"{user}worker_processes 1;\ndaemon off;\npid {self.base}/nginx.pid;\nerror_log {self.base}/error.log warn;\n"
            "events { worker_connections 4096; }\n"
            "http {\n  access_log off;\n"
            + "".join(f"  {t}_temp_path {self.base}/{t};\n" for t in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
            + f"  upstream frontdesk {{\n    least_conn;\n{upstreams}    keepalive 128;\n    keepalive_timeout 60s;\n  }}\n"
            f"  server {{\n    listen 127.0.0.1:{self.port};\n"
            "    location / {\n      proxy_pass http://frontdesk;\n      proxy_http_version 1.1;\n"
            '      proxy_set_header Connection "";\n      proxy_set_header Host $host;\n'
            "      proxy_set_header X-Forwarded-For $remote_addr;\n      proxy_read_timeout 60s;\n"
            "    }\n  }\n}\n"
        )
        self._out = open(self.base / "stderr.log", "wb")  # a file: a pipe nobody reads would fill and stop it
        self.proc = subprocess.Popen([self.exe, "-c", str(self.base / "nginx.conf"), "-p", str(self.base)],
                                     stdout=self._out, stderr=subprocess.STDOUT)  # fmt: skip
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"nginx exited: {(self.base / 'stderr.log').read_text(errors='replace')}")
            try:
                if httpx.get(f"{self.url}/v1/health", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.05)
        self.__exit__()
        raise TimeoutError("nginx did not answer in 10 s")

    def pids(self) -> list[int]:
        import psutil

        return [self.proc.pid] + [c.pid for c in psutil.Process(self.proc.pid).children()]

    def __exit__(self, *exc) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc is not None:
            self._out.close()
