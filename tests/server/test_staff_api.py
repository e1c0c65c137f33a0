"""Staff management over HTTP and from the admin command line; sign-out revokes the refresh token."""

from __future__ import annotations

import pytest

from server import admin
from server.cli import main as cli
from sync.core.ids import new_id
from tests.server.api import PASSWORD, login


@pytest.fixture
def owner(client, server_account):
    admin.add_staff(server_account["data_dir"], "acme", "olga", PASSWORD, group="owner")
    return login(client, username="olga")


def _refresh(client, s):
    return client.post("/v1/auth/refresh", json={"refresh_token": s["refresh_token"], "desk_id": s["desk_id"], "desk_secret": s["desk_secret"]})


def test_an_owner_adds_a_coach_who_can_then_sign_in_with_a_pin(client, owner):
    r = client.post("/v1/staff", json={"username": "cora", "display_name": "Cora", "group": "coach", "password": "tumbling1",
                                       "pin": "4321"}, headers=owner["headers"])
    assert r.status_code == 201, r.text
    assert r.json()["has_pin"] and r.json()["permissions"] == ["attendance.take", "attendance.view"]
    cora = login(client, username="cora", password="tumbling1")
    assert cora["body"]["staff"]["group"] == "coach"
    from argon2 import PasswordHasher

    assert PasswordHasher().verify(cora["body"]["pin_verifier"], "4321")
    r = client.post("/v1/staff", json={"username": "cora", "group": "coach", "password": "tumbling1"}, headers=owner["headers"])
    assert r.status_code == 409 and "already" in r.json()["error"]["message"]
    r = client.post("/v1/staff", json={"username": "x", "group": "wizard", "password": "tumbling1"}, headers=owner["headers"])
    assert r.status_code == 422


def test_disabling_signs_them_out_of_every_desk_at_once(client, owner, session):
    second = login(client)  # alex at a second desk
    assert client.get("/v1/staff/me", headers=session["headers"]).status_code == 200
    r = client.patch(f"/v1/staff/{session['staff_id']}", json={"active": False}, headers=owner["headers"])
    assert r.status_code == 200 and r.json()["active"] is False
    for s in (session, second):
        assert client.get("/v1/staff/me", headers=s["headers"]).status_code == 401  # access token refused now
        assert _refresh(client, s).status_code == 401  # and the refresh token is revoked
    r = client.post("/v1/auth/login", json={"account": "acme", "username": "alex", "password": PASSWORD, "desk_id": new_id()})
    assert r.status_code == 401
    client.patch(f"/v1/staff/{session['staff_id']}", json={"active": True}, headers=owner["headers"])
    assert _refresh(client, session).status_code == 401  # enabling does not bring old tokens back
    login(client)


def test_a_new_password_revokes_old_sign_ins(client, owner, session):
    r = client.post(f"/v1/staff/{session['staff_id']}/password", json={"password": "new password"}, headers=owner["headers"])
    assert r.status_code == 200
    assert _refresh(client, session).status_code == 401
    r = client.post("/v1/auth/login", json={"account": "acme", "username": "alex", "password": PASSWORD, "desk_id": new_id()})
    assert r.status_code == 401
    login(client, password="new password")


def test_managers_cannot_disable_themselves_and_staff_set_their_own_pin(client, owner, session):
    r = client.patch(f"/v1/staff/{owner['staff_id']}", json={"active": False}, headers=owner["headers"])
    assert r.status_code == 409
    assert client.put(f"/v1/staff/{session['staff_id']}/pin", json={"pin": "1234"}, headers=session["headers"]).status_code == 200
    assert client.put(f"/v1/staff/{owner['staff_id']}/pin", json={"pin": "1234"}, headers=session["headers"]).status_code == 403
    assert client.put(f"/v1/staff/{session['staff_id']}/pin", json={"pin": "12ab"}, headers=session["headers"]).status_code == 422
    assert client.get(f"/v1/staff/{new_id()}", headers=owner["headers"]).status_code == 404


def test_sign_out_revokes_the_refresh_token(client, session, db_path):
    r = client.post("/v1/auth/logout", json={"refresh_token": session["refresh_token"], "desk_id": session["desk_id"]})
    assert r.status_code == 204
    assert _refresh(client, session).status_code == 401
    # Unknown or repeated: the same answer, so it tells nobody whether a token existed.
    again = client.post("/v1/auth/logout", json={"refresh_token": session["refresh_token"], "desk_id": session["desk_id"]})
    assert again.status_code == 204
    from tests.server.api import query

    assert query(db_path, "SELECT count(*) FROM audit_event WHERE action = 'logout' AND desk_id = ?", session["desk_id"])[0][0] == 1


def test_the_admin_command_line_manages_staff(client, session, server_account, capsys, monkeypatch):
    d = ["--data-dir", str(server_account["data_dir"])]
    assert cli(["edit-staff", *d, "acme", "alex", "--group", "manager", "--grant", "settings.manage"]) == 0
    assert "manager, active" in capsys.readouterr().out
    assert client.get("/v1/audit", headers=session["headers"]).status_code == 200  # same token, new group
    monkeypatch.setenv("FRONTDESK_PIN", "2468")
    assert cli(["set-pin", *d, "acme", "alex"]) == 0
    assert cli(["edit-staff", *d, "acme", "alex", "--disable"]) == 0
    assert _refresh(client, session).status_code == 401
    monkeypatch.setenv("FRONTDESK_PASSWORD", "fresh password")
    assert cli(["edit-staff", *d, "acme", "alex", "--enable"]) == 0
    assert cli(["reset-password", *d, "acme", "alex"]) == 0
    s = login(client, password="fresh password")
    assert s["body"]["pin_verifier"] is not None
    capsys.readouterr()
    assert cli(["list-staff", *d, "acme"]) == 0
    assert "alex\tmanager" in capsys.readouterr().out
    assert cli(["edit-staff", *d, "acme", "nobody", "--disable"]) == 1
    assert "no such staff member" in capsys.readouterr().err
    assert cli(["edit-staff", *d, "acme", "alex", "--grant", "fly"]) == 1
