"""A sign-out reaches every server process (server.revocations): the one that signed out refuses
the access token at once, the others within their list's recheck, without a read per request."""

from __future__ import annotations

import time

import httpx

from server.revocations import RECHECK
from tests.helpers.server_process import ServerProcess
from tests.server.api import login


def test_a_sign_out_at_one_server_process_refuses_the_token_at_the_others_within_a_second(server_account):
    data_dir = server_account["data_dir"]
    with ServerProcess(data_dir) as a, ServerProcess(data_dir) as b, \
            httpx.Client(base_url=a.url, timeout=10) as at_a, httpx.Client(base_url=b.url, timeout=10) as at_b:  # fmt: skip
        s = login(at_a)
        assert at_b.get("/v1/sync/pull", params={"limit": 1}, headers=s["headers"]).status_code == 200
        r = at_a.post("/v1/auth/logout", json={"refresh_token": s["refresh_token"], "desk_id": s["desk_id"]})
        assert r.status_code == 204
        signed_out = time.monotonic()
        assert at_a.get("/v1/sync/pull", params={"limit": 1}, headers=s["headers"]).status_code == 401  # at once
        while at_b.get("/v1/sync/pull", params={"limit": 1}, headers=s["headers"]).status_code != 401:
            assert time.monotonic() - signed_out < RECHECK + 2, "the other process still accepts the token"
            time.sleep(0.05)
