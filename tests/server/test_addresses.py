"""X-Forwarded-For is believed only from the proxies the settings trust (server.addresses)."""

from __future__ import annotations

import json

import httpx
import pytest

from server.addresses import parse_proxies
from server.main import create_app
from server.settings import Settings
from sync.core.ids import new_id
from tests.helpers.server_process import ThreadedServer
from tests.server.api import query


def test_the_trusted_list_is_explicit_and_checked():
    assert Settings(data_dir="/tmp").trusted_proxies == ""  # nobody by default
    assert [str(n) for n in parse_proxies(" 10.0.0.5, 10.1.0.0/16 ,::1")] == ["10.0.0.5/32", "10.1.0.0/16", "::1/128"]
    with pytest.raises(ValueError):
        parse_proxies("10.0.0.300")
    with pytest.raises(ValueError):  # a typo stops the server at start-up
        Settings(data_dir="/tmp", trusted_proxies="10.0.0.1, localhost")


def test_behind_a_trusted_proxy_the_address_is_the_last_one_it_did_not_write(server_data_dir, db_path):
    app = create_app(Settings(data_dir=server_data_dir, trusted_proxies="127.0.0.1, 10.0.0.0/8"))
    with ThreadedServer(app=app) as server, httpx.Client(base_url=server.url, timeout=10) as client:
        wrong = {"account": "acme", "username": "alex", "password": "nope", "desk_id": new_id()}
        # What the client wrote (left) is not believed; the hop before our proxies is.
        r = client.post("/v1/auth/login", json=wrong, headers={"X-Forwarded-For": "1.2.3.4, 198.51.100.9, 10.0.0.7"})
        assert r.status_code == 401
    [(detail,)] = query(db_path, "SELECT detail FROM audit_event WHERE action = 'login.failed'")
    assert json.loads(detail)["address"] == "198.51.100.9"
