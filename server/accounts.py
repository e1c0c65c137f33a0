"""Creating and opening accounts from admin commands (the server opens them through ServerState)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from server.account_db import AccountDatabase, audit
from server.registry import SLUG_RE, Account, Registry
from sync.ids import new_id


class AdminError(Exception):
    """An admin command that cannot be done, with a message for the person at the terminal."""


@dataclass(frozen=True)
class AccountInfo:
    id: str
    slug: str
    name: str
    db_location: str


def _info(account: Account) -> AccountInfo:
    return AccountInfo(account.id, account.slug, account.name, account.db_location)


def create_account(data_dir: str | os.PathLike, slug: str, name: str | None = None) -> AccountInfo:
    """Register an account and create its own SQLite database under DATA_DIR/accounts/."""
    if not SLUG_RE.match(slug):
        raise AdminError(f"Account slug {slug!r} must be lowercase letters, digits and dashes (at most 63).")
    registry = Registry(Path(data_dir))
    try:
        if registry.account_by_slug(slug) is not None:
            raise AdminError(f"Account {slug!r} already exists.")
        account_id = new_id()
        # Named by id, not slug: a slug could be renamed, the file never moves.
        location = f"accounts/{account_id}.sqlite"
        (registry.data_dir / "accounts").mkdir(parents=True, exist_ok=True)
        account = Account(id=account_id, slug=slug, name=name or slug, db_location=location)
        adb = AccountDatabase(registry.account_db_url(account), create=True)
        try:
            with adb.write_session() as db:
                audit(db, "account.created", slug=slug, name=account.name)
                db.commit()
        finally:
            adb.close()
        return _info(registry.add_account(account))
    finally:
        registry.close()


def find_account(data_dir: str | os.PathLike, slug: str) -> AccountInfo | None:
    registry = Registry(Path(data_dir))
    try:
        account = registry.account_by_slug(slug)
        return _info(account) if account is not None else None
    finally:
        registry.close()


def account_exists(data_dir: str | os.PathLike, slug: str) -> bool:
    return (Path(data_dir) / "registry.sqlite").exists() and find_account(data_dir, slug) is not None


@contextmanager
def open_account(data_dir: str | os.PathLike, slug: str) -> Iterator[tuple[AccountInfo, AccountDatabase]]:
    registry = Registry(Path(data_dir))
    try:
        account = registry.account_by_slug(slug)
        if account is None:
            raise AdminError(f"There is no account {slug!r} in {registry.data_dir}.")
        adb = AccountDatabase(registry.account_db_url(account))
        try:
            yield _info(account), adb
        finally:
            adb.close()
    finally:
        registry.close()
