"""Alembic histories of the server's databases, run by server.migrate (no alembic.ini).

- account/: every account database (the shared record tables of sync.schema and the server's
  own tables on AccountBase.metadata, the change counter among them).
- registry/: the registry database (RegistryBase.metadata).

Revision ids are four-digit sequence numbers, the prefix of each file name, in one straight line
of history per database. So the code's newest revision is known from the file names alone,
without loading Alembic: an account database is opened per request and per test, and that open
must stay a single version query (server.migrate). tests/server/test_migrations.py holds the
file names and Alembic's own view of the history equal.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

HERE = Path(__file__).resolve().parent
ACCOUNT = "account"
REGISTRY = "registry"
KINDS = (ACCOUNT, REGISTRY)
_REVISION_FILE = re.compile(r"^(\d{4})_\w+\.py$")
# A branch's revision made beside others ("r_identity.py"), re-chained into the numbered line
# when branches merge; until then it comes after the numbered ones.
_BRANCH_FILE = re.compile(r"^(r_[a-z]+)\.py$")


def directory(kind: str) -> Path:
    if kind not in KINDS:
        raise ValueError(f"no migration history {kind!r}")
    return HERE / kind


@cache
def revisions(kind: str) -> tuple[str, ...]:
    """The revision ids of a history, oldest first."""
    names = [p.name for p in (directory(kind) / "versions").iterdir()]
    numbered = sorted(m.group(1) for n in names if (m := _REVISION_FILE.match(n)))
    return tuple(numbered + sorted(m.group(1) for n in names if (m := _BRANCH_FILE.match(n))))


def head(kind: str) -> str:
    """The newest revision this code knows."""
    return revisions(kind)[-1]
