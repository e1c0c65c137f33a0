"""Where a new account's database goes: a SQLite file in the data dir (the default), or a
PostgreSQL server of the shard map.

The shard map is the list of PostgreSQL servers (FRONTDESK_PG_SERVERS, given to admin commands;
server processes never need it) together with the registry's record of which account is on
which server (AccountPg.server). A new account goes to the server holding the fewest accounts;
ties go to the one listed first. `move-account` (server.mover) moves one later.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from server.errors import OperatorError
from server.pg_admin import PgServer, create_database, drop_database, parse_servers

PLACEMENT_ENV = "FRONTDESK_PLACEMENT"
SERVERS_ENV = "FRONTDESK_PG_SERVERS"
PLACEMENTS = ("sqlite", "postgresql")


class PlacementError(OperatorError, RuntimeError):
    """Placement settings that cannot work; the message says which and how to fix them."""


@dataclass(frozen=True)
class Placement:
    kind: str = "sqlite"  # sqlite | postgresql
    servers: tuple[PgServer, ...] = ()

    @classmethod
    def of(cls, kind: str | None = None, servers: str | list[str] | None = None) -> Placement:
        """From arguments, else $FRONTDESK_PLACEMENT and $FRONTDESK_PG_SERVERS."""
        kind = (kind or os.environ.get(PLACEMENT_ENV) or "sqlite").strip().lower()
        if kind not in PLACEMENTS:
            raise PlacementError(f"The placement must be one of {', '.join(PLACEMENTS)}, not {kind!r}.")
        if servers is None:
            servers = os.environ.get(SERVERS_ENV, "")
        text = " ".join(servers) if isinstance(servers, list) else servers
        try:
            parsed = tuple(parse_servers(text))
        except ValueError as exc:
            raise PlacementError(f"The PostgreSQL server list is not usable: {exc}.") from None
        if kind == "postgresql" and not parsed:
            raise PlacementError(
                f"Placement postgresql needs at least one server: set {SERVERS_ENV} (or --pg-server) to DSNs such as "
                "postgresql://postgres@db1:5432/postgres?pgbouncer=db1:6432"
            )
        return cls(kind, parsed)

    def server(self, name: str) -> PgServer:
        for s in self.servers:
            if s.name == name:
                return s
        listed = ", ".join(s.name for s in self.servers) or "none"
        raise PlacementError(f"There is no PostgreSQL server {name!r} in the shard map (listed: {listed}).")


def least_loaded(servers: tuple[PgServer, ...] | list[PgServer], load: dict[str, int]) -> PgServer:
    """The server with the fewest accounts; the first listed among equals."""
    if not servers:
        raise PlacementError("No PostgreSQL server is listed.")
    return min(servers, key=lambda s: (load.get(s.name, 0), servers.index(s)))


@dataclass(frozen=True)
class PgPlaced:
    server: PgServer
    database: str
    role: str
    password: str

    @property
    def location(self) -> str:
        """What the registry keeps in Account.db_location: the URL without its password."""
        return self.server.account_url(self.database, self.role)

    @property
    def direct_url(self) -> str:
        return self.server.direct_url(self.database, self.role)

    def direct_url_with_password(self) -> str:
        from server.pg_admin import with_password

        return with_password(self.direct_url, self.password)

    def record(self, account_id: str, box):
        """The registry row (AccountPg) of this placement, its password encrypted."""
        from server.registry import AccountPg

        return AccountPg(
            account_id=account_id,
            server=self.server.name,
            database=self.database,
            role=self.role,
            password=box.encrypt(self.password),
            direct_url=self.direct_url,
        )

    def drop(self) -> None:
        drop_database(self.server, self.database, self.role)


def place_on(server: PgServer, account_id: str) -> PgPlaced:
    """Make the account's database and role on a server (empty: the migrations fill it)."""
    made = create_database(server, account_id)
    return PgPlaced(server, made.database, made.role, made.password)
