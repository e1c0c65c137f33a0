"""The registry database: which accounts exist, where their data lives, desks, refresh tokens.

It never holds an account's records; those live in the account's own database (account_db.py).
Its tables use their own MetaData so they never land in SQLModel.metadata, which the desk cache
creates wholesale.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

from sqlalchemy import Engine, Index, MetaData, UniqueConstraint, delete, func, update
from sqlalchemy.exc import IntegrityError
from pydantic import NaiveDatetime  # plain DateTime column (SQLModel maps datetime to a tz-aware one)
from sqlmodel import Field, Session, SQLModel, select

from server.migrate import describe_url, ensure_current
from server.migrations import REGISTRY
from server.pg_admin import pg_engine, with_password
from server.private_files import private_dir, private_sqlite
from server.sqlite import sqlite_engine, writer
from sync.core.ids import new_id, utcnow
from sync.core.member_cards import new_card_key

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
# The registry's database: a URL (PostgreSQL, shared by servers on several machines) or, by
# default, DATA_DIR/registry.sqlite. Read by every admin command as well as by `serve`.
REGISTRY_URL_ENV = "FRONTDESK_REGISTRY_URL"


class RegistryBase(SQLModel):
    metadata = MetaData()


class Account(RegistryBase, table=True):
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    slug: str = Field(unique=True, max_length=64)
    name: str
    # A path relative to the data dir for a SQLite file, or a full database URL (has "://") without
    # its password (an account placed in PostgreSQL keeps that in AccountPg, encrypted).
    db_location: str
    created_at: NaiveDatetime = Field(default_factory=utcnow)


class Desk(RegistryBase, table=True):
    # Keyed with the account so one account can never claim another's. A desk is enrolled
    # (server.desks): the server accepts its id once, from a manager's sign-in or an enrollment
    # code, and from then on every sign-in and refresh naming it must prove its credential.
    account_id: str = Field(primary_key=True, max_length=36)
    id: str = Field(primary_key=True, max_length=36)
    name: str = ""
    first_seen: NaiveDatetime = Field(default_factory=utcnow)
    last_seen: NaiveDatetime = Field(default_factory=utcnow)
    # SHA-256 of the desk's credential (32 random bytes: a key, not a password, so no Argon2).
    # None: a desk seen before enrollment existed, which a manager's sign-in or its own refresh enrolls.
    secret_hash: str | None = Field(default=None, max_length=64)
    enrolled_at: NaiveDatetime | None = None
    enrolled_by: str | None = Field(default=None, max_length=36)  # the staff member who signed in, or None for a code
    last_address: str | None = Field(default=None, max_length=64)
    retired_at: NaiveDatetime | None = None  # refused from then on, whatever it proves


class EnrollmentCode(RegistryBase, table=True):
    """A code the owner made that lets a staff member who may not enroll desks set one up."""

    __tablename__ = "enrollment_code"
    code_hash: str = Field(primary_key=True, max_length=64)  # SHA-256 of the code, never the code
    account_id: str = Field(index=True, max_length=36)
    created_by: str = Field(max_length=36)
    created_at: NaiveDatetime = Field(default_factory=utcnow)
    expires_at: NaiveDatetime
    uses_left: int


class RevokedSession(RegistryBase, table=True):
    """A sign-in (a refresh token family) whose access tokens are refused before they expire:
    signed out, reused, or its desk retired. Kept until its last access token would have expired;
    every server process holds the list in memory (server.revocations)."""

    __tablename__ = "revoked_session"
    session_id: str = Field(primary_key=True, max_length=36)
    account_id: str = Field(max_length=36)
    revoked_at: NaiveDatetime = Field(default_factory=utcnow)
    until: NaiveDatetime = Field(index=True)


class DeskCode(RegistryBase, table=True):
    """A desk's short code in its account ("D1", "D2", ...), handed out when it first signs in;
    receipt numbers made offline carry it (sync.core.ledger.receipt_number), so it is unique per account.
    A table of its own, so the tables desks already had stay as they were."""

    __tablename__ = "desk_code"
    __table_args__ = (UniqueConstraint("account_id", "number"),)
    account_id: str = Field(primary_key=True, max_length=36)
    desk_id: str = Field(primary_key=True, max_length=36)
    number: int

    @property
    def code(self) -> str:
        return f"D{self.number}"


class RefreshToken(RegistryBase, table=True):
    __tablename__ = "refresh_token"
    # Only the SHA-256 of the token is kept: a copy of this database cannot sign anyone in.
    token_hash: str = Field(primary_key=True, max_length=64)
    account_id: str = Field(index=True, max_length=36)
    staff_id: str = Field(max_length=36)
    desk_id: str = Field(max_length=36)
    created_at: NaiveDatetime = Field(default_factory=utcnow)
    expires_at: NaiveDatetime
    revoked_at: NaiveDatetime | None = None
    # The sign-in this token descends from (every rotation keeps it): a reused token revokes the
    # whole family, and access tokens name it (claim "sid") so that sign-out refuses them at once.
    # None for tokens issued before families existed (their own hash stands for the family).
    family_id: str | None = Field(default=None, index=True, max_length=36)


class AccountSecret(RegistryBase, table=True):
    """Per-account secrets kept here, apart from the account's own database (sync.core.member_cards
    says why for the member-card key): a copy of an account database alone reveals nothing."""

    __tablename__ = "account_secret"
    account_id: str = Field(primary_key=True, max_length=36)
    card_key: str = Field(max_length=64)  # HMAC key of member-card hashes, urlsafe base64
    # Rotation (sync.core.member_cards): the key's version, and the key before it, which desks still
    # look cards up under (a card found so is stored again under the new key).
    card_key_version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    previous_card_key: str | None = Field(default=None, max_length=64)


class AccountPg(RegistryBase, table=True):
    """Where an account placed in PostgreSQL lives (server.placement): its server in the shard map,
    its own database and login role, and that role's password, encrypted (server.secrets_box)."""

    __tablename__ = "account_pg"
    account_id: str = Field(primary_key=True, max_length=36)
    server: str = Field(index=True, max_length=200)  # the shard map's name of the PostgreSQL server
    database: str = Field(max_length=63)
    role: str = Field(max_length=63)
    password: str  # a Fernet token, never the password itself
    # The server itself, without password, past any PgBouncer: LISTEN (server.live_pg) and pg_dump
    # need a session of their own, which transaction pooling does not give.
    direct_url: str


class AccountMove(RegistryBase, table=True):
    """An account whose database `move-account` (server.mover) is copying elsewhere: its requests
    are answered "busy, try again" (503) until the move is done; every other account goes on."""

    __tablename__ = "account_move"
    account_id: str = Field(primary_key=True, max_length=36)
    since: NaiveDatetime = Field(default_factory=utcnow)
    to_server: str = Field(max_length=200)
    # When it ended (kept a while, so every process learns the account's database moved).
    ended_at: NaiveDatetime | None = None


class LoginFailure(RegistryBase, table=True):
    """A failed sign-in, kept for the throttle's window (server.login_throttle), so that every
    server process counts the same failures. The key is a hash: no usernames or addresses here."""

    __tablename__ = "login_failure"
    __table_args__ = (Index("ix_login_failure_key_at", "key", "at"),)
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=64)
    at: float = Field(index=True)  # seconds since the epoch: every process shares this clock


def family_of(family_id: str | None, token_hash: str) -> str:
    """A refresh token's family; one issued before families existed stands for its own."""
    return family_id or token_hash[:36]


def revoke_families(db: Session, account_id: str, families, until: dt.datetime) -> list[str]:
    """Put sign-ins on the revoked list (server.revocations), in the caller's transaction."""
    added = []
    for family in families:
        if db.get(RevokedSession, family) is None:
            db.add(RevokedSession(session_id=family, account_id=account_id, until=until))
            added.append(family)
    return added


def registry_path(data_dir: Path) -> Path:
    return Path(data_dir).expanduser().resolve() / "registry.sqlite"


def registry_url(data_dir: Path) -> str:
    """$FRONTDESK_REGISTRY_URL, or the SQLite file in the data dir."""
    return os.environ.get(REGISTRY_URL_ENV, "").strip() or f"sqlite:///{registry_path(data_dir)}"


class Registry:
    def __init__(self, data_dir: Path, *, url: str | None = None, secret_key: str | None = None):
        """`url`: the registry database (default: registry_url(data_dir)); `secret_key`: the key of
        the account passwords (default: $FRONTDESK_SECRET_KEY, read when first needed)."""
        self.data_dir = Path(data_dir).expanduser().resolve()
        private_dir(self.data_dir)  # it holds the databases and the signing key: owner-only (server.private_files)
        self.url = url or registry_url(self.data_dir)
        self._secret_key = secret_key
        self._box = None
        if self.url.startswith("sqlite:///"):
            where = self.url.removeprefix("sqlite:///")
            self.engine: Engine = sqlite_engine(private_sqlite(where))
        else:
            where = describe_url(self.url)
            self.engine = pg_engine(self.url)
        self.writer: Engine = writer(self.engine)
        # How long an access token lives (set from the settings by ServerState): a revoked
        # sign-in is kept on the list that long.
        self.access_lifetime = dt.timedelta(days=1)
        self.dialect = self.engine.dialect.name
        # Made, or brought up to date, by its migrations (server/migrations/registry); one query when current.
        try:
            self.revision = ensure_current(self.engine, self.writer, REGISTRY, where=where)
        except BaseException:
            self.engine.dispose()
            raise

    def close(self) -> None:
        self.engine.dispose()

    def account_by_slug(self, slug: str) -> Account | None:
        with Session(self.engine) as db:
            return db.exec(select(Account).where(Account.slug == slug)).first()

    def account_by_id(self, account_id: str) -> Account | None:
        with Session(self.engine) as db:
            return db.get(Account, account_id)

    def add_account(self, account: Account) -> Account:
        with Session(self.writer) as db:
            db.add(account)
            db.commit()
            db.refresh(account)
            return account

    def accounts(self) -> list[Account]:
        with Session(self.engine) as db:
            return list(db.exec(select(Account).order_by(Account.slug)))

    def add_placed_account(self, account: Account, pg: AccountPg | None) -> Account:
        """Register an account and, for one in PostgreSQL, its placement, in one transaction."""
        with Session(self.writer) as db:
            db.add(account)
            if pg is not None:
                db.flush()
                db.add(pg)
            db.commit()
            db.refresh(account)
            return account

    def box(self):
        """The server key's SecretBox (server.secrets_box); SecretKeyError when there is no key."""
        if self._box is None:
            from server.secrets_box import box_from_env

            self._box = box_from_env(self._secret_key)
        return self._box

    def pg_placement(self, account_id: str) -> AccountPg | None:
        with Session(self.engine) as db:
            return db.get(AccountPg, account_id)

    def pg_load(self) -> dict[str, int]:
        """Accounts per PostgreSQL server of the shard map, by the server's name."""
        with Session(self.engine) as db:
            return dict(db.exec(select(AccountPg.server, func.count()).group_by(AccountPg.server)).all())

    def account_db_url(self, account: Account) -> str:
        """The URL the server opens the account's database with (its password put in)."""
        if "://" not in account.db_location:
            return f"sqlite:///{self.data_dir / account.db_location}"
        pg = self.pg_placement(account.id)
        if pg is None:
            return account.db_location  # a URL registered by hand: used as it is
        return with_password(account.db_location, self.box().decrypt(pg.password))

    def account_direct_url(self, account: Account) -> str:
        """Like account_db_url, but to the PostgreSQL server itself, past any PgBouncer."""
        pg = self.pg_placement(account.id)
        if pg is None:
            return self.account_db_url(account)
        return with_password(pg.direct_url, self.box().decrypt(pg.password))

    def moving(self) -> dict[str, AccountMove]:
        """The accounts being moved now (usually none)."""
        return {k: m for k, m in self.moves().items() if m.ended_at is None}

    def moves(self) -> dict[str, AccountMove]:
        """Moves under way and those that ended lately (server processes poll this: cheap)."""
        with Session(self.engine) as db:
            return {m.account_id: m for m in db.exec(select(AccountMove))}

    def start_move(self, account_id: str, to_server: str) -> None:
        with Session(self.writer) as db:
            db.execute(delete(AccountMove).where(AccountMove.ended_at < utcnow() - dt.timedelta(hours=1)))
            db.merge(AccountMove(account_id=account_id, to_server=to_server))
            db.commit()

    def end_move(self, account_id: str) -> None:
        with Session(self.writer) as db:
            db.execute(update(AccountMove).where(AccountMove.account_id == account_id).values(ended_at=utcnow()))
            db.commit()

    def relocate(self, account_id: str, location: str, pg: AccountPg | None) -> None:
        """Point the account at its new database and end its move, in one transaction."""
        with Session(self.writer) as db:
            db.execute(update(Account).where(Account.id == account_id).values(db_location=location))
            db.execute(update(AccountMove).where(AccountMove.account_id == account_id).values(ended_at=utcnow()))
            db.execute(delete(AccountPg).where(AccountPg.account_id == account_id))
            if pg is not None:
                db.add(pg)
            db.commit()

    # --- failed sign-ins, shared by every server process (server.login_throttle) ---------------

    def failures_since(self, keys: list[str], cutoff: float) -> dict[str, list[float]]:
        with Session(self.engine) as db:
            rows = db.exec(
                select(LoginFailure.key, LoginFailure.at).where(LoginFailure.key.in_(keys), LoginFailure.at >= cutoff)
            ).all()
        out: dict[str, list[float]] = {k: [] for k in keys}
        for key, at in rows:
            out[key].append(at)
        for times in out.values():
            times.sort()
        return out

    def add_failures(self, keys: list[str], at: float, forget_before: float, prune_all: bool = False) -> None:
        with Session(self.writer) as db:
            stale = LoginFailure.at < forget_before
            db.execute(delete(LoginFailure).where(stale if prune_all else stale & LoginFailure.key.in_(keys)))
            for key in keys:
                db.add(LoginFailure(key=key, at=at))
            db.commit()

    def clear_failures(self, key: str) -> None:
        # Asked at every good sign-in, when there is nearly never anything to clear: a read first,
        # so that the usual case takes no write lock (on SQLite one writer at a time, every
        # server process's sign-ins and pushes of this file queued behind it).
        with Session(self.engine) as db:
            if db.exec(select(LoginFailure.id).where(LoginFailure.key == key).limit(1)).first() is None:
                return
        with Session(self.writer) as db:
            db.execute(delete(LoginFailure).where(LoginFailure.key == key))
            db.commit()

    def touch_desk(self, account_id: str, desk_id: str, name: str) -> str:
        """Note that the desk was seen; returns its code in the account, made the first time."""
        from server.desks import seen  # server.desks builds on this module

        return seen(self, account_id, desk_id, name=name)

    def add_refresh_token(self, row: RefreshToken) -> None:
        with Session(self.writer) as db:
            db.add(row)
            db.commit()

    def revoke_desk_tokens(self, account_id: str, desk_id: str) -> int:
        return self._revoke_where(account_id, RefreshToken.desk_id == desk_id)

    def revoke_staff_tokens(self, account_id: str, staff_id: str) -> int:
        """Sign a staff member out of every desk: their refresh and access tokens stop working now."""
        return self._revoke_where(account_id, RefreshToken.staff_id == staff_id)

    def _revoke_where(self, account_id: str, which) -> int:
        now = utcnow()
        live = (RefreshToken.account_id == account_id) & which & RefreshToken.revoked_at.is_(None)
        with Session(self.writer) as db:
            rows = db.exec(select(RefreshToken.family_id, RefreshToken.token_hash).where(live)).all()
            db.execute(update(RefreshToken).where(live).values(revoked_at=now))
            revoke_families(db, account_id, {family_of(f, h) for f, h in rows}, now + self.access_lifetime)
            db.commit()
            return len(rows)

    def card_keys(self, account_id: str) -> tuple[str, list[str]]:
        """The current member-card key and the one before its last rotation (if any)."""
        current = self.card_key(account_id)
        with Session(self.engine) as db:
            row = db.get(AccountSecret, account_id)
        return current, [row.previous_card_key] if row is not None and row.previous_card_key else []

    def rotate_card_key(self, account_id: str) -> int:
        """A new member-card key; the current one becomes the previous (the one before is gone).
        Returns the new version."""
        self.card_key(account_id)  # made first when there is none yet
        with Session(self.writer) as db:
            row = db.get(AccountSecret, account_id)
            row.previous_card_key, row.card_key = row.card_key, new_card_key()
            row.card_key_version += 1
            db.add(row)
            db.commit()
            return row.card_key_version

    def card_key(self, account_id: str) -> str:
        """The account's member-card key, made on first use (every desk of the account gets it)."""
        with Session(self.engine) as db:
            row = db.get(AccountSecret, account_id)
        if row is not None:
            return row.card_key
        try:
            with Session(self.writer) as db:
                row = db.get(AccountSecret, account_id)  # another request may have made it meanwhile
                if row is None:
                    row = AccountSecret(account_id=account_id, card_key=new_card_key())
                    db.add(row)
                    db.commit()
                    db.refresh(row)
                return row.card_key
        except IntegrityError:  # PostgreSQL: another process made it first; theirs is the key
            with Session(self.engine) as db:
                return db.get(AccountSecret, account_id).card_key
