"""Sign-in and token refresh over real HTTP."""

from __future__ import annotations

import datetime as dt
import sqlite3

import httpx
import jwt
import pytest

from server.tokens import AccessClaims, issue_access_token, load_signing_key
from sync.core.ids import new_id
from tests.server.api import PASSWORD, login, query

BAD = {"error": {"code": "bad_credentials", "message": "Wrong account, username or password."}}


def test_login_gives_tokens_staff_and_account(client, server_account):
    desk_id = new_id()
    s = login(client, desk_id=desk_id)
    body = s["body"]
    permissions = body["staff"].pop("permissions")
    assert body["staff"] == {"id": server_account["staff_id"], "username": "alex", "display_name": "Alex", "group": "front-desk"}
    assert "check_in" in permissions and "staff.manage" not in permissions
    assert body["account"] == {"slug": "acme", "name": "Acme"}
    assert body["expires_in"] == 15 * 60
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["account_id"] == server_account["account_id"]
    assert claims["staff_id"] == server_account["staff_id"]
    assert claims["desk_id"] == desk_id
    assert claims["type"] == "access"
    assert 0 < claims["exp"] - claims["iat"] <= 15 * 60


@pytest.mark.parametrize(
    "account, username, password",
    [("acme", "alex", "wrong horse"), ("acme", "nobody", PASSWORD), ("no-such-account", "alex", PASSWORD)],
    ids=["wrong-password", "unknown-user", "unknown-account"],
)
def test_every_login_failure_looks_the_same(client, account, username, password):
    r = client.post("/v1/auth/login", json={"account": account, "username": username, "password": password, "desk_id": "d1"})
    assert r.status_code == 401
    assert r.json() == BAD


def test_logins_are_audited(client, db_path, server_account):
    login(client)
    client.post("/v1/auth/login", json={"account": "acme", "username": "alex", "password": "nope", "desk_id": "d1"})
    rows = query(db_path, "SELECT action, staff_id FROM audit_event WHERE action LIKE 'login.%' ORDER BY at")
    assert rows == [("login.succeeded", server_account["staff_id"]), ("login.failed", server_account["staff_id"])]


def test_failed_logins_are_rate_limited(client):
    wrong = {"account": "acme", "username": "alex", "password": "nope", "desk_id": "d1"}
    statuses = [client.post("/v1/auth/login", json=wrong).status_code for _ in range(10)]
    assert statuses == [401] * 10
    r = client.post("/v1/auth/login", json={**wrong, "password": PASSWORD})
    assert r.status_code == 429
    assert r.json()["error"]["code"] == "too_many_attempts"
    assert int(r.headers["Retry-After"]) > 0
    # Another user of the account is not locked out by alex's guesser.
    other = client.post("/v1/auth/login", json={**wrong, "username": "sam"})
    assert other.status_code == 401


def _refresh(client, s: dict, token: str | None = None, **change) -> httpx.Response:
    body = {"refresh_token": token or s["refresh_token"], "desk_id": s["desk_id"], "desk_secret": s["desk_secret"], **change}
    return client.post("/v1/auth/refresh", json=body)


def test_refresh_rotates_the_token(client):
    s = login(client)
    r = _refresh(client, s)
    assert r.status_code == 200, r.text
    fresh = r.json()
    assert fresh["refresh_token"] != s["refresh_token"]
    assert fresh["staff"]["id"] == s["staff_id"]
    assert fresh["desk_secret"] is None  # the credential is handed out once, at enrollment
    headers = {"Authorization": f"Bearer {fresh['access_token']}"}
    assert client.get("/v1/sync/pull", params={"limit": 1}, headers=headers).status_code == 200
    # The successor works in turn.
    r = _refresh(client, s, fresh["refresh_token"])
    assert r.status_code == 200


def test_a_refresh_token_used_twice_revokes_its_whole_family(client, db_path):
    s = login(client)
    fresh = _refresh(client, s).json()
    headers = {"Authorization": f"Bearer {fresh['access_token']}"}
    assert client.get("/v1/sync/pull", params={"limit": 1}, headers=headers).status_code == 200

    again = _refresh(client, s)  # the old one again: someone else holds a copy of this sign-in
    assert again.status_code == 401
    assert again.json()["error"]["code"] == "auth"
    # Every token of the family is dead now: the successor, and its access token at once.
    assert _refresh(client, s, fresh["refresh_token"]).status_code == 401
    assert client.get("/v1/sync/pull", params={"limit": 1}, headers=headers).status_code == 401
    assert client.get("/v1/sync/pull", params={"limit": 1}, headers=s["headers"]).status_code == 401
    assert query(db_path, "SELECT count(*) FROM audit_event WHERE action = 'refresh.reused'") == [(1,)]
    # Another sign-in at the same desk is a family of its own, untouched.
    other = login(client, desk_id=s["desk_id"])
    assert _refresh(client, other).status_code == 200


def test_refresh_is_bound_to_the_desk_and_its_credential(client):
    s = login(client)
    other = login(client)
    for change in ({"desk_id": new_id()}, {"desk_id": other["desk_id"], "desk_secret": other["desk_secret"]},
                   {"desk_secret": other["desk_secret"]}, {"desk_secret": None}):  # fmt: skip
        r = _refresh(client, s, **change)
        assert r.status_code == 401, change
        assert r.json()["error"]["code"] == "auth"
    # A wrong-desk attempt does not use the token up.
    assert _refresh(client, s).status_code == 200


def test_refresh_refuses_unknown_and_expired_tokens(client, server_data_dir):
    s = login(client)
    r = _refresh(client, s, "not-a-token")
    assert r.status_code == 401
    con = sqlite3.connect(server_data_dir / "registry.sqlite")
    with con:
        con.execute("UPDATE refresh_token SET expires_at = '2000-01-01 00:00:00.000000'")
    con.close()
    r = _refresh(client, s)
    assert r.status_code == 401


def test_refresh_tokens_are_stored_only_as_hashes(client, server_data_dir):
    s = login(client)
    raw = (server_data_dir / "registry.sqlite").read_bytes()
    assert s["refresh_token"].encode() not in raw
    assert len(query(server_data_dir / "registry.sqlite", "SELECT token_hash FROM refresh_token")) == 1


def _pull_status(client, token: str) -> tuple[int, dict]:
    r = client.get("/v1/sync/pull", params={"limit": 1}, headers={"Authorization": f"Bearer {token}"})
    return r.status_code, r.json()


def test_tampered_expired_and_foreign_tokens_are_refused(client, server_account):
    s = login(client)
    key = load_signing_key(server_account["data_dir"])
    claims = AccessClaims(server_account["account_id"], server_account["staff_id"], s["desk_id"])
    head, payload, sig = s["access_token"].split(".")
    tampered_payload = jwt.utils.base64url_encode(
        jwt.utils.base64url_decode(payload).replace(server_account["account_id"].encode(), new_id().encode())
    ).decode()
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    bad_tokens = {
        "tampered": f"{head}.{tampered_payload}.{sig}",
        "bad signature": f"{head}.{payload}.{sig[:-4]}AAAA",
        "other key": issue_access_token(b"k" * 32, claims, dt.timedelta(minutes=5)),
        "expired": issue_access_token(key, claims, dt.timedelta(minutes=15), now=long_ago),
        "refresh token as access": s["refresh_token"],
        "wrong type": jwt.encode({"type": "refresh", **claims.__dict__, "exp": long_ago + dt.timedelta(days=1)}, key),
        "unknown account": issue_access_token(key, AccessClaims(new_id(), claims.staff_id, claims.desk_id), dt.timedelta(minutes=5)),
        "unknown staff": issue_access_token(key, AccessClaims(claims.account_id, new_id(), claims.desk_id), dt.timedelta(minutes=5)),
    }
    assert _pull_status(client, s["access_token"])[0] == 200
    for name, token in bad_tokens.items():
        status, body = _pull_status(client, token)
        assert status == 401, name
        assert body["error"]["code"] == "auth", name
        assert body["error"]["message"], name


def test_no_token_is_401_with_the_error_shape(client):
    for r in (client.get("/v1/sync/pull"), client.post("/v1/sync/push", json={"mutations": []})):
        assert r.status_code == 401
        assert r.json()["error"]["code"] == "auth"
