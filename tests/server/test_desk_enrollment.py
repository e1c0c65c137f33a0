"""Desks the server knows (issue 19), over real HTTP: enrollment, the desk credential, the
owner's desk list, retiring a desk, and the issue's attack replayed step by step."""

from __future__ import annotations

import json

import pytest

from server import admin
from sync.core.ids import new_id, utcnow
from tests.helpers.enrollment import remember
from tests.server.api import PASSWORD, login, query

OWNER_PASSWORD = "owner horse battery"
COACH_PASSWORD = "coach horse battery"


@pytest.fixture
def people(server_account) -> dict:
    """acme's owner (olive) and a coach (cody) besides alex at the front desk."""
    d = server_account["data_dir"]
    return {
        "owner": admin.add_staff(d, "acme", "olive", OWNER_PASSWORD, group="owner"),
        "coach": admin.add_staff(d, "acme", "cody", COACH_PASSWORD, group="coach"),
    }


def _login(client, username: str, password: str, **desk) -> tuple[int, dict]:
    r = client.post("/v1/auth/login", json={"account": "acme", "username": username, "password": password,
                                            "desk_name": "Desk", **desk})  # fmt: skip
    if r.status_code == 200:
        remember(client.base_url, "acme", r.json())  # tests.server.api.login signs in there with it
    return r.status_code, r.json()


def _events(db_path, action: str) -> list[dict]:
    rows = query(db_path, "SELECT staff_id, desk_id, detail FROM audit_event WHERE action = ? ORDER BY at", action)
    return [{"staff_id": r[0], "desk_id": r[1], "detail": json.loads(r[2])} for r in rows]


def _bearer(body: dict) -> dict:
    return {"Authorization": f"Bearer {body['access_token']}"}


def test_a_manager_sets_a_new_computer_up_and_the_server_gives_its_id_and_credential_once(client, people, server_data_dir):
    status, body = _login(client, "olive", OWNER_PASSWORD)  # a new computer: no desk id, no credential
    assert status == 200, body
    desk_id, secret = body["desk_id"], body["desk_secret"]
    assert desk_id and secret and len(secret) >= 32
    status, again = _login(client, "olive", OWNER_PASSWORD, desk_id=desk_id, desk_secret=secret)
    assert status == 200 and again["desk_id"] == desk_id and again["desk_secret"] is None  # handed out once
    # The front desk signs in there with the credential, no code needed: the desk is known.
    status, alex = _login(client, "alex", PASSWORD, desk_id=desk_id, desk_secret=secret)
    assert status == 200, alex
    assert secret.encode() not in (server_data_dir / "registry.sqlite").read_bytes()  # only its hash is kept


def test_staff_who_may_not_set_desks_up_need_a_code_from_the_owner(client, people, db_path):
    status, body = _login(client, "alex", PASSWORD)
    assert (status, body["error"]["code"]) == (403, "desk_enrollment_needed")
    assert "not set up as a desk" in body["error"]["message"]
    owner = login(client, username="olive", password=OWNER_PASSWORD)
    r = client.post("/v1/desks/enrollment-codes", json={"uses": 1, "hours": 1}, headers=owner["headers"])
    assert r.status_code == 201, r.text
    code = r.json()["code"]
    r = client.post("/v1/desks/enrollment-codes", json={"uses": 1}, headers=login(client)["headers"])
    assert r.status_code == 403  # codes are the owner's to make
    typed = f"{code[:5].lower()}-{code[5:]}"  # as a person types it
    status, body = _login(client, "alex", PASSWORD, enrollment_code=typed)
    assert status == 200 and body["desk_secret"], body
    status, body = _login(client, "alex", PASSWORD, enrollment_code=code)
    assert (status, body["error"]["code"]) == (403, "desk_enrollment_needed")  # used up
    assert [e["detail"]["code"] for e in _events(db_path, "login.refused")] == ["desk_enrollment_needed"] * 2


def test_the_attack_of_issue_19_is_refused_at_every_step(client, people, db_path, server_account):
    # The front desk, set up by the owner, where the owner has signed in and alex works.
    status, front = _login(client, "olive", OWNER_PASSWORD)
    front_id = front["desk_id"]
    alex = login(client, desk_id=front_id)  # alex at the front desk, with its credential
    r = client.post("/v1/sync/push", headers=alex["headers"], json={"mutations": [{
        "id": new_id(), "desk_id": front_id, "seq": 1, "staff_id": alex["staff_id"], "made_at": utcnow().isoformat() + "Z",
        "type": "check_in", "payload": {"check_in_id": new_id(), "student_id": new_id(), "location_id": new_id(),
                                        "checked_in_at": utcnow().isoformat()}}]})  # fmt: skip
    assert r.status_code == 200

    # 1. The coach knows the front desk's id and the owner's staff id (check-ins carry them) and
    #    signs in with their own password naming that desk: refused, however they try.
    for attempt in ({"desk_id": front_id}, {"desk_id": front_id, "desk_secret": "x" * 43},
                    {"desk_id": front_id, "enrollment_code": admin.enrollment_code(server_account["data_dir"], "acme")}):  # fmt: skip
        status, body = _login(client, "cody", COACH_PASSWORD, **attempt)
        assert (status, body["error"]["code"]) == (403, "desk_refused"), attempt
    # 2. Nor can they make a desk of their own computer without the owner's code.
    status, body = _login(client, "cody", COACH_PASSWORD)
    assert (status, body["error"]["code"]) == (403, "desk_enrollment_needed")
    refused = _events(db_path, "login.refused")
    assert len(refused) == 4 and {e["staff_id"] for e in refused} == {people["coach"]}

    # 3. Given a code for a laptop of their own, the coach still cannot push in the owner's name:
    #    the laptop holds no proof that the owner signed in there (sync.core.staff_proof).
    code = admin.enrollment_code(server_account["data_dir"], "acme")
    status, laptop = _login(client, "cody", COACH_PASSWORD, enrollment_code=code)
    assert status == 200
    family_id, entry_id = new_id(), new_id()
    payloads = {
        "payment.record": {"entry_id": entry_id, "family_id": family_id, "amount_cents": 100_00, "method": "cash"},
        "ledger.credit": {"entry_id": new_id(), "family_id": family_id, "amount_cents": 500_00, "memo": "goodwill"},
        "refund.record": {"entry_id": new_id(), "family_id": family_id, "refunds_id": entry_id, "amount_cents": 100_00},
        "family.update": {"family_id": family_id, "fields": {"name": "Owned"}},
        "desk.settings": {"changes": {"printer": {"before": None, "after": "evil"}}},
    }
    forged = [{"id": new_id(), "desk_id": laptop["desk_id"], "seq": i + 1, "staff_id": people["owner"],
               "made_at": utcnow().isoformat() + "Z", "type": t, "payload": p, "staff_proof": "2026-01-01T00:00:00+00:00~forged"}
              for i, (t, p) in enumerate(payloads.items())]  # fmt: skip
    before = query(db_path, "SELECT count(*) FROM ledger_entry")
    r = client.post("/v1/sync/push", json={"mutations": forged}, headers=_bearer(laptop))
    assert r.status_code == 200
    assert [(x["status"], x["code"]) for x in r.json()["results"]] == [("rejected", "forbidden")] * 5
    assert all("never signed in at this desk" in x["message"] for x in r.json()["results"])
    assert query(db_path, "SELECT count(*) FROM ledger_entry") == before
    rejected = [e for e in _events(db_path, "mutation.rejected") if e["desk_id"] == laptop["desk_id"]]
    # Audited under the coach who pushed them, never under the owner's name they claimed.
    assert [(e["staff_id"], e["detail"]["claimed_staff_id"], e["detail"]["code"]) for e in rejected] == [
        (people["coach"], people["owner"], "forbidden")] * 5  # fmt: skip
    assert not [e for e in _events(db_path, "mutation.applied") if e["staff_id"] == people["owner"]]


def test_a_desk_credential_copied_to_another_computer_is_refused_once_the_desk_is_retired(client, people, db_path):
    status, enrolled = _login(client, "olive", OWNER_PASSWORD)
    desk = {"desk_id": enrolled["desk_id"], "desk_secret": enrolled["desk_secret"]}
    copy = login(client, desk_id=desk["desk_id"])  # the copy works until the owner finds out
    owner = login(client, username="olive", password=OWNER_PASSWORD)

    r = client.get("/v1/desks", headers=owner["headers"])
    assert r.status_code == 200
    listed = {d["id"]: d for d in r.json()["desks"]}[desk["desk_id"]]
    assert listed["last_address"] == "127.0.0.1" and listed["enrolled_at"] and listed["retired_at"] is None
    assert listed["code"].startswith("D") and listed["name"] == "Desk 1"
    assert client.get("/v1/desks", headers=copy["headers"]).status_code == 403  # the owner's list only

    r = client.post(f"/v1/desks/{desk['desk_id']}/retire", headers=owner["headers"])
    assert r.status_code == 200 and r.json()["retired_at"]
    # The copy is refused everywhere, at once: sign-in, refresh, and its access token.
    status, body = _login(client, "alex", PASSWORD, **desk)
    assert (status, body["error"]["code"]) == (403, "desk_refused")
    r = client.post("/v1/auth/refresh", json={"refresh_token": copy["refresh_token"], **desk})
    assert r.status_code == 401
    assert client.get("/v1/sync/pull", params={"limit": 1}, headers=copy["headers"]).status_code == 401
    assert len(_events(db_path, "desk.retired")) == 1
    # A manager at the real computer sets it up again: a new credential; the copied one stays dead.
    status, again = _login(client, "olive", OWNER_PASSWORD, desk_id=desk["desk_id"])
    assert status == 200 and again["desk_secret"] not in (None, desk["desk_secret"])
    status, body = _login(client, "alex", PASSWORD, **desk)
    assert (status, body["error"]["code"]) == (403, "desk_refused")
    r = client.post(f"/v1/desks/{new_id()}/retire", headers=owner["headers"])
    assert r.status_code == 404


def test_signing_out_refuses_the_access_token_at_once(client, session):
    assert client.get("/v1/sync/pull", params={"limit": 1}, headers=session["headers"]).status_code == 200
    r = client.post("/v1/auth/logout", json={"refresh_token": session["refresh_token"], "desk_id": session["desk_id"]})
    assert r.status_code == 204
    r = client.get("/v1/sync/pull", params={"limit": 1}, headers=session["headers"])
    assert r.status_code == 401 and r.json()["error"]["code"] == "auth"


def test_a_client_cannot_dodge_the_sign_in_limit_with_x_forwarded_for(client, db_path):
    wrong = {"account": "acme", "username": "alex", "password": "nope", "desk_id": new_id()}
    for i in range(10):  # a new "address" each time, as a guesser would claim
        r = client.post("/v1/auth/login", json=wrong, headers={"X-Forwarded-For": f"203.0.113.{i}"})
        assert r.status_code == 401
    r = client.post("/v1/auth/login", json={**wrong, "password": PASSWORD}, headers={"X-Forwarded-For": "198.51.100.7"})
    assert r.status_code == 429
    addresses = {e["detail"]["address"] for e in _events(db_path, "login.failed")}
    assert addresses == {"127.0.0.1"}  # the header is not believed from anyone by default


def test_a_desk_from_before_enrollment_gets_its_credential_at_its_next_refresh(client, server_data_dir):
    import sqlite3

    s = login(client)
    con = sqlite3.connect(server_data_dir / "registry.sqlite")  # as the upgrade leaves a desk: no credential yet
    with con:
        con.execute("UPDATE desk SET secret_hash = NULL, enrolled_at = NULL WHERE id = ?", (s["desk_id"],))
    con.close()
    r = client.post("/v1/auth/refresh", json={"refresh_token": s["refresh_token"], "desk_id": s["desk_id"]})
    assert r.status_code == 200, r.text
    secret = r.json()["desk_secret"]
    assert secret  # proved by its live refresh token once; from now on by its credential
    fresh = r.json()["refresh_token"]
    r = client.post("/v1/auth/refresh", json={"refresh_token": fresh, "desk_id": s["desk_id"]})
    assert r.status_code == 401  # without it: refused (and the token not used up)
    r = client.post("/v1/auth/refresh", json={"refresh_token": fresh, "desk_id": s["desk_id"], "desk_secret": secret})
    assert r.status_code == 200
