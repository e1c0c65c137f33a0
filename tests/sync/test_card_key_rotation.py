"""The member-card key (issue 19): only for staff who may check in, and rotated by version: a
lookup tries the current key and the one before, and a card seen under the old one is stored
again under the new one at its next swipe."""

from __future__ import annotations

import pytest

from server import admin
from sync.client import ApiClient
from sync.engine import SyncEngine
from sync.core.member_cards import card_hash
from tests.helpers.enrollment import code_for, own_secret
from tests.sync.conftest import FAST, server_rows
from tests.sync.test_engine import engines, picks  # noqa: F401 - fixture

CARD = "00012345"


async def _sign_in(client: ApiClient, store, account: dict, username: str, password: str):
    tokens = await client.login(account["slug"], username, password, store.desk_id, "Desk", desk_secret=own_secret(store.data_dir),
                                enrollment_code=code_for(client.base_url, account["slug"]))  # fmt: skip
    client.access_token = tokens.access_token
    store.staff_id, store.card_key, store.old_card_keys = tokens.staff.id, tokens.card_key, tokens.old_card_keys
    return tokens


@pytest.mark.asyncio
async def test_only_staff_who_may_check_in_are_given_the_card_keys(live_server, server_account, desks, http):
    admin.add_staff(server_account["data_dir"], "acme", "cody", "coach horse battery", group="coach")
    client = ApiClient(http, live_server.url)
    coach = await _sign_in(client, desks("a"), server_account, "cody", "coach horse battery")
    assert coach.card_key is None and coach.old_card_keys == []
    front = await _sign_in(client, desks("b"), server_account, "alex", server_account["password"])
    assert front.card_key


@pytest.mark.asyncio
async def test_a_rotated_key_finds_old_cards_and_stores_them_anew_at_the_next_swipe(
    live_server, server_account, desks, http, engines  # noqa: F811
):
    data_dir, password = server_account["data_dir"], server_account["password"]
    store, client = desks("a"), ApiClient(http, live_server.url)
    first = await _sign_in(client, store, server_account, "alex", password)
    engine = SyncEngine(store, client, **FAST)
    engines.append(engine)
    await engine.sync_now()
    p = picks(store)
    student = p.student_ids[1]
    await store.assign_card(CARD, student)
    await engine.sync_now()

    assert admin.rotate_card_key(data_dir, "acme") == 2
    second = await _sign_in(client, store, server_account, "alex", password)
    assert second.card_key != first.card_key and second.old_card_keys == [first.card_key]
    swiped = await store.check_in_by_card(CARD, p.location_id)  # found under the old key...
    assert swiped.known and swiped.card.student.id == student
    await engine.sync_now()
    hashes = {h for (h,) in server_rows(data_dir, "SELECT card_hash FROM member_card WHERE student_id = ?", student)}
    assert card_hash(second.card_key, CARD) in hashes  # ...and stored again under the new one

    # A second rotation drops the first key for good; the card is still known, by its new hash.
    assert admin.rotate_card_key(data_dir, "acme") == 3
    third = await _sign_in(client, store, server_account, "alex", password)
    assert first.card_key not in (third.card_key, *third.old_card_keys)
    assert store.student_by_card(CARD) == student
