"""Throw-away PostgreSQL databases for tests, on the server at $FRONTDESK_TEST_PG (default: the
local one on 127.0.0.1:5432 with trust auth, as here and in CI)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

ADMIN_URL = os.environ.get("FRONTDESK_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def _connect():
    import psycopg

    return psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=3)


def skip_unless_reachable() -> None:
    """Skip the calling test, saying why, when there is no PostgreSQL to use."""
    try:
        import psycopg
    except ImportError:
        pytest.skip("psycopg is not installed (pip install -e '.[server]')")
    try:
        _connect().close()
    except psycopg.OperationalError as exc:
        pytest.skip(f"no PostgreSQL at {ADMIN_URL} ({str(exc).strip().splitlines()[0]}); set FRONTDESK_TEST_PG")


@contextmanager
def temporary_database() -> Iterator[str]:
    """A new, empty database; yields its SQLAlchemy URL (psycopg 3) and drops it afterwards."""
    from sqlalchemy import make_url

    skip_unless_reachable()
    name = f"frontdesk_test_{uuid.uuid4().hex[:12]}"
    with _connect() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(ADMIN_URL).set(drivername="postgresql+psycopg", database=name).render_as_string(hide_password=False)
    finally:
        with _connect() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
