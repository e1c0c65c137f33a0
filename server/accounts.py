"""Creating and opening accounts from admin commands (the server opens them through ServerState)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from server.account_db import AccountDatabase, audit
from server.errors import OperatorError
from server.private_files import private_dir
from server.placement import Placement, least_loaded, place_on
from server.registry import SLUG_RE, Account, Registry
from sync.core.ids import new_id


class AdminError(OperatorError):
    """An admin command that cannot be done, with a message for the person at the terminal."""


@dataclass(frozen=True)
class AccountInfo:
    id: str
    slug: str
    name: str
    db_location: str


def _info(account: Account) -> AccountInfo:
    return AccountInfo(account.id, account.slug, account.name, account.db_location)


def create_account(
    data_dir: str | os.PathLike, slug: str, name: str | None = None, *, placement: Placement | None = None
) -> AccountInfo:
    """Register an account and create its own database: a SQLite file under DATA_DIR/accounts/
    (the default placement), or a database and login role on the least loaded PostgreSQL server."""
    if not SLUG_RE.match(slug):
        raise AdminError(f"Account slug {slug!r} must be lowercase letters, digits and dashes (at most 63).")
    placement = placement or Placement()
    registry = Registry(Path(data_dir))
    try:
        if registry.account_by_slug(slug) is not None:
            raise AdminError(f"Account {slug!r} already exists.")
        account_id = new_id()
        if placement.kind == "postgresql":
            return _info(_create_in_postgresql(registry, placement, account_id, slug, name or slug))
        # Named by id, not slug: a slug could be renamed, the file never moves.
        location = f"accounts/{account_id}.sqlite"
        private_dir(registry.data_dir / "accounts")
        account = Account(id=account_id, slug=slug, name=name or slug, db_location=location)
        _fill_new(registry.account_db_url(account), slug, account.name)
        return _info(registry.add_account(account))
    finally:
        registry.close()


def _fill_new(url: str, slug: str, name: str) -> None:
    adb = AccountDatabase(url, create=True)  # the migrations make its tables
    try:
        with adb.write_session() as db:
            audit(db, "account.created", slug=slug, name=name)
            db.commit()
    finally:
        adb.close()


def _create_in_postgresql(registry: Registry, placement: Placement, account_id: str, slug: str, name: str) -> Account:
    from server.secrets_box import SecretKeyError

    try:
        box = registry.box()  # before anything is made: without the key the password could not be kept
    except SecretKeyError as exc:
        raise AdminError(str(exc)) from None
    server = least_loaded(placement.servers, registry.pg_load())
    try:
        placed = place_on(server, account_id)
    except SQLAlchemyError as exc:
        raise AdminError(f"Could not make the account's database on PostgreSQL server {server.name}: {_first_line(exc)}") from None
    try:
        # As the account's own role, straight to the server: its tables are its own.
        _fill_new(placed.direct_url_with_password(), slug, name)
        account = Account(id=account_id, slug=slug, name=name, db_location=placed.location)
        return registry.add_placed_account(account, placed.record(account_id, box))
    except BaseException:
        placed.drop()  # nothing is left half made on the server
        raise


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def find_account(data_dir: str | os.PathLike, slug: str) -> AccountInfo | None:
    registry = Registry(Path(data_dir))
    try:
        account = registry.account_by_slug(slug)
        return _info(account) if account is not None else None
    finally:
        registry.close()


def account_exists(data_dir: str | os.PathLike, slug: str) -> bool:
    from server.registry import registry_path, registry_url

    if registry_url(Path(data_dir)).startswith("sqlite:///") and not registry_path(Path(data_dir)).exists():
        return False  # no registry yet: not made just to answer
    return find_account(data_dir, slug) is not None


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
