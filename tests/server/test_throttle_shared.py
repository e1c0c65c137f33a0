"""Failed sign-ins are counted in the registry, so two server processes behind one proxy count
the same failures: a guesser gains nothing by spreading attempts over them."""

from __future__ import annotations

import httpx
import pytest

from server.login_throttle import LoginThrottle
from tests.helpers.server_process import ServerProcess, make_account
from tests.server.api import PASSWORD


@pytest.fixture(params=["sqlite", "postgresql"])
def registry_env(request, monkeypatch):
    """The registry every process and admin command uses: the data dir's SQLite file, or PostgreSQL."""
    if request.param == "sqlite":
        yield {}
        return
    from tests.helpers.postgres import temporary_database

    with temporary_database() as url:
        monkeypatch.setenv("FRONTDESK_REGISTRY_URL", url)
        yield {"FRONTDESK_REGISTRY_URL": url}


def _login(url: str, password: str, desk: str = "d1") -> httpx.Response:
    return httpx.post(f"{url}/v1/auth/login", timeout=10, json={
        "account": "acme", "username": "alex", "password": password, "desk_id": f"00000000-0000-7000-8000-00000000000{desk[-1]}",
        "desk_name": desk})  # fmt: skip


def test_two_server_processes_share_the_failed_sign_in_count(tmp_path, registry_env):
    make_account(tmp_path, families=0)
    limit = LoginThrottle().max_failures
    with ServerProcess(tmp_path, env=registry_env) as a, ServerProcess(tmp_path, env=registry_env) as b:
        for n in range(limit):  # spread over both: each process alone saw only half
            r = _login((a, b)[n % 2].url, "wrong guess")
            assert r.status_code == 401, r.text
        for server in (a, b):
            r = _login(server.url, "wrong guess")
            assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0, r.text
        r = _login(b.url, PASSWORD)  # even the right password waits: the guesser cannot tell
        assert r.status_code == 429
        assert "Too many failed sign-ins" in r.json()["error"]["message"]


def test_the_registry_store_counts_clears_and_forgets(tmp_path):
    from server.registry import LoginFailure, Registry
    from sqlmodel import Session, func, select

    registry = Registry(tmp_path)
    now = [1_000_000.0]
    throttle = LoginThrottle(max_failures=3, window_seconds=60, clock=lambda: now[0], max_per_address=5, store=registry)
    other = LoginThrottle(max_failures=3, window_seconds=60, clock=lambda: now[0], max_per_address=5, store=registry)
    try:
        for _ in range(3):
            throttle.failed("Acme", "Alex ", "10.0.0.1")
        assert 0 < other.retry_after("acme", "alex") <= 61  # another process, same registry; names as typed
        throttle.succeeded("acme", "alex")
        assert other.retry_after("acme", "alex") == 0
        assert other.retry_after("acme", "sam", "10.0.0.1") == 0  # 3 of the address's 5
        now[0] += 61
        for _ in range(3):
            throttle.failed("acme", "sam", "10.0.0.2")
        assert other.retry_after("acme", "sam") > 0 and other.retry_after("acme", "alex", "10.0.0.1") == 0

        def rows() -> int:
            with Session(registry.engine) as db:
                return db.exec(select(func.count()).select_from(LoginFailure)).one()

        assert rows() in (6, 9)  # sam's and 10.0.0.2's, and 10.0.0.1's stale ones unless a prune ran
        registry.add_failures([], now[0], now[0] - 60, prune_all=True)
        assert rows() == 6  # what is past the window is deleted, not only ignored
        assert "alex" not in (tmp_path / "registry.sqlite").read_bytes().decode("latin-1").lower()
    finally:
        registry.close()
