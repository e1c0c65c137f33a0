"""One server and account shared by all tests of a module, for tests that leave no trace.

A module opts in by importing `shared` and the fixtures it wants (client, db_path, server_account,
server_data_dir, session, world); those names then override the per-test fixtures of conftest.py.
The tests also share one signed-in desk, so use this only where tests write nothing.
"""

from __future__ import annotations

import httpx
import pytest

from tests.helpers.server_process import ThreadedServer, account_db_path, make_account
from tests.server.api import login, pull_all
from tests.server.conftest import world_of


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    account = make_account(tmp_path_factory.mktemp("server"), "acme", "alex", "correct horse", families=20)
    with ThreadedServer(account["data_dir"]) as server, httpx.Client(base_url=server.url, timeout=10) as client:
        first = login(client)
        yield {
            "account": account,
            "client": client,
            "session": first,
            "world": world_of(pull_all(client, first["headers"])),
            "db_path": account_db_path(account["data_dir"], "acme"),
        }


@pytest.fixture
def server_account(shared):
    return shared["account"]


@pytest.fixture
def server_data_dir(shared):
    return shared["account"]["data_dir"]


@pytest.fixture
def client(shared):
    return shared["client"]


@pytest.fixture
def session(shared):
    return shared["session"]


@pytest.fixture
def world(shared):
    return shared["world"]


@pytest.fixture
def db_path(shared):
    return shared["db_path"]
