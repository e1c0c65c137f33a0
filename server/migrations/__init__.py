"""Alembic histories of the server's databases, run by server.migrate (no alembic.ini).

- account/: every account database (the shared record tables of sync.core.schema and the server's
  own tables on AccountBase.metadata, the change counter among them).
- registry/: the registry database (RegistryBase.metadata).

One straight line of history per database. The order is read from each revision file's own
`revision = '...'` and `down_revision = '...'` lines (a plain text scan, not Alembic): an account
database is opened per request and per test, and that open must stay a single version query
(server.migrate). Ids are mostly four-digit sequence numbers, but a revision made on a parallel
branch may carry another id until it is re-chained at merge. tests/server/test_migrations.py holds
this view and Alembic's own view of the history equal.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

HERE = Path(__file__).resolve().parent
ACCOUNT = "account"
REGISTRY = "registry"
KINDS = (ACCOUNT, REGISTRY)
_REVISION = re.compile(r"^revision = ['\"]([\w-]+)['\"]\s*$", re.M)
_DOWN = re.compile(r"^down_revision = (?:None|['\"]([\w-]+)['\"])\s*$", re.M)


def directory(kind: str) -> Path:
    if kind not in KINDS:
        raise ValueError(f"no migration history {kind!r}")
    return HERE / kind


@cache
def revisions(kind: str) -> tuple[str, ...]:
    """The revision ids of a history, oldest first (following each file's down_revision)."""
    parent: dict[str | None, str] = {}
    for path in sorted((directory(kind) / "versions").glob("*.py")):
        text = path.read_text()
        rev, down = _REVISION.search(text), _DOWN.search(text)
        if rev is None or down is None:
            continue  # not a revision (e.g. __init__.py)
        if down.group(1) in parent:
            raise RuntimeError(f"two {kind} revisions follow {down.group(1)}: {parent[down.group(1)]} and {rev.group(1)}")
        parent[down.group(1)] = rev.group(1)
    line, at = [], None
    while at in parent:
        at = parent[at]
        line.append(at)
    return tuple(line)


def head(kind: str) -> str:
    """The newest revision this code knows."""
    return revisions(kind)[-1]
