"""A headless desk in its own process that takes one card payment, for the card fault tests.

    python -m tests.e2e.card_desk_worker CONFIG.json

CONFIG: server_url, account, username, password, data_dir. It signs in, syncs once, prints
"charging", then charges a keyed test card for the first family with a balance due, waiting
for the answer far longer than a test lets it live: the test kills it (SIGKILL) in the middle.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import httpx
from sqlmodel import Session, select

from sync.client import ApiClient
from sync.engine import SyncEngine
from sync.money_desk import CardInput, MoneyDesk
from sync.core.schema import Family
from sync.store import DeskStore
from tests.fixtures.cards import VISA_2
from tests.helpers.enrollment import own_secret


def owing_family(store: DeskStore, money: MoneyDesk, skip: int = 0) -> tuple[str, str]:
    """(family id, location id): the `skip`-th family in the cache with a balance due, by id."""
    with Session(store.cache.engine) as s:
        ids = s.exec(select(Family.id).order_by(Family.id)).all()
    owing = [f for f in ids if money.family(f).due_cents > 0]
    return owing[skip % len(owing)], store.locations()[0].id


async def main(cfg: dict) -> None:
    store = DeskStore(Path(cfg["data_dir"]))
    async with httpx.AsyncClient(timeout=httpx.Timeout(120.0, connect=2.0)) as http:
        client = ApiClient(http, cfg["server_url"])
        tokens = await client.login(cfg["account"], cfg["username"], cfg["password"], store.desk_id, "Card desk",
                                    desk_secret=own_secret(store.data_dir), enrollment_code=cfg["enrollment_code"])  # fmt: skip
        client.access_token = tokens.access_token
        store.staff_id = tokens.staff.id
        if tokens.desk_code:
            await store.keep_desk_code(tokens.desk_code)
        await SyncEngine(store, client).sync_now()
        money = MoneyDesk(store, client)
        money.card_time_limit, money.card_retry_delays = 600.0, (600.0,)  # it never gives up by itself
        family_id, location_id = owing_family(store, money)
        print("charging", family_id, flush=True)
        await money.charge_card(family_id, location_id, 2500, CardInput.keyed(VISA_2, 12, 2030, "123"))
        print("answered", flush=True)  # never, in the tests


if __name__ == "__main__":
    asyncio.run(main(json.loads(Path(sys.argv[1]).read_text())))
