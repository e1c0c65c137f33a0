"""The permission matrix: each group × each protected action, as a direct request and as a push.

The expected table is written out here by hand (not read from sync.core.permissions), so a change to
a group's permissions has to be made on purpose in both places.
"""

from __future__ import annotations

import httpx
import pytest

from server import admin
from sync.core.ids import new_id, utcnow
from sync.core.permissions import ALL_PERMISSIONS, BUILTIN_GROUPS, attendance_level, expand, mutation_allowed
from tests.helpers.server_process import ThreadedServer, account_db_path, make_account
from tests.server.api import PASSWORD, check_in, login, pull_all, push, query
from tests.server.conftest import world_of

GROUPS = ("owner", "manager", "front-desk", "coach", "kiosk")
EVERYTHING = set(ALL_PERMISSIONS)
EXPECTED: dict[str, set[str]] = {
    "owner": EVERYTHING,
    "manager": EVERYTHING - {"settings.manage"},
    "front-desk": {
        "check_in", "attendance.take", "attendance.view", "family.view", "family.edit", "family.add", "ledger.view", "charge.post", "payment.take",
        "reports.run", "enrollment.manage",
    },
    "coach": {"attendance.take", "attendance.view"},
    "kiosk": {"check_in"},
}

# Direct requests: (permission needed, method, path). Pull needs any way of seeing the roster.
REQUESTS = [
    ("staff.manage", "GET", "/v1/staff"),
    ("staff.manage", "GET", "/v1/staff/groups"),
    ("audit.view", "GET", "/v1/audit"),
]
PULL_ANY_OF = {"check_in", "attendance.view", "family.view"}
# Money routes: refused with 403 before the body is read; allowed ones then refuse the empty body (422).
MONEY_REQUESTS = [
    ("payment.take", "POST", "/v1/payments/card"),
    ("ledger.void", "POST", "/v1/payments/some-entry/void"),
    ("ledger.refund", "POST", "/v1/payments/some-entry/refund"),
]
# Every kind of change a desk may push, with the permission it needs (None: anyone signed in).
# Written out by hand; a new kind of change fails test_every_kind_of_change_is_in_the_matrix.
MUTATIONS: dict[str, str | None] = {
    "check_in": "check_in", "attendance.mark": "attendance.take", "outbox.discard": None,
    "card.assign": "family.edit", "family.update": "family.edit", "contact.update": "family.edit",
    "contact.add": "family.edit", "student.update": "family.edit", "alert.update": "family.edit", "alert.add": "family.edit",
    "charge.post": "charge.post", "payment.record": "payment.take", "drawer.count": "payment.take",
    "void.entry": "ledger.void", "ledger.adjust": "ledger.void", "ledger.credit": "ledger.void",
    "refund.record": "ledger.refund", "receipt.email": "ledger.view", "kiosk.referral": "check_in",
    "desk.settings": "settings.manage", "payment.abandon": "payment.take", "payment.attention_handled": "payment.take",
    "family.create": "family.add", "student.add": "family.edit", "student.move": "student.move",
    # Set-up (issue 20): classes with managers and owners, locations and closures likewise.
    "program.add": "classes.manage", "program.update": "classes.manage", "class.add": "classes.manage",
    "class.update": "classes.manage", "session.update": "classes.manage",
    "location.add": "setup.manage", "location.update": "setup.manage", "room.add": "setup.manage",
    "room.update": "setup.manage", "closure.add": "setup.manage", "closure.update": "setup.manage",
    # Enrollment (issue 21): the front desk enrolls and drops, coaches do not; overfill is checked on the payload.
    "enrollment.add": "enrollment.manage", "enrollment.drop": "enrollment.manage",
    "enrollment.transfer": "enrollment.manage", "waitlist.enroll": "enrollment.manage",
    "waitlist.pass": "enrollment.manage", "waitlist.keep": "enrollment.manage",
}
# Sent with an empty payload: an allowed one fails later as "invalid" (its payload is checked after
# the permission), a refused one must be "forbidden" before anything is looked at.
PREFIXED = {mtype: permission for mtype, permission in MUTATIONS.items()
            if mtype not in ("check_in", "attendance.mark") and permission is not None}


def test_every_kind_of_change_is_in_the_matrix():
    from sync.core.mutations import PAYLOADS
    from sync.core.permissions import mutation_permission

    assert set(MUTATIONS) == set(PAYLOADS)
    for mtype, permission in MUTATIONS.items():
        assert (mutation_permission(mtype) if mtype != "outbox.discard" else None) == permission, mtype


def test_the_built_in_groups_hold_exactly_the_designed_permissions():
    assert set(BUILTIN_GROUPS) == set(GROUPS)
    for group in GROUPS:
        assert set(BUILTIN_GROUPS[group]) == EXPECTED[group], group
    assert attendance_level(BUILTIN_GROUPS["coach"]) == "full"
    assert attendance_level({"attendance.view"}) == "view"
    assert attendance_level(BUILTIN_GROUPS["kiosk"]) == "none"
    assert expand({"payment.take"}) == {"payment.take", "ledger.view"}
    assert not mutation_allowed(EVERYTHING, "made.up")  # a new kind of change must name its permission
    assert mutation_allowed(set(), "outbox.discard")  # anyone lets go of their own refused change


@pytest.fixture(scope="module")
def staffed(tmp_path_factory):
    account = make_account(tmp_path_factory.mktemp("perm"), "acme", "front", PASSWORD, families=5)
    data_dir = account["data_dir"]
    for group in GROUPS:
        if group != "front-desk":
            admin.add_staff(data_dir, "acme", group.replace("-", ""), PASSWORD, group=group)
    with ThreadedServer(data_dir) as server, httpx.Client(base_url=server.url, timeout=10) as client:
        users = {g: login(client, username="front" if g == "front-desk" else g) for g in GROUPS}
        world = world_of(pull_all(client, users["owner"]["headers"]))
        yield {"client": client, "users": users, "world": world, "db": account_db_path(data_dir, "acme"), "data_dir": data_dir}


@pytest.mark.parametrize("group", GROUPS)
def test_direct_requests_follow_the_matrix(staffed, group):
    client, s = staffed["client"], staffed["users"][group]
    for permission, method, path in REQUESTS:
        r = client.request(method, path, headers=s["headers"])
        if permission in EXPECTED[group]:
            assert r.status_code == 200, (group, path, r.text)
        else:
            assert r.status_code == 403, (group, path, r.text)
            assert r.json()["error"]["code"] == "forbidden"
            assert "ask a manager" in r.json()["error"]["message"]
    for permission, method, path in MONEY_REQUESTS:
        r = client.request(method, path, json={}, headers=s["headers"])
        assert r.status_code == (422 if permission in EXPECTED[group] else 403), (group, path, r.text)
    r = client.get("/v1/sync/pull", params={"limit": 1}, headers=s["headers"])
    assert r.status_code == (200 if EXPECTED[group] & PULL_ANY_OF else 403)
    refused = query(staffed["db"], "SELECT count(*) FROM audit_event WHERE action = 'request.refused' AND staff_id = ?", s["staff_id"])
    assert refused[0][0] == sum(p not in EXPECTED[group] for p, _, _ in REQUESTS + MONEY_REQUESTS)


def _mark(s: dict, seq: int, session_id: str, student_id: str) -> dict:
    return {
        "id": new_id(), "desk_id": s["desk_id"], "seq": seq, "staff_id": s["staff_id"], "made_at": utcnow().isoformat(),
        "type": "attendance.mark",
        "payload": {"mark_id": new_id(), "session_id": session_id, "student_id": student_id, "status": "present"},
    }


@pytest.mark.parametrize("group", GROUPS)
def test_pushed_mutations_follow_the_matrix(staffed, group):
    client, s, w = staffed["client"], staffed["users"][group], staffed["world"]
    student = w["student_ids"][GROUPS.index(group)]
    mutations = [
        ("check_in", check_in(s, 1, student, w["location_id"])),
        ("attendance.take", _mark(s, 2, w["session_id"], student)),
    ]
    for i, (mtype, permission) in enumerate(PREFIXED.items()):
        m = check_in(s, 3 + i, student, w["location_id"])
        mutations.append((permission, {**m, "type": mtype, "payload": {}}))
    r = push(client, s, [m for _, m in mutations])
    assert r.status_code == 200, r.text
    for (permission, m), result in zip(mutations, r.json()["results"], strict=True):
        allowed = permission in EXPECTED[group]
        if m["type"] in PREFIXED:
            assert result["code"] == ("invalid" if allowed else "forbidden"), (group, m["type"], result)
        elif allowed:
            assert result["status"] == "applied", (group, m["type"], result)
        else:
            assert (result["status"], result["code"]) == ("rejected", "forbidden"), (group, m["type"], result)
            assert "not allowed" in result["message"]
    forbidden = sum(permission not in EXPECTED[group] for permission, _ in mutations)
    audited = query(
        staffed["db"],
        "SELECT count(*) FROM audit_event WHERE action = 'mutation.rejected' AND desk_id = ? AND json_extract(detail, '$.code') = 'forbidden'",
        s["desk_id"],
    )[0][0]
    assert audited == forbidden


def test_a_desk_cannot_push_changes_in_the_name_of_someone_who_never_signed_in_there(staffed):
    client, w = staffed["client"], staffed["world"]
    kiosk, owner = staffed["users"]["kiosk"], staffed["users"]["owner"]
    # The kiosk desk claims the owner made a change (the owner never signed in at the kiosk).
    m = _mark(kiosk, 50, w["session_id"], w["student_ids"][0])
    m["staff_id"] = owner["staff_id"]
    result = push(client, kiosk, [m]).json()["results"][0]
    assert (result["status"], result["code"]) == ("rejected", "forbidden")
    assert "never signed in at this desk" in result["message"]


def test_a_grant_and_a_custom_group_change_what_is_allowed_at_once(staffed):
    client, users, w = staffed["client"], staffed["users"], staffed["world"]
    owner, coach = users["owner"], users["coach"]
    assert client.get("/v1/audit", headers=coach["headers"]).status_code == 403
    r = client.patch(f"/v1/staff/{coach['staff_id']}", json={"grants": ["audit.view"]}, headers=owner["headers"])
    assert r.status_code == 200 and "audit.view" in r.json()["permissions"]
    assert client.get("/v1/audit", headers=coach["headers"]).status_code == 200  # same token, new rights
    r = client.post("/v1/staff/groups", json={"name": "greeter", "label": "Greeter", "permissions": ["check_in", "family.view"]},
                    headers=owner["headers"])
    assert r.status_code == 201, r.text
    r = client.patch(f"/v1/staff/{coach['staff_id']}", json={"group": "greeter", "grants": []}, headers=owner["headers"])
    assert sorted(r.json()["permissions"]) == ["check_in", "family.view"]
    results = push(client, coach, [check_in(coach, 60, w["student_ids"][3], w["location_id"]),
                                   _mark(coach, 61, w["session_id"], w["student_ids"][3])]).json()["results"]
    assert [x["status"] for x in results] == ["applied", "rejected"]


def test_a_manager_cannot_hand_out_more_than_they_hold(staffed):
    client, users = staffed["client"], staffed["users"]
    manager, front = users["manager"], users["front-desk"]
    r = client.patch(f"/v1/staff/{front['staff_id']}", json={"group": "owner"}, headers=manager["headers"])
    assert r.status_code == 403 and "permissions you do not have" in r.json()["error"]["message"]
    r = client.patch(f"/v1/staff/{front['staff_id']}", json={"grants": ["settings.manage"]}, headers=manager["headers"])
    assert r.status_code == 403
    r = client.patch(f"/v1/staff/{users['owner']['staff_id']}", json={"display_name": "Boss"}, headers=manager["headers"])
    assert r.status_code == 403  # cannot edit someone who holds more than they do
