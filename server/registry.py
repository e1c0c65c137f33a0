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

from sqlalchemy import Engine, Index, MetaData, UniqueConstraint, delete, func, text, update
from sqlalchemy.exc import IntegrityError
from pydantic import NaiveDatetime  # plain DateTime column (SQLModel maps datetime to a tz-aware one)
from sqlmodel import Field, Session, SQLModel, select

from server.migrate import describe_url, ensure_current
from server.migrations import REGISTRY
from server.pg_admin import pg_engine, with_password
from server.private_files import private_dir, private_sqlite
from server.sqlite import sqlite_engine, writer
from sync.ids import new_id, utcnow
from sync.member_cards import new_card_key

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
    # Desk ids are made by desks; keyed with the account so one account can never claim another's.
    account_id: str = Field(primary_key=True, max_length=36)
    id: str = Field(primary_key=True, max_length=36)
    name: str = ""
    first_seen: NaiveDatetime = Field(default_factory=utcnow)
    last_seen: NaiveDatetime = Field(default_factory=utcnow)


class DeskCode(RegistryBase, table=True):
    """A desk's short code in its account ("D1", "D2", ...), handed out when it first signs in;
    receipt numbers made offline carry it (sync.ledger.receipt_number), so it is unique per account.
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


class AccountSecret(RegistryBase, table=True):
    """Per-account secrets kept here, apart from the account's own database (sync.member_cards
    says why for the member-card key): a copy of an account database alone reveals nothing."""

    __tablename__ = "account_secret"
    account_id: str = Field(primary_key=True, max_length=36)
    card_key: str = Field(max_length=64)  # HMAC key of member-card hashes, urlsafe base64


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
        """Note that the desk signed in; returns its code in the account, made the first time."""
        with Session(self.writer) as db:  # IMMEDIATE: two desks signing in at once get different numbers
            code = self._touch_desk(db, account_id, desk_id, name)
            db.commit()
            return code

    def signed_in(self, account_id: str, desk_id: str, desk_name: str, refresh: RefreshToken) -> tuple[str, str | None]:
        """What a sign-in writes here, in one write transaction: the desk seen (its code made the
        first time) and its new refresh token. Returns the desk's code and the account's card key
        (None when it has none yet: `card_key` makes it). One transaction instead of three: on
        SQLite each took the file's one write lock and a sync to disk, which sign-ins of every
        account and every server process queue for (bench/load)."""
        with Session(self.writer) as db:
            code = self._touch_desk(db, account_id, desk_id, desk_name)
            db.add(refresh)
            secret = db.get(AccountSecret, account_id)
            card_key = secret.card_key if secret is not None else None
            db.commit()
            return code, card_key

    def _touch_desk(self, db: Session, account_id: str, desk_id: str, name: str) -> str:
        now = utcnow()
        if self.dialect == "postgresql":  # one numbering per account at a time, as IMMEDIATE gives on SQLite
            db.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": f"desk_code:{account_id}"})
        desk = db.get(Desk, (account_id, desk_id))
        if desk is None:
            desk = Desk(account_id=account_id, id=desk_id, name=name, first_seen=now)
        desk.last_seen = now
        if name:
            desk.name = name
        db.add(desk)
        code = db.get(DeskCode, (account_id, desk_id))
        if code is None:
            last = db.exec(select(func.max(DeskCode.number)).where(DeskCode.account_id == account_id)).one()
            code = DeskCode(account_id=account_id, desk_id=desk_id, number=(last or 0) + 1)
            db.add(code)
        return code.code  # read before the commit: after it, reading it would begin another transaction

    def add_refresh_token(self, row: RefreshToken) -> None:
        with Session(self.writer) as db:
            db.add(row)
            db.commit()

    def rotate_refresh_token(self, token_hash: str, desk_id: str, new_row_for) -> RefreshToken | None:
        """Revoke a live token of this desk and store its successor, in one transaction.

        `new_row_for(old)` makes the successor row. Returns None, changing nothing, when the token is
        unknown, revoked, expired or belongs to another desk.
        """
        now = utcnow()
        with Session(self.writer) as db:
            old = db.get(RefreshToken, token_hash, with_for_update=True)  # PostgreSQL: one rotation at a time
            if old is None or old.revoked_at is not None or old.expires_at <= now or old.desk_id != desk_id:
                return None
            db.execute(update(RefreshToken).where(RefreshToken.token_hash == token_hash).values(revoked_at=now))
            new = new_row_for(old)
            db.add(new)
            db.commit()
            db.refresh(new)
            return new

    def revoke_desk_tokens(self, account_id: str, desk_id: str) -> int:
        with Session(self.writer) as db:
            result = db.execute(
                update(RefreshToken)
                .where(RefreshToken.account_id == account_id, RefreshToken.desk_id == desk_id)
                .where(RefreshToken.revoked_at.is_(None))
                .values(revoked_at=utcnow())
            )
            db.commit()
            return result.rowcount

    def revoke_staff_tokens(self, account_id: str, staff_id: str) -> int:
        """Sign a staff member out of every desk: their refresh tokens stop working now."""
        with Session(self.writer) as db:
            result = db.execute(
                update(RefreshToken)
                .where(RefreshToken.account_id == account_id, RefreshToken.staff_id == staff_id)
                .where(RefreshToken.revoked_at.is_(None))
                .values(revoked_at=utcnow())
            )
            db.commit()
            return result.rowcount

    def revoke_refresh_token(self, token_hash: str, desk_id: str) -> RefreshToken | None:
        """Sign-out: the token stops working; returns its row when it was this desk's and live."""
        with Session(self.writer) as db:
            row = db.get(RefreshToken, token_hash)
            if row is None or row.desk_id != desk_id or row.revoked_at is not None:
                return None
            row.revoked_at = utcnow()
            db.add(row)
            db.commit()
            db.refresh(row)
            return row

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
