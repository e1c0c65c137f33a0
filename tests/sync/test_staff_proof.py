"""Who made a change (issue 19): changes carry a proof that their staff member signed in at the
desk (sync.core.staff_proof), made at every sign-in, offline ones included, and at a PIN unlock."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from desk.boot import DeskConfig, DeskSession
from server import admin
from sync.core.clock import PinnedClock
from sync.errors import NetworkError
from sync.offline_signin import OfflineVerifiers
from sync.core.staff_proof import checks, session_proof, split
from tests.helpers.enrollment import code_for
from tests.helpers.server_process import free_port
from tests.sync.conftest import server_rows

PASSWORDS = {"alex": "correct horse", "bea": "bea's long password", "cal": "cal's long password"}


def test_a_proof_checks_only_under_its_key_and_unchanged():
    start = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
    proof = session_proof("key-of-bea-at-desk-a", start)
    assert split(proof)[0] == "2026-03-01T09:00:00+00:00"
    assert checks("key-of-bea-at-desk-a", proof)
    assert not checks("key-of-bea-at-desk-b", proof)  # another desk's (or person's) key
    later = proof.replace("09:00:00", "10:00:00")
    assert not checks("key-of-bea-at-desk-a", later)  # the session's start is what is signed
    for bad in (None, "", "no separator", "not-a-time~abc", proof + "~x"):
        assert not checks("key-of-bea-at-desk-a", bad)


def test_the_staff_key_at_rest_opens_only_with_the_password(tmp_path):
    from sync.core.wire import AccountPublic, StaffPublic, TokenResponse

    verifiers = OfflineVerifiers(tmp_path / "offline.json")
    tokens = TokenResponse(access_token="a", refresh_token="r", expires_in=60, staff_key="the-staff-key",
                           staff=StaffPublic(id="s1", username="bea", display_name="Bea", group="front-desk"),
                           account=AccountPublic(slug="acme", name="Acme"))  # fmt: skip
    verifiers.remember("bea", "bea's long password", tokens)
    assert "the-staff-key" not in (tmp_path / "offline.json").read_text()
    assert verifiers.check("bea", "bea's long password").staff_key == "the-staff-key"
    assert verifiers.check("bea", "wrong") is None


@pytest.mark.asyncio
async def test_offline_work_by_three_staff_at_one_desk_lands_under_their_own_names(
    live_server, server_account, memory_keyring, tmp_path
):
    data_dir = server_account["data_dir"]
    ids = {"alex": server_account["staff_id"]}
    for name in ("bea", "cal"):
        ids[name] = admin.add_staff(data_dir, "acme", name, PASSWORDS[name])
    clock = PinnedClock(dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC), frozen=True)
    config = DeskConfig(server_url=live_server.url, account="acme", data_dir=tmp_path / "desks", desk_name="Front",
                        enrollment_code=code_for(live_server.url, "acme"))  # fmt: skip
    session = DeskSession.open(config)
    session.auth.clock = clock
    try:
        for name in ("bea", "cal", "alex"):  # each signs in here online once; alex's tokens stay
            assert not (await session.login(name, PASSWORDS[name])).offline
        await session.engine.sync_now()  # the account's classes and students
        location = session.store.locations()[0].id
        students = [r[0] for r in server_rows(data_dir, "SELECT id FROM student ORDER BY id LIMIT 3")]

        session.client.base_url = f"http://127.0.0.1:{free_port()}"  # the connection drops
        for name, student in zip(("bea", "cal", "alex"), students, strict=True):
            clock.advance(minutes=20)
            signed = await session.login(name, PASSWORDS[name])  # checked here, against the cached verifier
            assert signed.offline and signed.staff.id == ids[name] and signed.staff_proof
            await session.store.check_in(student, location, None)
        with pytest.raises(NetworkError):  # someone who never signed in here needs the server
            await session.login("dan", "whatever")

        session.client.base_url = live_server.url  # back: alex's tokens push everyone's work
        await session.engine.sync_now()
        assert session.store.pending_count() == 0 and session.store.rejected() == []
        landed = dict(server_rows(data_dir, "SELECT student_id, staff_id FROM check_in WHERE desk_id = ?",
                                  session.store.desk_id))  # fmt: skip
        assert landed == {students[0]: ids["bea"], students[1]: ids["cal"], students[2]: ids["alex"]}
        audited = server_rows(data_dir, "SELECT staff_id, detail FROM audit_event WHERE action = 'mutation.applied' "
                                        "AND desk_id = ? ORDER BY at", session.store.desk_id)  # fmt: skip
        assert [(s, json.loads(d)["pushed_by"]) for s, d in audited] == [
            (ids["bea"], ids["alex"]), (ids["cal"], ids["alex"]), (ids["alex"], ids["alex"])]  # fmt: skip
    finally:
        await session.close()


@pytest.mark.asyncio
async def test_a_pin_unlock_starts_a_session_with_its_own_proof(live_server, server_account, memory_keyring, tmp_path):
    admin.set_pin(server_account["data_dir"], "acme", "alex", "2468")
    clock = PinnedClock(dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC), frozen=True)
    config = DeskConfig(server_url=live_server.url, account="acme", data_dir=tmp_path / "desks",
                        enrollment_code=code_for(live_server.url, "acme"))  # fmt: skip
    session = DeskSession.open(config)
    session.auth.clock = clock
    try:
        signed = await session.login("alex", PASSWORDS["alex"])
        assert session.store.outbox.staff_proofs == {signed.staff.id: signed.staff_proof}
        clock.advance(hours=1)
        assert not session.auth.check_pin("1111") and session.store.outbox.staff_proofs[signed.staff.id] == signed.staff_proof
        assert session.auth.check_pin("2468")
        unlocked = session.store.outbox.staff_proofs[signed.staff.id]
        assert unlocked != signed.staff_proof and split(unlocked)[0] == "2026-03-02T16:00:00+00:00"
        assert checks(session.auth.staff_key, unlocked)
    finally:
        await session.close()


@pytest.mark.asyncio
async def test_a_change_in_the_name_of_someone_who_never_signed_in_here_needs_attention(
    live_server, server_account, memory_keyring, tmp_path
):
    bea = admin.add_staff(server_account["data_dir"], "acme", "bea", PASSWORDS["bea"])
    config = DeskConfig(server_url=live_server.url, account="acme", data_dir=tmp_path / "desks",
                        enrollment_code=code_for(live_server.url, "acme"))  # fmt: skip
    session = DeskSession.open(config)
    try:
        await session.login("alex", PASSWORDS["alex"])
        await session.engine.sync_now()
        location = session.store.locations()[0].id
        [(student,)] = server_rows(server_account["data_dir"], "SELECT id FROM student ORDER BY id LIMIT 1")
        session.store.staff_id = bea  # a desk (or a tampered one) writing in the name of someone never here
        await session.store.check_in(student, location, None)
        await session.engine.sync_now()
        [refused] = session.store.rejected()
        assert "never signed in at this desk" in refused.message
        assert server_rows(server_account["data_dir"], "SELECT count(*) FROM check_in WHERE staff_id = ?", bea) == [(0,)]
    finally:
        await session.close()
