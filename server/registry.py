"""The registry database: which accounts exist, where their data lives, desks, refresh tokens.

It never holds an account's records; those live in the account's own database (account_db.py).
Its tables use their own MetaData so they never land in SQLModel.metadata, which the desk cache
creates wholesale.
"""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import Engine, MetaData, update
from pydantic import NaiveDatetime  # plain DateTime column (SQLModel maps datetime to a tz-aware one)
from sqlmodel import Field, Session, SQLModel, select

from server.sqlite import sqlite_engine, writer
from sync.ids import new_id, utcnow
from sync.member_cards import new_card_key

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


class RegistryBase(SQLModel):
    metadata = MetaData()


class Account(RegistryBase, table=True):
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    slug: str = Field(unique=True, max_length=64)
    name: str
    # A path relative to the data dir for a SQLite file, or a full database URL (has "://").
    db_location: str
    created_at: NaiveDatetime = Field(default_factory=utcnow)


class Desk(RegistryBase, table=True):
    # Desk ids are made by desks; keyed with the account so one account can never claim another's.
    account_id: str = Field(primary_key=True, max_length=36)
    id: str = Field(primary_key=True, max_length=36)
    name: str = ""
    first_seen: NaiveDatetime = Field(default_factory=utcnow)
    last_seen: NaiveDatetime = Field(default_factory=utcnow)


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


class Registry:
    def __init__(self, data_dir: Path):
        self.data_dir = Path(data_dir).expanduser().resolve()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.engine: Engine = sqlite_engine(self.data_dir / "registry.sqlite")
        self.writer: Engine = writer(self.engine)
        RegistryBase.metadata.create_all(self.writer)

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

    def account_db_url(self, account: Account) -> str:
        if "://" in account.db_location:
            return account.db_location
        return f"sqlite:///{self.data_dir / account.db_location}"

    def touch_desk(self, account_id: str, desk_id: str, name: str) -> None:
        now = utcnow()
        with Session(self.writer) as db:
            desk = db.get(Desk, (account_id, desk_id))
            if desk is None:
                desk = Desk(account_id=account_id, id=desk_id, name=name, first_seen=now)
            desk.last_seen = now
            if name:
                desk.name = name
            db.add(desk)
            db.commit()

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
            old = db.get(RefreshToken, token_hash)
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
        with Session(self.writer) as db:
            row = db.get(AccountSecret, account_id)  # another request may have made it meanwhile
            if row is None:
                row = AccountSecret(account_id=account_id, card_key=new_card_key())
                db.add(row)
                db.commit()
                db.refresh(row)
            return row.card_key
