"""Cross-account isolation over real HTTP: account B's staff try every route and every mutation
type with account A's record ids, desk, tokens and usernames. Nothing of A may come back, and
nothing of A may change.

Both accounts have staff with the same usernames ("alex", "olga"), so any lookup by username
that forgot the account would show here.
"""

from __future__ import annotations

import re
import typing

import httpx
import pytest

from server import admin
from sync.core.ids import new_id, utcnow
from sync.core.mutations import PAYLOADS
from tests.helpers.server_process import ThreadedServer, account_db_path, make_account
from tests.server.api import PASSWORD, login, pull_all, push, query, table_counts

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
ACCOUNT_LEVEL = {"/v1/health", "/openapi.json", "/docs", "/redoc", "/docs/oauth2-redirect"}


@pytest.fixture(scope="module")
def two(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("two")
    make_account(data_dir, "acme", "alex", PASSWORD, families=5, seed=1)
    make_account(data_dir, "beta", "alex", "another password", families=5, seed=2)
    for slug, pw in (("acme", PASSWORD), ("beta", "another password")):
        admin.add_staff(data_dir, slug, "olga", pw, group="owner")
    with ThreadedServer(data_dir) as server, httpx.Client(base_url=server.url, timeout=10) as client:
        a = login(client, account="acme", username="olga")
        a_alex = login(client, account="acme", username="alex")
        b = login(client, account="beta", username="olga", password="another password")
        # A's own activity, so A has mutations, audit events, a custom group and a PIN to aim at.
        a_changes = pull_all(client, a["headers"])
        student = next(c["data"] for c in a_changes if c["type"] == "student")
        location = next(c["data"] for c in a_changes if c["type"] == "location")
        session = next(c["data"] for c in a_changes if c["type"] == "class_session" and c["data"]["location_id"] == location["id"])
        m = {"id": new_id(), "desk_id": a["desk_id"], "seq": 1, "staff_id": a["staff_id"], "made_at": utcnow().isoformat(),
             "type": "check_in", "payload": {"check_in_id": new_id(), "student_id": student["id"], "location_id": location["id"],
                                             "checked_in_at": utcnow().isoformat()}}
        assert push(client, a, [m]).json()["results"][0]["status"] == "applied"
        assert client.post("/v1/staff/groups", json={"name": "a-secret-group", "label": "A only", "permissions": ["check_in"]},
                           headers=a["headers"]).status_code == 201
        yield {"client": client, "a": a, "a_alex": a_alex, "b": b, "data_dir": data_dir, "student": student, "location": location,
               "session": session, "mutation_id": m["id"], "a_db": account_db_path(data_dir, "acme")}


def _a_ids(two) -> set[str]:
    """Every id and secret of account A a leak could carry."""
    ids = {c["id"] for c in pull_all(two["client"], two["a"]["headers"])}
    ids |= {r[0] for r in query(two["a_db"], "SELECT id FROM audit_event")}
    ids |= {r[0] for r in query(two["a_db"], "SELECT mutation_id FROM applied_mutation")}
    ids |= {two["a"]["desk_id"], two["a_alex"]["desk_id"], two["a"]["refresh_token"], two["a_alex"]["refresh_token"]}
    return ids


def _fill(model, aim: dict) -> dict:
    """A payload of the model's shape, with A's ids wherever a field names a record."""
    out: dict[str, typing.Any] = {}
    for name, field in model.model_fields.items():
        ann = str(field.annotation)
        if name in aim:
            out[name] = aim[name]
        elif name.endswith("_id"):
            out[name] = new_id()
        elif "Literal" in ann:
            out[name] = typing.get_args(field.annotation)[0]
        elif "datetime" in ann:
            out[name] = utcnow().isoformat()
        elif "int" in ann:
            out[name] = 1
        elif "dict" in ann:
            out[name] = {}
        elif "bool" in ann:
            out[name] = True
        else:
            out[name] = "x"
    return out


def test_account_b_reaches_nothing_of_account_a(two):
    client, a, b = two["client"], two["a"], two["b"]
    a_ids = _a_ids(two)
    b_changes = pull_all(client, b["headers"])
    assert not a_ids & {c["id"] for c in b_changes}, "the accounts share ids: the test could not see a leak"
    before = table_counts(two["a_db"])
    aim = {"staff_id": a["staff_id"], "student_id": two["student"]["id"], "location_id": two["location"]["id"],
           "session_id": two["session"]["id"], "family_id": two["student"]["family_id"], "mutation_id": two["mutation_id"],
           "record_id": two["student"]["id"], "name": "a-secret-group"}
    attempts, leaks = 0, []
    sent: set[str] = set(aim.values()) | {a["refresh_token"]}  # what B itself ever sent (B's log may echo it)

    def attempt(method: str, path: str, **kw) -> httpx.Response:
        nonlocal attempts
        attempts += 1
        sent.update(UUID.findall(str(kw)))
        r = client.request(method, path, **kw)
        found = {i for i in a_ids - sent if i in r.text}
        # What came back must not name anything of A's that B did not send itself.
        if found or r.status_code >= 500:
            leaks.append((method, path, r.status_code, sorted(found)))
        return r

    # Every route of the API, with A's ids in the path and the query, under B's token.
    doc = client.get("/openapi.json").json()
    bodies = {"post": {"username": "alex2", "group": "front-desk", "password": "long enough", "name": "b-group", "label": "B",
                       "display_name": "Mallory", "permissions": [], "refresh_token": a["refresh_token"], "desk_id": b["desk_id"],
                       "pin": "1234"},
              "patch": {"display_name": "Mallory", "active": False, "label": "Owned"}, "put": {"pin": "0000"}}
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if path in ACCOUNT_LEVEL or path == "/v1/auth/login":
                continue
            url = re.sub(r"\{(\w+)\}", lambda mm: str(aim.get(mm.group(1), a["staff_id"])), path)
            params = {p["name"]: aim.get(p["name"], 0) for p in op.get("parameters", []) if p["in"] == "query" and p["name"] in aim}
            body = bodies.get(method)
            if path == "/v1/auth/password" or "password" in path:
                body = {"password": "taken over!"}
            r = attempt(method.upper(), url, params=params, json=body, headers=b["headers"])
            if "{" in path:
                assert r.status_code in (401, 403, 404, 422), (method, path, r.status_code, r.text)

    # Every mutation type, aimed at A's records, from B's desk; and once claiming A's desk.
    for seq, mtype in enumerate(sorted(PAYLOADS), start=1):
        m = {"id": new_id(), "desk_id": b["desk_id"], "seq": seq, "staff_id": b["staff_id"], "made_at": utcnow().isoformat(),
             "type": mtype, "payload": _fill(PAYLOADS[mtype], aim)}
        r = attempt("POST", "/v1/sync/push", json={"mutations": [m]}, headers=b["headers"])
        assert r.status_code == 200
        m2 = {**m, "id": new_id(), "desk_id": a["desk_id"], "staff_id": a["staff_id"]}
        r = attempt("POST", "/v1/sync/push", json={"mutations": [m2]}, headers=b["headers"])
        assert r.json()["results"][0]["status"] == "rejected"

    # A's tokens and desk from B's side; A's usernames with B's password and the other way round.
    r = attempt("POST", "/v1/auth/refresh", json={"refresh_token": a["refresh_token"], "desk_id": b["desk_id"], "desk_secret": b["desk_secret"]})
    assert r.status_code == 401
    r = attempt("POST", "/v1/auth/logout", json={"refresh_token": a_alex_token(two), "desk_id": b["desk_id"]})
    assert r.status_code == 204
    r = attempt("POST", "/v1/auth/login", json={"account": "acme", "username": "olga", "password": "another password", "desk_id": b["desk_id"]})
    assert r.status_code == 401
    forged = b["access_token"][:-4] + ("AAAA" if not b["access_token"].endswith("AAAA") else "BBBB")
    r = attempt("GET", "/v1/sync/pull", headers={"Authorization": f"Bearer {forged}"})
    assert r.status_code == 401
    for q in ({"staff_id": a["staff_id"]}, {"record_id": two["student"]["id"]}):
        r = attempt("GET", "/v1/audit", params=q, headers=b["headers"])
        # B's own log may name A's ids that B sent in its attempts above, but no event of A's.
        assert r.status_code == 200 and not {e["id"] for e in r.json()["events"]} & a_ids

    print(f"\ncross-account attempts: {attempts}, leaks: {len(leaks)}")
    assert leaks == []
    assert table_counts(two["a_db"]) == before  # nothing of A changed
    assert query(two["a_db"], "SELECT display_name, active FROM staff WHERE id = ?", a["staff_id"]) == [("Olga", 1)]
    # A still works: its alex is signed in (B's sign-out with A's token changed nothing).
    r = client.post("/v1/auth/refresh", json={"refresh_token": two["a_alex"]["refresh_token"], "desk_id": two["a_alex"]["desk_id"], "desk_secret": two["a_alex"]["desk_secret"]})
    assert r.status_code == 200


def a_alex_token(two) -> str:
    return two["a_alex"]["refresh_token"]
