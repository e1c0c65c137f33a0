"""Accounts placed in PostgreSQL for tests: made like `make_account`, and dropped afterwards
(databases and their roles: roles belong to the whole PostgreSQL server, not to a database)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import make_url

from tests.helpers.clock import pinned_today
from tests.helpers.postgres import ADMIN_URL, skip_unless_reachable

PASSWORD = "correct horse"


def main_server_dsn(name: str = "main", pgbouncer: str | None = None) -> str:
    """The test PostgreSQL server ($FRONTDESK_TEST_PG) as a shard-map DSN."""
    url = make_url(ADMIN_URL).update_query_dict({"name": name} | ({"pgbouncer": pgbouncer} if pgbouncer else {}))
    return url.render_as_string(hide_password=False)


@contextmanager
def placed_accounts(data_dir: Path, *dsns: str) -> Iterator:
    """A Placement over these servers; every account database it made is dropped at the end."""
    from server.placement import Placement

    skip_unless_reachable()
    placement = Placement.of("postgresql", list(dsns))
    try:
        yield placement
    finally:
        drop_placed(data_dir, placement)


def drop_placed(data_dir: Path, placement) -> None:  # noqa: ANN001 - Placement
    from server.pg_admin import drop_database
    from server.registry import Registry

    if not (Path(data_dir) / "registry.sqlite").exists() and not os.environ.get("FRONTDESK_REGISTRY_URL"):
        return
    registry = Registry(Path(data_dir))
    try:
        placed = [registry.pg_placement(a.id) for a in registry.accounts()]
    finally:
        registry.close()
    for pg in filter(None, placed):
        try:
            server = placement.server(pg.server)
        except Exception:  # noqa: BLE001 - a server the test did not list: nothing of ours there
            continue
        drop_database(server, pg.database, pg.role)


def make_pg_account(
    data_dir: Path, placement, slug: str = "acme", *, families: int = 20, username: str = "alex", group: str = "front-desk"  # noqa: ANN001
) -> dict:
    from server import admin

    account = admin.create_account(data_dir, slug, name=slug.title(), placement=placement)
    if families:
        admin.seed_demo(data_dir, slug, families=families, seed=1, today=pinned_today())
    staff_id = admin.add_staff(data_dir, slug, username, PASSWORD, group=group)
    return {
        "account_id": account.id,
        "slug": slug,
        "staff_id": staff_id,
        "username": username,
        "password": PASSWORD,
        "data_dir": Path(data_dir),
        "db_location": account.db_location,
    }


def placement_of(data_dir: Path, slug: str):  # noqa: ANN201 - AccountPg
    from server.registry import Registry

    registry = Registry(Path(data_dir))
    try:
        return registry.pg_placement(registry.account_by_slug(slug).id)
    finally:
        registry.close()


def connect_as(url: str, **kwargs):  # noqa: ANN201 - psycopg.Connection
    import psycopg

    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    return psycopg.connect(conninfo, connect_timeout=5, **kwargs)
