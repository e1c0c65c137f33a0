"""Whole data dirs: `frontdesk-server migrate` upgrades the registry and every account database;
`serve` first refuses any database a newer server has upgraded (server.migrate does one database)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from server.account_db import account_engine
from server.migrate import (
    MigrationError,
    Upgrade,
    check_known,
    describe_url,
    read_revision,
    upgrade,
)
from server.migrations import ACCOUNT, REGISTRY
from server.pg_admin import pg_engine, pg_url
from server.registry import Registry, registry_url
from server.secrets_box import SecretKeyError
from server.sqlite import sqlite_engine, writer

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    label: str  # "registry" or the account's slug
    where: str
    upgrade: Upgrade | None = None
    error: str | None = None


def _account_targets(registry: Any) -> Iterator[tuple[str, str]]:
    for account in registry.accounts():
        try:
            yield account.slug, registry.account_db_url(account)
        except SecretKeyError as exc:  # an account in PostgreSQL, and no key to open its password
            raise MigrationError(str(exc)) from None


def _registry_engine(data_dir: Path) -> tuple[Engine, str]:
    """An engine on the registry (registry_url: $FRONTDESK_REGISTRY_URL or the data dir's file)."""
    url = registry_url(data_dir)
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        if not path.exists():
            raise MigrationError(f"There is no registry in {data_dir} (no {path.name}); nothing to migrate.")
        return sqlite_engine(path), str(path)
    return pg_engine(url), describe_url(url)


def migrate_all(data_dir: Path) -> Iterator[Outcome]:
    """Upgrade the registry, then every account database; one outcome each, errors included."""
    engine, where = _registry_engine(data_dir)
    try:
        yield Outcome("registry", where, upgrade(writer(engine), REGISTRY, where=where))
    finally:
        engine.dispose()
    registry = Registry(data_dir)
    try:
        targets = list(_account_targets(registry))
    finally:
        registry.close()
    for slug, url in targets:
        where = describe_url(url)
        try:
            engine = account_engine(url)
        except FileNotFoundError as exc:
            yield Outcome(slug, where, error=str(exc))
            continue
        try:
            yield Outcome(slug, where, upgrade(writer(engine), ACCOUNT, where=where))
        except MigrationError as exc:
            yield Outcome(slug, where, error=str(exc))
        except SQLAlchemyError as exc:  # e.g. its PostgreSQL server is down: the other accounts go on
            yield Outcome(slug, where, error=f"cannot reach it ({_first_line(exc)})")
        finally:
            engine.dispose()


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def refuse_newer(data_dir: Path) -> None:
    """Before `serve`: raise SchemaTooNew if the registry or any account database is newer than this code.

    Databases that are behind are left alone here: each is upgraded when first opened.
    """
    url = registry_url(data_dir)
    if url.startswith("sqlite:///"):
        if not Path(url.removeprefix("sqlite:///")).exists():
            return  # a new data dir: the registry is made at start
        check_known(read_revision(url), REGISTRY, url.removeprefix("sqlite:///"))
    else:
        check_known(read_revision(pg_url(url).render_as_string(hide_password=False)), REGISTRY, describe_url(url))
    registry = Registry(data_dir)
    try:
        targets = list(_account_targets(registry))
    finally:
        registry.close()
    for slug, url in targets:
        if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
            continue  # reported when the account is used, as before
        try:
            revision = read_revision(url)
        except SQLAlchemyError as exc:  # unreachable now; refused at first use if it is too new
            _log.warning("Could not check the schema of account %s (%s)", slug, _first_line(exc))
            continue
        check_known(revision, ACCOUNT, describe_url(url))
