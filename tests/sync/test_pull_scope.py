"""A pull brings only what the signed-in staff member may see; a desk fills in what it lacks.

Over real HTTP against the server in a thread: a coach's pull carries no family, guardian,
card or money record; a kiosk's carries families but no money; and a desk where a coach
signed in first, then front-desk staff, ends with exactly the server's records, including
what changed while the coach was signed in.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from pathlib import Path

import pytest
from sqlmodel import Session, select

from server import admin
from sync.client import ApiClient
from sync.engine import SyncEngine
from sync.core.permissions import BUILTIN_GROUPS, RECORD_VIEW, visible_types
from sync.core.schema import RECORD_TYPES, Family
from sync.core.wire import MAX_PULL_PAGE
from tests.helpers.enrollment import code_for
from tests.helpers.server_process import ThreadedServer, account_db_path
from tests.sync.conftest import FAST, sign_in

pytestmark = [pytest.mark.timeout(90)]

MONEY = {"ledger_entry", "ledger_allocation", "drawer_count", "receipt_email", "card_abandon"}
FAMILIES = {"family", "contact", "member_card", "kiosk_referral"}
PASSWORD = "correct horse"
FAMILY_UPDATE = "family.update"


@pytest.fixture
def staffed(server_account) -> dict:
    """The account with a coach ("cory") and a kiosk ("kiki") beside front-desk "alex"."""
    data_dir = server_account["data_dir"]
    admin.add_staff(data_dir, "acme", "cory", PASSWORD, group="coach")
    admin.add_staff(data_dir, "acme", "kiki", PASSWORD, group="kiosk")
    return server_account


def as_staff(account: dict, username: str) -> dict:
    return {**account, "username": username, "password": PASSWORD}


def server_counts(data_dir: Path) -> Counter:
    con = sqlite3.connect(f"file:{account_db_path(data_dir, 'acme')}?mode=ro", uri=True)
    try:
        return Counter({t: con.execute(f'SELECT count(*) FROM "{cls.__table__.name}"').fetchone()[0]  # type: ignore[attr-defined]
                        for t, cls in RECORD_TYPES.items()})  # fmt: skip
    finally:
        con.close()


def desk_counts(store) -> Counter:  # noqa: ANN001
    with store.cache.engine.connect() as conn:
        return Counter({t: conn.exec_driver_sql(f'SELECT count(*) FROM "{cls.__table__.name}"').scalar_one()  # type: ignore[attr-defined]
                        for t, cls in RECORD_TYPES.items()})  # fmt: skip


async def pull_everything(client: ApiClient, **kwargs) -> tuple[Counter, list[str] | None]:  # noqa: ANN003
    """Every page after 0 as one staff member: how many records of each type, and the types covered."""
    seen: Counter = Counter()
    after, types = 0, None
    while True:
        page = await client.pull(after, MAX_PULL_PAGE, **kwargs)
        seen.update(c.type for c in page.changes)
        types = page.types
        if not page.more:
            return seen, types
        after = page.cursor


async def synced_desk(desks, http, url: str, account: dict, name: str):  # noqa: ANN001, ANN201
    """A desk folder signed in as `account`'s staff member, after one sync round: (store, client, engine).
    The engine is never started as a loop (rounds run with sync_now), so there is nothing to stop."""
    store = desks(name)
    client = ApiClient(http, url)
    await sign_in(client, store, account)
    engine = SyncEngine(store, client, **FAST)
    await engine.sync_now()
    return store, client, engine


async def rename_at_another_desk(desks, http, url: str, account: dict, name: str) -> str:  # noqa: ANN001
    """Front-desk staff at another desk rename a family and send it; returns the family's id."""
    other, _client, engine = await synced_desk(desks, http, url, account, "front")
    with Session(other.cache.engine) as s:
        family = s.exec(select(Family).order_by(Family.id)).first()
    await other.record(FAMILY_UPDATE, {"id": family.id, "changes": {"name": name}})
    await engine.sync_now()
    assert other.outbox.counts()["pending"] == 0
    return family.id


def test_every_record_type_has_a_view_rule():
    assert set(RECORD_VIEW) == set(RECORD_TYPES), "a new record type must say who may pull it"
    assert visible_types(BUILTIN_GROUPS["coach"]).isdisjoint(MONEY | FAMILIES)
    assert visible_types(BUILTIN_GROUPS["kiosk"]).isdisjoint(MONEY)
    assert FAMILIES <= visible_types(BUILTIN_GROUPS["kiosk"])
    assert visible_types(BUILTIN_GROUPS["front-desk"]) == set(RECORD_TYPES)


@pytest.mark.asyncio
async def test_each_group_pulls_only_what_it_may_see(staffed, http):
    with ThreadedServer(staffed["data_dir"]) as server:
        on_server = server_counts(staffed["data_dir"])
        assert on_server["ledger_entry"] > 0 and on_server["family"] > 0 and on_server["contact"] > 0
        pulled = {}
        for username, group in (("alex", "front-desk"), ("cory", "coach"), ("kiki", "kiosk")):
            client = ApiClient(http, server.url)
            tokens = await client.login("acme", username, PASSWORD, f"desk-{username}", "Test desk",
                                        enrollment_code=code_for(client.base_url, "acme"))  # fmt: skip
            client.access_token = tokens.access_token
            seen, types = await pull_everything(client)
            visible = visible_types(BUILTIN_GROUPS[group])
            assert set(types or ()) == visible, group
            assert set(seen) <= visible, f"{group} received {sorted(set(seen) - visible)}"
            for t in visible:
                assert seen[t] == on_server[t], f"{group}: {t} {seen[t]} of {on_server[t]}"
            pulled[group] = seen
            if group == "coach":
                # Asking for money by name changes nothing: the server decides, not the desk.
                asked, types = await pull_everything(client, types=["ledger_entry", "family"])
                assert not asked and types == []
        assert not set(pulled["coach"]) & (MONEY | FAMILIES)
        assert pulled["kiosk"]["contact"] == on_server["contact"] and not set(pulled["kiosk"]) & MONEY


@pytest.mark.asyncio
async def test_desk_fills_in_what_a_coach_could_not_pull(staffed, http, desks):
    data_dir = staffed["data_dir"]
    with ThreadedServer(data_dir) as server:
        desk, client, engine = await synced_desk(desks, http, server.url, as_staff(staffed, "cory"), "shared")
        held = desk_counts(desk)
        assert held["student"] > 0 and held["attendance"] == server_counts(data_dir)["attendance"]
        assert not any(held[t] for t in MONEY | FAMILIES), "a coach's desk received families or money"
        coach_cursor = desk.cache.cursor()
        assert desk.cache.type_cursors()["ledger_entry"] == 0

        # While the coach is signed in here, another desk renames a family.
        family_id = await rename_at_another_desk(desks, http, server.url, staffed, "Renamed-While-Away")
        await engine.sync_now()  # the coach's desk moves on past the rename without receiving it
        assert desk.cache.cursor() > coach_cursor
        assert desk_counts(desk)["family"] == 0

        # Front-desk staff sign in at the same desk: everything they may see is filled in.
        await sign_in(client, desk, staffed)
        await engine.sync_now()
        assert desk_counts(desk) == server_counts(data_dir)
        with Session(desk.cache.engine) as s:
            assert s.get(Family, family_id).name == "Renamed-While-Away"
        cursors = desk.cache.type_cursors()
        assert set(cursors.values()) == {desk.cache.cursor()}, cursors


@pytest.mark.asyncio
async def test_coach_in_between_leaves_money_behind_then_only_the_gap_is_pulled(staffed, http, desks):
    data_dir = staffed["data_dir"]
    with ThreadedServer(data_dir) as server:
        desk, client, engine = await synced_desk(desks, http, server.url, staffed, "shared")
        full = desk.cache.cursor()
        assert desk_counts(desk) == server_counts(data_dir)

        await sign_in(client, desk, as_staff(staffed, "cory"))
        family_id = await rename_at_another_desk(desks, http, server.url, staffed, "Changed-Under-Coach")
        await engine.sync_now()
        assert desk.cache.type_cursors()["family"] == full  # left where the front desk had it
        assert desk.cache.type_cursors()["student"] == desk.cache.cursor() > full

        asked: list[tuple[int, frozenset[str] | None, int | None]] = []
        real_pull = client.pull

        async def spy(after, limit=MAX_PULL_PAGE, *, types=None, until=None):  # noqa: ANN001
            asked.append((after, None if types is None else frozenset(types), until))
            return await real_pull(after, limit, types=types, until=until)

        client.pull = spy  # type: ignore[method-assign]
        await sign_in(client, desk, staffed)
        await engine.sync_now()
        fill_ins = [a for a in asked if a[1] is not None]
        assert fill_ins and fill_ins[0][0] == full, f"the gap only, from {full}: {asked}"
        assert fill_ins[0][1] == frozenset(MONEY | FAMILIES)
        assert desk_counts(desk) == server_counts(data_dir)
        with Session(desk.cache.engine) as s:
            assert s.get(Family, family_id).name == "Changed-Under-Coach"
