"""The assembled app: health, OpenAPI, unexpected errors."""

from __future__ import annotations

import logging

import httpx
import pytest

from server.main import create_app
from server.settings import Settings
from sync.core.wire import PROTOCOL_VERSION
from tests.helpers.server_process import ThreadedServer
from tests.server.shared import client, server_data_dir, shared  # noqa: F401  (nothing here writes)


def test_health(client):
    r = client.get("/v1/health")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok" and body["protocol"] == PROTOCOL_VERSION and body["version"]


def test_openapi_describes_every_route_with_models_and_errors(client):
    doc = client.get("/openapi.json").json()
    ops = {(path, method): op for path, item in doc["paths"].items() for method, op in item.items()}
    assert set(ops) >= {
        ("/v1/health", "get"),
        ("/v1/auth/login", "post"),
        ("/v1/auth/refresh", "post"),
        ("/v1/sync/push", "post"),
        ("/v1/sync/pull", "get"),
        ("/v1/auth/logout", "post"),
        ("/v1/staff", "get"),
        ("/v1/staff", "post"),
        ("/v1/staff/me", "get"),
        ("/v1/staff/groups", "get"),
        ("/v1/staff/groups", "post"),
        ("/v1/staff/groups/{name}", "patch"),
        ("/v1/staff/{staff_id}", "get"),
        ("/v1/staff/{staff_id}", "patch"),
        ("/v1/staff/{staff_id}/password", "post"),
        ("/v1/staff/{staff_id}/pin", "put"),
        ("/v1/audit", "get"),
    }
    expected_models = {
        ("/v1/health", "get"): "Health",
        ("/v1/auth/login", "post"): "TokenResponse",
        ("/v1/auth/refresh", "post"): "TokenResponse",
        ("/v1/sync/push", "post"): "PushResponse",
        ("/v1/sync/pull", "get"): "PullResponse",
    }
    for key, model in expected_models.items():
        ok = ops[key]["responses"]["200"]["content"]["application/json"]["schema"]
        assert ok == {"$ref": f"#/components/schemas/{model}"}, key
    for key in set(ops) - {("/v1/health", "get")}:
        responses = ops[key]["responses"]
        for status in ("401", "422"):
            assert responses[status]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorResponse"}
    for key in (("/v1/sync/push", "post"), ("/v1/sync/pull", "get")):
        assert ops[key]["security"] == [{"HTTPBearer": []}]
    assert "HTTPValidationError" not in doc["components"]["schemas"]


def test_an_unexpected_error_is_a_500_in_the_error_shape(tmp_path, caplog):
    def broken():
        raise RuntimeError("boom")

    app = create_app(Settings(data_dir=tmp_path))
    app.router.add_api_route("/v1/broken", broken)
    with ThreadedServer(app=app) as server, httpx.Client(base_url=server.url) as c:
        with caplog.at_level(logging.ERROR, logger="frontdesk.server"):
            r = c.get("/v1/broken")
    assert r.status_code == 500
    assert r.json()["error"]["code"] == "server_error"
    assert "boom" in caplog.text


@pytest.mark.parametrize("path", ["/v1/sync/pull?after=0", "/v1/health"])
def test_responses_are_json(client, path):
    r = client.get(path)
    assert r.headers["content-type"].startswith("application/json")
