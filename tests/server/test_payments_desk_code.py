"""Desk codes for receipt numbers: handed out at a desk's first sign-in, unique in the account."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx

from sync.core.ids import new_id
from sync.core.ledger import receipt_number
from tests.server.api import login, query


def test_each_desk_gets_its_own_code_and_keeps_it(client, server_data_dir):
    first, second = login(client), login(client)
    assert (first["body"]["desk_code"], second["body"]["desk_code"]) == ("D1", "D2")
    assert login(client, desk_id=first["desk_id"])["body"]["desk_code"] == "D1"  # signing in again
    r = client.post("/v1/auth/refresh", json={"refresh_token": second["refresh_token"], "desk_id": second["desk_id"], "desk_secret": second["desk_secret"]})
    assert r.status_code == 200 and r.json()["desk_code"] == "D2"
    assert receipt_number("DT", first["body"]["desk_code"], 42) == "DT-D1-000042"
    rows = query(server_data_dir / "registry.sqlite", "SELECT desk_id, number FROM desk_code ORDER BY number")
    assert rows == [(first["desk_id"], 1), (second["desk_id"], 2)]


def test_desks_signing_in_at_once_never_share_a_code(live_server):
    desks = [new_id() for _ in range(8)]

    def sign_in(desk_id: str) -> str:
        with httpx.Client(base_url=live_server.url, timeout=20) as c:
            return login(c, desk_id=desk_id)["body"]["desk_code"]

    with ThreadPoolExecutor(len(desks)) as pool:
        codes = list(pool.map(sign_in, desks))
    assert sorted(codes, key=lambda c: int(c[1:])) == [f"D{i}" for i in range(1, 9)]
