"""PostgreSQL for accounts: engines that work through PgBouncer, and the admin side of a server
in the shard map (a database and a login role per account, made and dropped).

Every account gets its own database, owned by a login role of its own with a generated password;
CONNECT on the database is revoked from PUBLIC, so one account's role cannot even open another
account's database. The password is sent to PostgreSQL as a SCRAM verifier, never in clear, so
it is not in the server's statement log either.

PgBouncer in transaction pooling mode hands each transaction whatever server connection is free,
so nothing may outlive a transaction: psycopg's automatic prepared statements are switched off
(prepare_threshold=None) and locks are transaction-scoped (pg_advisory_xact_lock).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import URL, Engine, create_engine, make_url

DRIVER = "postgresql+psycopg"
NAME_PREFIX = "frontdesk_"
SCRAM_ITERATIONS = 4096  # PostgreSQL's own default for password_encryption = scram-sha-256


def pg_url(url: str | URL) -> URL:
    """A PostgreSQL URL with the psycopg 3 driver ("postgresql://..." as libpq writes it is fine)."""
    parsed = make_url(url) if isinstance(url, str) else url
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername=DRIVER)
    return parsed


def pg_engine(url: str | URL, **kwargs) -> Engine:
    """An engine on a PostgreSQL database that works directly and through PgBouncer.

    No ping before each use (pool_pre_ping): it is a round trip per checkout, several per
    request (bench/load). A connection found dead fails its request with a 503, which the desk
    sends again, and SQLAlchemy then replaces every connection of the pool."""
    connect_args = {"prepare_threshold": None, "connect_timeout": 10} | kwargs.pop("connect_args", {})
    return create_engine(pg_url(url), connect_args=connect_args, **kwargs)


def with_password(url: str, password: str) -> str:
    return make_url(url).set(password=password).render_as_string(hide_password=False)


def without_password(url: str | URL) -> str:
    return pg_url(url).set(password=None).render_as_string(hide_password=False)


@dataclass(frozen=True)
class PgServer:
    """One PostgreSQL server of the shard map, as listed in FRONTDESK_PG_SERVERS.

    `admin_url` is a role that may create databases and roles (a superuser, in practice), used
    by admin commands only; server processes never get it. `pool` is the PgBouncer in front of
    the server ("host:port"), which accounts' connections go through; none: they go direct.
    """

    name: str
    admin_url: str
    pool: tuple[str, int] | None = None

    @classmethod
    def parse(cls, dsn: str) -> PgServer:
        """`postgresql://admin@db1:5432/postgres?pgbouncer=db1:6432&name=db1` (both parameters optional)."""
        url = pg_url(dsn.strip())
        query = dict(url.query)
        pool_text = query.pop("pgbouncer", None)
        name = query.pop("name", None) or f"{url.host or 'localhost'}:{url.port or 5432}"
        pool = None
        if pool_text:
            host, _, port = str(pool_text).rpartition(":")
            if not host or not port.isdigit():
                raise ValueError(f"pgbouncer={pool_text!r} in a server's DSN must be HOST:PORT")
            pool = (host, int(port))
        admin = url.set(query=query)
        return cls(name=str(name), admin_url=admin.render_as_string(hide_password=False), pool=pool)

    def __repr__(self) -> str:
        return f"PgServer({self.name!r}, {make_url(self.admin_url).render_as_string(hide_password=True)!r}, pool={self.pool!r})"

    def admin_engine(self, database: str | None = None) -> Engine:
        url = make_url(self.admin_url)
        if database is not None:
            url = url.set(database=database)
        return pg_engine(url, isolation_level="AUTOCOMMIT", poolclass=_null_pool())

    def direct_url(self, database: str, role: str) -> str:
        """The account's URL on the server itself, without a password."""
        admin = make_url(self.admin_url)
        return URL.create(DRIVER, username=role, host=admin.host, port=admin.port, database=database).render_as_string(
            hide_password=False
        )

    def account_url(self, database: str, role: str) -> str:
        """The URL server processes use: through PgBouncer when there is one; without a password."""
        if self.pool is None:
            return self.direct_url(database, role)
        host, port = self.pool
        return URL.create(DRIVER, username=role, host=host, port=port, database=database).render_as_string(hide_password=False)


def parse_servers(text: str) -> list[PgServer]:
    """The shard map's servers from a setting: DSNs separated by spaces, commas or new lines."""
    servers = [PgServer.parse(part) for part in text.replace(",", " ").split() if part.strip()]
    names = [s.name for s in servers]
    if len(set(names)) != len(names):
        raise ValueError(f"two PostgreSQL servers have the same name ({', '.join(names)}); add &name=... to tell them apart")
    return servers


def _null_pool():
    from sqlalchemy.pool import NullPool

    return NullPool


@dataclass(frozen=True)
class NewDatabase:
    database: str
    role: str
    password: str


def new_names(account_id: str) -> tuple[str, str]:
    """(database, role) for a new placement of an account: named by its id, plus a few random
    characters, so a second copy (a move) never clashes with the first on the same server."""
    name = f"{NAME_PREFIX}{account_id.replace('-', '')}_{secrets.token_hex(3)}"
    return name, name


def scram_verifier(password: str, iterations: int = SCRAM_ITERATIONS) -> str:
    """PostgreSQL's stored form of a SCRAM-SHA-256 password (RFC 5802/7677), made here."""
    salt = secrets.token_bytes(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", "sha256").digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b"Server Key", "sha256").digest()
    b64 = lambda b: base64.b64encode(b).decode("ascii")  # noqa: E731
    return f"SCRAM-SHA-256${iterations}:{b64(salt)}${b64(stored_key)}:{b64(server_key)}"


def _ident(name: str) -> str:
    if not name.replace("_", "").isalnum() or not name.isascii():
        raise ValueError(f"not a name this code makes: {name!r}")
    return f'"{name}"'


def create_database(server: PgServer, account_id: str) -> NewDatabase:
    """Make a login role and a database it owns, that no other role may connect to."""
    database, role = new_names(account_id)
    password = secrets.token_urlsafe(24)
    engine = server.admin_engine()
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(f"CREATE ROLE {_ident(role)} LOGIN PASSWORD '{scram_verifier(password)}'")
            try:
                conn.exec_driver_sql(f"CREATE DATABASE {_ident(database)} OWNER {_ident(role)}")
                conn.exec_driver_sql(f"REVOKE ALL ON DATABASE {_ident(database)} FROM PUBLIC")
                conn.exec_driver_sql(f"GRANT CONNECT, TEMPORARY ON DATABASE {_ident(database)} TO {_ident(role)}")
            except BaseException:
                conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {_ident(database)} WITH (FORCE)")
                conn.exec_driver_sql(f"DROP ROLE IF EXISTS {_ident(role)}")
                raise
    finally:
        engine.dispose()
    return NewDatabase(database, role, password)


def drop_database(server: PgServer, database: str, role: str) -> None:
    """Drop an account's database (closing its connections) and its role."""
    engine = server.admin_engine()
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {_ident(database)} WITH (FORCE)")
            conn.exec_driver_sql(f"DROP ROLE IF EXISTS {_ident(role)}")
    finally:
        engine.dispose()


def lock_out(server: PgServer, database: str, role: str) -> None:
    """Nobody but the admin may use the database any more: new connections of its role are
    refused and open ones (PgBouncer's included) are closed, rolling back what they had begun."""
    from sqlalchemy import text

    engine = server.admin_engine()
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(f"REVOKE CONNECT, TEMPORARY ON DATABASE {_ident(database)} FROM {_ident(role)}")
            conn.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :db AND pid <> pg_backend_pid()"),
                {"db": database},
            )
    finally:
        engine.dispose()


def let_in(server: PgServer, database: str, role: str) -> None:
    """Undo lock_out (a move that failed)."""
    engine = server.admin_engine()
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(f"GRANT CONNECT, TEMPORARY ON DATABASE {_ident(database)} TO {_ident(role)}")
    finally:
        engine.dispose()
