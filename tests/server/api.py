"""Small helpers for server tests: sign in, build mutations, look into the stored databases."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import httpx

from sync.core.ids import new_id, utcnow
from tests.helpers.enrollment import desk_fields, remember

PASSWORD = "correct horse"


def login(client: httpx.Client, *, account="acme", username="alex", password=PASSWORD, desk_id=None) -> dict:
    """Sign in at a desk: a new one (enrolled with a code, tests.helpers.enrollment) or one this
    test process enrolled before (its credential proved)."""
    desk_id = desk_id or new_id()
    desk = desk_fields(client.base_url, account, desk_id)
    r = client.post(
        "/v1/auth/login",
        json={"account": account, "username": username, "password": password, "desk_name": "Desk 1", **desk},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["desk_id"] == desk_id
    remember(client.base_url, account, body)
    return {
        "desk_id": desk_id,
        "desk_secret": body.get("desk_secret") or desk.get("desk_secret"),
        "staff_id": body["staff"]["id"],
        "access_token": body["access_token"],
        "refresh_token": body["refresh_token"],
        "headers": {"Authorization": f"Bearer {body['access_token']}"},
        "body": body,
    }


def pull_all(client: httpx.Client, headers: dict, after: int = 0) -> list[dict]:
    changes, more = [], True
    while more:
        r = client.get("/v1/sync/pull", params={"after": after, "limit": 5000}, headers=headers)
        assert r.status_code == 200, r.text
        page = r.json()
        changes += page["changes"]
        after, more = page["cursor"], page["more"]
    return changes


def check_in(session: dict, seq: int, student_id: str, location_id: str, **payload) -> dict:
    """A check_in mutation from the signed-in desk (override any field with keyword arguments)."""
    mutation = {
        "id": new_id(),
        "desk_id": session["desk_id"],
        "seq": seq,
        "staff_id": session["staff_id"],
        "made_at": utcnow().isoformat() + "Z",
        "type": "check_in",
        "payload": {
            "check_in_id": new_id(),
            "student_id": student_id,
            "location_id": location_id,
            "checked_in_at": utcnow().isoformat(),
        },
    }
    for key in ("id", "desk_id", "staff_id", "type"):
        if key in payload:
            mutation[key] = payload.pop(key)
    mutation["payload"].update(payload)
    return mutation


def push(client: httpx.Client, session: dict, mutations: list[dict]) -> httpx.Response:
    return client.post("/v1/sync/push", json={"mutations": mutations}, headers=session["headers"])


def query(db_path: Path, sql: str, *args) -> list[tuple]:
    con = sqlite3.connect(db_path)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def count(db_path: Path, table: str) -> int:
    return query(db_path, f"SELECT count(*) FROM {table}")[0][0]


def table_counts(db_path: Path) -> dict[str, int]:
    """Rows per table except the audit log (which records rejections on purpose)."""
    names = [r[0] for r in query(db_path, "SELECT name FROM sqlite_master WHERE type = 'table'")]
    return {n: count(db_path, n) for n in names if n != "audit_event"}
