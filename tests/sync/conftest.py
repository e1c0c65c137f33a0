"""Fixtures for the sync tests: desks on real files, a fast engine, keyrings, the server's database."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import httpx
import keyring
import keyring.backend
import pytest
import pytest_asyncio

from sync.client import ApiClient
from sync.store import DeskStore
from tests.helpers.clock import pinned_clock
from tests.helpers.enrollment import code_for, own_secret
from tests.helpers.server_process import account_db_path
from tests.sync.data import World, world

STAFF_ID = "staff-0001"


@pytest.fixture
def demo() -> World:
    return world()


@pytest.fixture
def store(tmp_path: Path, demo: World) -> Iterator[DeskStore]:
    desk = DeskStore(tmp_path / "desk", staff_id=STAFF_ID, clock=pinned_clock())
    try:
        changes = demo.changes()
        desk.cache.apply_pull(changes, cursor=len(changes))
        yield desk
    finally:
        desk.close()


# -- live-server helpers -------------------------------------------------------------------

FAST = {"pull_interval": 0.5, "backoff_min": 0.1, "backoff_max": 0.6}  # SyncEngine knobs that converge quickly


@pytest_asyncio.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=httpx.Timeout(10.0, connect=2.0)) as client:
        yield client


@pytest.fixture
def desks(tmp_path: Path) -> Iterator[Callable[[str], DeskStore]]:
    """desks("a") opens (or reopens) the desk folder tmp_path/desk-a; all are closed at the end."""
    opened: list[DeskStore] = []

    def open_desk(name: str = "a") -> DeskStore:
        desk = DeskStore(tmp_path / f"desk-{name}", clock=pinned_clock())
        opened.append(desk)
        return desk

    try:
        yield open_desk
    finally:
        for desk in opened:
            desk.close()


async def sign_in(client: ApiClient, store: DeskStore, account: dict) -> None:
    """Sign the desk in with a password (no keyring involved) and record writes in alex's name.
    The desk brings its own credential and, for its first sign-in, an enrollment code."""
    tokens = await client.login(account["slug"], account["username"], account["password"], store.desk_id, "Test desk",
                                desk_secret=own_secret(store.data_dir), enrollment_code=code_for(client.base_url, account["slug"]))  # fmt: skip
    client.access_token = tokens.access_token
    store.staff_id = tokens.staff.id


def server_rows(data_dir: Path, sql: str, *params: object) -> list[tuple]:
    """Rows of the account's database as the server stored them (opened read-only)."""
    path = account_db_path(data_dir, "acme")
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


@pytest.fixture
def keyring_backend() -> Iterator[Callable[[keyring.backend.KeyringBackend], None]]:
    """use(backend) makes that the process's keyring for this test; the old one comes back after."""
    previous = keyring.get_keyring()
    try:
        yield keyring.set_keyring
    finally:
        keyring.set_keyring(previous)

