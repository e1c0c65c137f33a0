"""Bad requests get a 4xx in the error shape (or a rejected result), never a 500, never a write."""

from __future__ import annotations

import pytest

from sync.core.ids import new_id
from sync.core.wire import MAX_PUSH_BATCH
from tests.server.api import check_in, table_counts
from tests.server.shared import client, db_path, server_data_dir, session, shared, world  # noqa: F401  (nothing here writes)


def _one(session, world, **overrides) -> dict:
    m = check_in(session, 1, world["student_ids"][0], world["location_id"])
    m.update(overrides)
    return m


BODIES = {
    "malformed json": lambda s, w: b'{"mutations": [',
    "not an object": lambda s, w: b"[1, 2]",
    "empty body": lambda s, w: b"",
    "missing mutations": lambda s, w: {},
    "empty batch": lambda s, w: {"mutations": []},
    "mutations not a list": lambda s, w: {"mutations": {"a": 1}},
    "missing field": lambda s, w: {"mutations": [{k: v for k, v in _one(s, w).items() if k != "seq"}]},
    "seq is text": lambda s, w: {"mutations": [_one(s, w, seq="one")]},
    "seq zero": lambda s, w: {"mutations": [_one(s, w, seq=0)]},
    "payload not an object": lambda s, w: {"mutations": [_one(s, w, payload=[1])]},
    "bad made_at": lambda s, w: {"mutations": [_one(s, w, made_at="yesterday")]},
    "extra field": lambda s, w: {"mutations": [_one(s, w, sneaky=True)]},
    "id too long": lambda s, w: {"mutations": [_one(s, w, id="x" * 37)]},
    "batch over the max": lambda s, w: {
        "mutations": [check_in(s, i, w["student_ids"][0], w["location_id"]) for i in range(1, MAX_PUSH_BATCH + 2)]
    },
    "one bad among good": lambda s, w: {
        "mutations": [check_in(s, 1, w["student_ids"][0], w["location_id"]), _one(s, w, seq=-5)]
    },
}


@pytest.mark.parametrize("name", list(BODIES))
def test_bad_push_bodies_are_4xx_and_write_nothing(client, session, world, db_path, name):
    before = table_counts(db_path)
    body = BODIES[name](session, world)
    if isinstance(body, bytes):
        r = client.post("/v1/sync/push", content=body, headers={**session["headers"], "Content-Type": "application/json"})
    else:
        r = client.post("/v1/sync/push", json=body, headers=session["headers"])
    assert 400 <= r.status_code < 500, r.text
    error = r.json()["error"]
    assert error["code"] in {"invalid_json", "invalid_request"}
    assert isinstance(error["message"], str) and error["message"]
    assert table_counts(db_path) == before


def test_malformed_json_is_400_invalid_json(client, session):
    r = client.post("/v1/sync/push", content=b"{oops", headers={**session["headers"], "Content-Type": "application/json"})
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "invalid_json"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"account": "acme", "username": "alex"},  # no password (a desk id may be left out: the server makes one)
        {"account": "acme", "username": "alex", "password": "x", "desk_id": ""},
        {"account": "acme", "username": "alex", "password": 5, "desk_id": "d"},
        {"account": "", "username": "alex", "password": "x", "desk_id": "d"},
        {"account": "acme", "username": "alex", "password": "x" * 300, "desk_id": "d"},
    ],
)
def test_bad_login_bodies_are_422(client, body, server_data_dir):
    r = client.post("/v1/auth/login", json=body)
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "invalid_request"


def test_pushing_without_a_valid_token_writes_nothing(client, session, world, db_path):
    before = table_counts(db_path)
    body = {"mutations": [check_in(session, 1, world["student_ids"][0], world["location_id"])]}
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic YWxleDpwdw=="}, {"Authorization": session["access_token"]}):
        r = client.post("/v1/sync/push", json=body, headers=headers)
        assert r.status_code == 401
        assert r.json()["error"]["code"] == "auth"
    assert table_counts(db_path) == before


def test_a_mutation_for_another_desk_writes_nothing(client, session, world, db_path):
    before = table_counts(db_path)
    m = check_in(session, 1, world["student_ids"][0], world["location_id"], desk_id=new_id())
    r = client.post("/v1/sync/push", json={"mutations": [m]}, headers=session["headers"])
    assert r.status_code == 200
    assert r.json()["results"][0]["code"] == "forbidden"
    assert table_counts(db_path) == before


def test_unknown_routes_and_methods_use_the_error_shape(client):
    r = client.get("/v1/nothing-here")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = client.delete("/v1/health")
    assert r.status_code == 405 and r.json()["error"]["code"] == "method_not_allowed"
