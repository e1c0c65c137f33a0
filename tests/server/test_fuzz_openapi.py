"""API fuzzing from the server's own OpenAPI document (schemathesis), signed in as an owner so the
requests reach past the permission checks: no 5xx, and every answer matches its documented schema
and status codes. Bounded: a few examples per operation, printed at the end."""

from __future__ import annotations

import time

import httpx
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance, status_code_conformance

from server import admin
from tests.helpers.server_process import ThreadedServer
from tests.server.api import PASSWORD, login

EXAMPLES = 12  # per operation: enough to walk every body shape, quick enough for the default run
WAIT = "/v1/sync/wait"  # a long-poll: its cases wait a fraction of a second at most, not the timeout drawn


def test_the_api_survives_fuzzing_with_a_valid_token(server_account):
    admin.add_staff(server_account["data_dir"], "acme", "olga", PASSWORD, group="owner")
    with ThreadedServer(server_account["data_dir"]) as server, httpx.Client(base_url=server.url, timeout=10) as client:
        token = login(client, username="olga")["access_token"]
        schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json")
        headers = {"Authorization": f"Bearer {token}"}
        cases, failures, seen = 0, [], set()
        started = time.monotonic()
        for result in schema.get_all_operations():
            operation = result.ok()

            @given(case=operation.as_strategy())
            @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                      suppress_health_check=list(HealthCheck))
            def run(case) -> None:
                nonlocal cases
                cases += 1
                seen.add((operation.method.upper(), operation.path))
                if operation.path == WAIT:  # drawn or not (the default is 10 s), a case waits 0.2 s at most
                    drawn = (case.query or {}).get("timeout")
                    case.query = {**(case.query or {}), "timeout": min(drawn, 0.2) if isinstance(drawn, (int, float)) else 0.2}
                response = case.call(base_url=server.url, headers=headers)
                try:
                    case.validate_response(response, checks=[not_a_server_error, response_schema_conformance, status_code_conformance])
                except (Exception, BaseExceptionGroup) as exc:  # collect them all, then fail once with the list
                    failures.append(f"{operation.method.upper()} {operation.path} -> {response.status_code}: {str(exc)[:300]}")

            run()
        print(f"\nschemathesis: {cases} cases over {len(schema)} operations in {time.monotonic() - started:.1f} s, "
              f"{len(failures)} failures")
        assert not failures, "\n".join(failures[:10])
        # Every operation of the document was called, signed in (the long-poll too).
        documented = {(m.upper(), p) for p, item in client.get("/openapi.json").json()["paths"].items() for m in item}
        assert seen == documented
        # Still signed in and working: the fuzzing did not lock the owner out of their own account.
        assert client.get("/v1/staff/me", headers=headers).status_code == 200


def test_a_cursor_beyond_a_database_integer_is_a_422_not_a_500(client, session):
    """Found by the fuzzing above: SQLite integers end at 2**63 - 1."""
    r = client.get("/v1/sync/pull", params={"after": 2**63}, headers=session["headers"])
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_request"
