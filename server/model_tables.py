"""The tables the code's models define for each kind of database: what a new revision is written
from (`python -m server.migrate revision`) and what `move-account` copies."""

from __future__ import annotations

import importlib

from sqlalchemy import MetaData, Table

from server.account_db import AccountBase
from server.migrations import ACCOUNT, REGISTRY
from server.registry import RegistryBase
from sync.core.schema import SHARED_TABLES

# Every module that puts a table in an account database or in the registry. A module that adds a
# table to AccountBase or RegistryBase must be named here, or `revision` would miss it
# (tests/server/test_migrations.py imports every server module to check).
MODEL_MODULES: dict[str, tuple[str, ...]] = {
    ACCOUNT: ("sync.core.schema", "server.account_db", "server.payments.attempts", "server.importing.stored"),
    REGISTRY: ("server.registry", "server.importing.job_rows", "server.payments.choice"),
}

def model_tables(kind: str) -> list[Table]:
    """The tables the models define for a kind of database, as the code has them now."""
    for module in MODEL_MODULES[kind]:
        importlib.import_module(module)
    if kind == ACCOUNT:
        return [*SHARED_TABLES, *AccountBase.metadata.sorted_tables]
    return list(RegistryBase.metadata.sorted_tables)


def target_metadata(kind: str) -> MetaData:
    metadata = MetaData()
    for table in model_tables(kind):
        table.to_metadata(metadata)
    return metadata
