"""JSON bodies too large or nested too deep are refused before any work, on every route that takes
JSON; what is already in the audit log is shown safely whatever it holds; the OpenAPI document says
so, OPTIONS is answered as a method the API does not take, and the audit route takes date-times only."""

from __future__ import annotations

import json
import re

import pytest

from server import admin
from server.account_db import AccountDatabase, audit
from server.api.body_limits import MAX_JSON_BYTES, MAX_JSON_DEPTH
from tests.server.api import PASSWORD, check_in, count, login

DEEP = b'{"a":' * 300 + b"1" + b"}" * 300
JSON = {"content-type": "application/json"}


@pytest.fixture
def owner(client, server_account):
    admin.add_staff(server_account["data_dir"], "acme", "olga", PASSWORD, group="owner")
    return login(client, username="olga")


def _json_operations(client) -> list[tuple[str, str, dict]]:
    doc = client.get("/openapi.json").json()
    return [(method, path, op) for path, item in doc["paths"].items() for method, op in item.items()
            if "application/json" in op.get("requestBody", {}).get("content", {})]  # fmt: skip


def _concrete(path: str) -> str:
    return path.replace("{", "x").replace("}", "")  # any value: the body is refused before the route


def test_a_push_nested_300_deep_is_refused_before_any_work(client, session, world, db_path):
    before = count(db_path, "applied_mutation"), count(db_path, "audit_event")
    m = check_in(session, 1, world["student_ids"][0], world["location_id"])
    body = json.dumps({"mutations": [m]}).encode().replace(b'"payload": {', b'"payload": {"deep": ' + DEEP + b", ", 1)
    r = client.post("/v1/sync/push", content=body, headers={**session["headers"], **JSON})
    assert r.status_code == 422 and r.json()["error"]["code"] == "too_deep"
    assert f"more than {MAX_JSON_DEPTH} levels" in r.json()["error"]["message"]
    r = client.post("/v1/sync/push", content=body, headers=JSON)  # no token: refused all the same, before the sign-in check
    assert r.status_code == 422
    assert (count(db_path, "applied_mutation"), count(db_path, "audit_event")) == before
    # The same push without the deep part is taken: nothing of the refused one was kept.
    ok = json.dumps({"mutations": [m]}).encode()
    assert client.post("/v1/sync/push", content=ok, headers={**session["headers"], **JSON}).json()["results"][0]["status"] == "applied"


def test_every_json_route_refuses_a_deep_body_and_documents_400_413_422(client, owner):
    operations = _json_operations(client)
    assert {path for _, path, _ in operations} >= {"/v1/auth/login", "/v1/sync/push", "/v1/staff"}
    for method, path, op in operations:
        r = client.request(method.upper(), _concrete(path), content=DEEP, headers={**owner["headers"], **JSON})
        assert (r.status_code, r.json()["error"]["code"]) == (422, "too_deep"), (method, path)
        r = client.request(method.upper(), _concrete(path), content=b"{not json", headers=owner["headers"])  # no content type: JSON
        assert r.status_code in (400, 401, 403, 404, 422), (method, path, r.status_code)
        assert {"400", "413", "422"} <= set(op["responses"]), (method, path)


def test_a_body_over_the_limit_is_a_413_whether_its_size_is_declared_or_not(client, owner, db_path):
    before = count(db_path, "audit_event")
    big = b'{"mutations": [' + b" " * (MAX_JSON_BYTES + 10) + b"]}"
    r = client.post("/v1/sync/push", content=big, headers={**owner["headers"], **JSON})  # Content-Length says it
    assert (r.status_code, r.json()["error"]["code"]) == (413, "too_large") and r.headers["connection"] == "close"

    def chunks():  # no Content-Length: counted as it comes, refused once over
        for i in range(0, len(big), 1 << 20):
            yield big[i : i + (1 << 20)]

    r = client.post("/v1/staff", content=chunks(), headers={**owner["headers"], **JSON})
    assert (r.status_code, r.json()["error"]["code"]) == (413, "too_large")
    assert count(db_path, "audit_event") == before
    assert client.get("/v1/staff/me", headers=owner["headers"]).status_code == 200  # the server is fine


def test_whatever_an_audit_entry_holds_its_page_is_shown(client, owner, server_account, db_path):
    """Entries stored before the limits (or by any future bug): nested 300 deep, a huge string."""
    from tests.helpers.server_process import account_db_path

    deep: dict = {"leaf": 1}
    for _ in range(300):
        deep = {"a": deep}
    adb = AccountDatabase(f"sqlite:///{account_db_path(server_account['data_dir'], 'acme')}")
    try:
        with adb.write_session() as db:
            audit(db, "mutation.discarded", staff_id=owner["staff_id"], payload=deep, note="x" * 100_000, list_=[[[[1]]]])
            db.commit()
    finally:
        adb.close()
    r = client.get("/v1/audit", params={"action": "mutation.discarded"}, headers=owner["headers"])
    assert r.status_code == 200, r.text
    detail = r.json()["events"][0]["detail"]
    text = json.dumps(detail)
    assert "nested too deep to show" in text and "more characters" in detail["note"] and len(detail["note"]) < 3000
    assert detail["list_"] == [[[[1]]]]


def test_options_is_a_method_the_api_does_not_take(client, owner):
    doc = client.get("/openapi.json").json()
    for path, item in doc["paths"].items():
        assert "options" not in item
        r = client.options(_concrete(path), headers={**owner["headers"], "Origin": "https://evil.example",
                                                     "Access-Control-Request-Method": "POST"})  # fmt: skip
        assert r.status_code == 405, (path, r.status_code)
        allow = set(r.headers["allow"].lower().replace(" ", "").split(","))
        fits = {m for other, methods in doc["paths"].items() if re.fullmatch(re.sub(r"\{[^/]+\}", "[^/]+", other), _concrete(path))
                for m in methods}  # fmt: skip
        assert set(item) <= allow <= fits, (path, allow)  # every method the path takes, and only those
        assert not any(h.startswith("access-control-") for h in r.headers), path  # no preflight: no CORS at all


@pytest.mark.parametrize("value", ["2026-11-25", "1700000000", "yesterday", "2026-11-25T25:00:00Z", "9999-12-31T23:59:00-01:00",
                                   "2026-11-25T10:0012"])
def test_the_audit_route_takes_date_times_only(client, owner, value):
    for name in ("since", "until"):
        r = client.get("/v1/audit", params={name: value}, headers=owner["headers"])
        assert (r.status_code, r.json()["error"]["code"]) == (422, "invalid_request"), (name, value, r.text)


def test_the_audit_route_reads_a_date_time_with_or_without_offset(client, owner):
    h = owner["headers"]
    events = client.get("/v1/audit", params={"until": "2999-01-01T00:00:00+02:00"}, headers=h).json()["events"]
    assert events and client.get("/v1/audit", params={"since": "2999-01-01T00:00:00"}, headers=h).json()["events"] == []
    # A fraction past microseconds (RFC 3339 allows it) is read, not refused.
    assert client.get("/v1/audit", params={"until": "2999-01-01T00:00:00.1234567891Z"}, headers=h).status_code == 200


def test_the_document_lists_413_on_every_body_method_and_503_wherever_an_account_is_read(client):
    doc = client.get("/openapi.json").json()
    for path, item in doc["paths"].items():
        for method, op in item.items():
            assert ("503" in op["responses"]) is (path != "/v1/health"), (method, path)
            if method in ("post", "put", "patch", "delete"):
                assert "413" in op["responses"], (method, path)
