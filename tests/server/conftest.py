from __future__ import annotations

import httpx
import pytest

from tests.helpers.server_process import account_db_path
from tests.server.api import login, pull_all


@pytest.fixture
def client(live_server):
    with httpx.Client(base_url=live_server.url, timeout=10) as c:
        yield c


@pytest.fixture
def session(client) -> dict:
    """alex signed in at a fresh desk of acme."""
    return login(client)


@pytest.fixture
def db_path(server_account):
    return account_db_path(server_account["data_dir"], "acme")


@pytest.fixture
def world(client, session) -> dict:
    """Ids from acme's seeded data: a location, a student, and a session at that location."""
    return world_of(pull_all(client, session["headers"]))


def world_of(changes: list[dict]) -> dict:
    locations = [c["data"] for c in changes if c["type"] == "location"]
    students = [c["data"] for c in changes if c["type"] == "student"]
    sessions = [c["data"] for c in changes if c["type"] == "class_session"]
    location = locations[0]
    return {
        "location_id": location["id"],
        "other_location_id": locations[1]["id"],
        "student_ids": [s["id"] for s in students],
        "session_id": next(s["id"] for s in sessions if s["location_id"] == location["id"]),
        "other_session_id": next(s["id"] for s in sessions if s["location_id"] != location["id"]),
    }
