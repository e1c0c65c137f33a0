"""Member cards: kept as a keyed hash, assigned through the outbox, found by a swipe, on every desk."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest

from sync.engine import SyncEngine
from sync.errors import AuthError
from sync.core.member_cards import card_hash, new_card_key
from sync.core.mutations import CARD_ASSIGN
from sync.store import DeskStore
from tests.helpers.enrollment import code_for
from tests.sync.conftest import FAST, server_rows
from tests.sync.data import CHICAGO, DAY, World
from tests.sync.test_engine import engines, picks  # noqa: F401 - fixture

CARD = "00012345"


def at(hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(DAY.year, DAY.month, DAY.day, hour, minute, tzinfo=CHICAGO)


def files_hold(paths, needle: str) -> list[str]:
    return [str(p) for p in paths if p.is_file() and needle.encode() in p.read_bytes()]


def test_the_hash_is_keyed():
    key, other = new_card_key(), new_card_key()
    assert card_hash(key, CARD) == card_hash(key, " 0001 2345") != card_hash(other, CARD)
    assert len(card_hash(key, CARD)) == 64 and CARD not in card_hash(key, CARD)


@pytest.mark.asyncio
async def test_a_swipe_checks_the_student_in_to_their_next_class(store: DeskStore, demo: World, tmp_path):
    store.card_key = new_card_key()
    assert store.student_by_card(CARD) is None
    unknown = await store.check_in_by_card(CARD, demo.ids["downtown"], now=at(15, 50))
    assert not unknown.known and store.pending_count() == 0

    await store.assign_card(CARD, demo.ids["emmett"])
    [mutation] = store.outbox.pending()
    assert mutation.type == CARD_ASSIGN and mutation.payload == {
        "card_hash": card_hash(store.card_key, CARD), "student_id": demo.ids["emmett"]}
    assert store.student_by_card(" 0001 2345 ") == demo.ids["emmett"]

    swiped = await store.check_in_by_card(CARD, demo.ids["downtown"], now=at(15, 50))
    assert swiped.known and swiped.outcome is not None
    assert (swiped.outcome.student_name, swiped.outcome.session_name, swiped.outcome.already) == ("Emmett Lee", "Tumbling", False)
    assert swiped.card is not None and swiped.card.sessions_today[0].checked_in
    again = await store.check_in_by_card(CARD, demo.ids["downtown"], now=at(15, 52))
    assert again.outcome is not None and again.outcome.already

    # A card handed on belongs to its new student only.
    await store.assign_card(CARD, demo.ids["zoe"])
    assert store.student_by_card(CARD) == demo.ids["zoe"]
    assert files_hold(tmp_path.rglob("*"), CARD) == []


def test_without_the_account_key_a_swipe_says_what_to_do(store: DeskStore):
    with pytest.raises(AuthError, match="Sign in while online"):
        store.student_by_card(CARD)


@pytest.mark.asyncio
async def test_a_card_assigned_at_one_desk_checks_in_at_another(live_server, server_account, desks, http, engines):  # noqa: F811
    from sync.client import ApiClient

    made = []
    for name in ("a", "b"):
        store = desks(name)
        client = ApiClient(http, live_server.url)
        tokens = await client.login(server_account["slug"], server_account["username"], server_account["password"],
                                    store.desk_id, f"Desk {name}", enrollment_code=code_for(client.base_url, server_account["slug"]))
        client.access_token = tokens.access_token
        store.staff_id, store.card_key = tokens.staff.id, tokens.card_key
        engine = SyncEngine(store, client, **FAST)
        engines.append(engine)
        assert (await engine.sync_now()).online
        made.append((store, engine, tokens.card_key))
    (a, engine_a, key_a), (b, engine_b, key_b) = made
    assert key_a and key_a == key_b  # one key per account, the same at every desk

    p = picks(a)
    student = p.student_ids[2]
    await a.assign_card(CARD, student)
    status = await engine_a.sync_now()
    assert status.error is None and a.outbox.counts()["applied"] == 1
    await engine_b.sync_now()
    swiped = await b.check_in_by_card(CARD, p.location_id)
    assert swiped.known and swiped.card is not None and swiped.card.student.id == student

    data_dir = server_account["data_dir"]
    assert server_rows(data_dir, "SELECT card_hash, student_id FROM member_card") == [(card_hash(key_a, CARD), student)]
    # The key lives in the registry, never in the account's database; the number lives nowhere.
    registry = sqlite3.connect(f"file:{data_dir / 'registry.sqlite'}?mode=ro", uri=True)
    try:
        assert registry.execute("SELECT card_key FROM account_secret").fetchall() == [(key_a,)]
    finally:
        registry.close()
    assert files_hold(data_dir.rglob("*"), CARD) == []
    account_files = [f for f in data_dir.rglob("*") if "registry" not in f.name]
    assert files_hold(account_files, key_a) == []
    assert files_hold(a.data_dir.rglob("*"), CARD) == files_hold(a.data_dir.rglob("*"), key_a) == []
