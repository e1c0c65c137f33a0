"""Two accounts on one server never see or touch each other's data."""

from __future__ import annotations

import pytest

from tests.helpers.server_process import account_db_path, make_account
from tests.server.api import check_in, login, pull_all, push, table_counts


@pytest.fixture
def beta(server_data_dir):
    return make_account(server_data_dir, "beta", "bea", "beta password", families=5, seed=2)


def test_each_account_has_its_own_database(server_data_dir, beta):
    assert account_db_path(server_data_dir, "acme") != account_db_path(server_data_dir, "beta")
    assert account_db_path(server_data_dir, "beta").exists()


def test_an_account_pulls_only_its_own_rows(client, session, beta):
    a_ids = {c["id"] for c in pull_all(client, session["headers"])}
    b = login(client, account="beta", username="bea", password="beta password")
    b_changes = pull_all(client, b["headers"])
    assert b_changes
    assert not a_ids & {c["id"] for c in b_changes}
    assert sum(c["type"] == "family" for c in b_changes) == 5


def test_pushing_a_students_id_from_another_account_is_not_found(client, session, world, db_path, beta, server_data_dir):
    b = login(client, account="beta", username="bea", password="beta password")
    b_location = next(c["id"] for c in pull_all(client, b["headers"]) if c["type"] == "location")
    a_before = table_counts(db_path)
    m = check_in(b, 1, world["student_ids"][0], b_location)
    [result] = push(client, b, [m]).json()["results"]
    assert (result["status"], result["code"]) == ("rejected", "not_found")
    # Even naming A's location and session changes nothing in A.
    m2 = check_in(b, 2, world["student_ids"][0], world["location_id"], session_id=world["session_id"], mark_id=m["id"])
    assert push(client, b, [m2]).json()["results"][0]["code"] == "not_found"
    assert table_counts(db_path) == a_before
    assert table_counts(account_db_path(server_data_dir, "beta"))["check_in"] == 0


def test_a_staff_member_of_one_account_cannot_sign_in_to_another(client, beta):
    r = client.post("/v1/auth/login", json={"account": "beta", "username": "alex", "password": "correct horse", "desk_id": "d"})
    assert r.status_code == 401


def test_a_refresh_token_stays_with_its_account(client, session, beta):
    r = client.post("/v1/auth/refresh", json={"refresh_token": session["refresh_token"], "desk_id": session["desk_id"], "desk_secret": session["desk_secret"]})
    assert r.json()["account"]["slug"] == "acme"
