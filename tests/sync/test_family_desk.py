"""The family file through the desk's outbox against a real server: offline adds, edits, duplicates."""

from __future__ import annotations

import datetime as dt

import pytest

from sync.errors import RejectedError
from sync.family_desk import FamilyDesk, GuardianDraft, NewFamily, StudentDraft
from tests.sync.conftest import server_rows
from tests.sync.test_engine import desk_online

TODAY = dt.date(2026, 3, 10)  # ages are worked out on a given day, never the machine's


def okafor(phone: str = "(312) 555-0247") -> NewFamily:
    return NewFamily(
        name="Okafor", address="12 Elm St",
        guardians=[GuardianDraft("Ngozi", "Okafor", "mother", phone, "ngozi@example.com")],
        students=[StudentDraft("Ada", "", dt.date(2019, 4, 2), "girl", allergy="Peanuts: EpiPen in bag"),
                  StudentDraft("Obi", "", dt.date(2021, 9, 30))],
        emergency=GuardianDraft("Ada", "Eze", "grandmother", "773-555-0299"),
    )  # fmt: skip


async def family_desk(desks, http, url: str, account: dict, name: str):
    """A desk signed in and synced once: (store, engine, FamilyDesk). Not syncing again is being offline."""
    store, _client, engine = await desk_online(desks, http, url, account, name)
    return store, engine, FamilyDesk(store)


@pytest.mark.asyncio
async def test_a_family_added_offline_and_edited_at_another_desk_lands_once_with_both_changes(
    live_server, server_account, desks, http
):
    (a, engine_a, fa), (_b, engine_b, fb) = [await family_desk(desks, http, live_server.url, server_account, name)
                                            for name in "ab"]  # fmt: skip
    family_id = await fa.add_family(okafor(), "US")  # desk A is offline: it sits in A's outbox
    shown = fa.file(family_id, TODAY)
    assert [g.name for g in shown.guardians] == ["Ngozi Okafor", "Ada Eze"] and shown.guardians[1].emergency
    assert shown.guardians[0].phone == "+13125550247" and shown.students[0].age == 6
    assert [(n.kind, n.about) for n in shown.notes] == [("allergy", "Ada")]
    assert a.pending_count() == 1  # one step: the whole family is one change

    assert (await engine_a.sync_now()).pending == 0
    await engine_b.sync_now()
    mother = fb.file(family_id, TODAY).guardians[0]
    ada = next(st for st in fb.file(family_id, TODAY).students if st.first_name == "Ada")
    # B goes offline and edits what A added.
    await fb.update("guardian", mother.id, {"phone": "312.555.0290"}, "US")
    await fb.update("student", ada.id, {"first_name": "Adaeze"}, "US")
    await fb.set_active(ada.id, False)
    assert (await engine_b.sync_now()).pending == 0
    await engine_a.sync_now()

    data = server_account["data_dir"]
    assert server_rows(data, "SELECT count(*) FROM family WHERE name = 'Okafor'") == [(1,)]
    assert server_rows(data, "SELECT count(*) FROM contact WHERE family_id = ?", family_id) == [(2,)]
    assert server_rows(data, "SELECT phone FROM contact WHERE id = ?", mother.id) == [("+13125550290",)]
    for desk in (fa, fb):
        file = desk.file(family_id, TODAY)
        assert file.guardians[0].phone == "+13125550290"
        assert {(st.first_name, st.active) for st in file.students} == {("Adaeze", False), ("Obi", True)}


@pytest.mark.asyncio
async def test_two_desks_adding_one_family_offline_make_two_families_that_the_duplicate_check_flags(
    live_server, server_account, desks, http
):
    (_a, engine_a, fa), (_b, engine_b, fb) = [await family_desk(desks, http, live_server.url, server_account, name)
                                            for name in "ab"]  # fmt: skip
    first = await fa.add_family(okafor(), "US")
    second = await fb.add_family(okafor("+1 312-555-0247"), "US")  # the same number, typed another way
    for engine in (engine_a, engine_b, engine_a):
        await engine.sync_now()
    data = server_account["data_dir"]
    assert sorted(r[0] for r in server_rows(data, "SELECT id FROM family WHERE name = 'Okafor'")) == sorted([first, second])
    for desk, mine, other in ((fa, first, second), (fb, second, first)):
        [hit] = desk.duplicates_of(mine, "US")  # what the desk shows when either family is opened
        assert hit.family_id == other and hit.name == "Okafor family"
        assert "same phone (312) 555-0247 (Ngozi Okafor)" in hit.reasons
        assert "same child Ada Okafor, born Apr 2, 2019" in hit.reasons
    # A third call for the same family is warned before saving.
    assert {h.family_id for h in fa.duplicates(okafor(), "US")} == {first, second}


@pytest.mark.asyncio
async def test_a_wrong_phone_or_email_is_refused_at_the_desk_and_nothing_is_recorded(
    live_server, server_account, desks, http
):
    a, _, _engine = await desk_online(desks, http, live_server.url, server_account, "a")
    fa = FamilyDesk(a)
    with pytest.raises(RejectedError, match="type it with its area code"):
        await fa.add_family(okafor("555-0247"), "US")
    bad = okafor()
    bad.guardians[0].email = "ngozi at example.com"
    with pytest.raises(RejectedError, match="is not an email address"):
        await fa.add_family(bad, "US")
    assert a.pending_count() == 0 and not fa.duplicates(okafor(), "US")


@pytest.mark.asyncio
async def test_a_new_family_the_server_refuses_leaves_the_desk_and_waits_in_needs_attention_in_words(
    live_server, server_account, desks, http
):
    from server import admin

    a, engine, fa = await family_desk(desks, http, live_server.url, server_account, "a")
    family_id = await fa.add_family(okafor(), "US")  # offline, while alex still may add families
    admin.edit_staff(server_account["data_dir"], "acme", server_account["username"], group="coach")
    await engine.sync_now()
    [refused] = a.rejected()
    assert refused.code == "forbidden" and refused.summary == "New family: Okafor (2 children)"
    with pytest.raises(LookupError):
        fa.file(family_id, TODAY)  # nothing half-shown: the family is gone from this desk until staff decide
    assert server_rows(server_account["data_dir"], "SELECT count(*) FROM family WHERE id = ?", family_id) == [(0,)]


@pytest.mark.asyncio
async def test_a_move_the_server_refuses_puts_the_child_back_in_their_family_at_the_desk(
    live_server, server_account, desks, http
):
    a, engine, fa = await family_desk(desks, http, live_server.url, server_account, "a")
    okafor_id = await fa.add_family(okafor(), "US")
    eze_id = await fa.add_family(NewFamily("Eze", guardians=[GuardianDraft("Chidi", "Eze", phone="312 555 0270")]), "US")
    await engine.sync_now()
    obi = next(st.id for st in fa.file(okafor_id, TODAY).students if st.first_name == "Obi")
    await fa.move_student(obi, eze_id)  # alex is front desk: the desk records it, the server refuses it
    assert [st.first_name for st in fa.file(eze_id, TODAY).students] == ["Obi"]
    await engine.sync_now()
    [refused] = a.rejected()
    assert refused.code == "forbidden" and refused.summary == "Obi Okafor moved to another family"
    assert [st.first_name for st in fa.file(okafor_id, TODAY).students] == ["Ada", "Obi"]
    assert fa.file(eze_id, TODAY).students == ()
