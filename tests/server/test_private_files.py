"""Secrets at rest: the data dir's databases (with their WAL files), the registry, the sandbox
gateway's file, the signing key and the backups are owner-only: 0600 files, 0700 folders."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from server import admin, backup
from server.account_db import AccountDatabase, audit
from server.payments import make_gateway
from server.settings import Settings
from server.tokens import load_signing_key
from tests.helpers.server_process import account_db_path


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def wide_umask():
    """The usual umask (022), whatever the test runner has: files would be 0644 without care."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_a_new_data_dir_is_owner_only(tmp_path, wide_umask):
    data_dir = tmp_path / "srv" / "frontdesk"
    admin.create_account(data_dir, "acme", name="Acme")
    load_signing_key(data_dir)
    make_gateway(Settings(data_dir=data_dir)).close()
    db = account_db_path(data_dir, "acme")
    adb = AccountDatabase(f"sqlite:///{db}")
    try:
        with adb.write_session() as s:  # a write, so the WAL and shared-memory files are there to look at
            audit(s, "login.succeeded", staff_id="s1")
            s.commit()
        companions = [Path(f"{db}{suffix}") for suffix in ("-wal", "-shm")]
        assert all(p.exists() for p in companions)
        files = [db, *companions, data_dir / "registry.sqlite", data_dir / "secret.key", data_dir / "gateway-sandbox.sqlite3"]
        assert {str(p.relative_to(data_dir)): oct(mode(p)) for p in files} == {str(p.relative_to(data_dir)): "0o600" for p in files}
    finally:
        adb.close()
    for folder in (tmp_path / "srv", data_dir, db.parent):
        assert mode(folder) == 0o700, folder
    for p in data_dir.rglob("*"):  # nothing else slipped through wider
        assert mode(p) & 0o077 == 0, p


def test_a_database_an_older_server_left_readable_is_narrowed_when_opened(server_account, wide_umask):
    db = account_db_path(server_account["data_dir"], "acme")
    wal = Path(f"{db}-wal")
    wal.touch()
    for p in (db, wal, server_account["data_dir"] / "registry.sqlite"):
        os.chmod(p, 0o644)
    adb = AccountDatabase(f"sqlite:///{db}")
    try:
        assert (mode(db), mode(wal)) == (0o600, 0o600)  # (SQLite removes the WAL at the last close)
    finally:
        adb.close()
    admin.list_staff(server_account["data_dir"], "acme")  # opens the registry
    assert mode(server_account["data_dir"] / "registry.sqlite") == 0o600


def test_backups_and_a_restored_database_are_owner_only(server_account, wide_umask):
    data_dir = server_account["data_dir"]
    made = backup.backup(data_dir)
    assert mode(made.path.parent) == 0o700 and mode(made.path) == 0o700
    for entry in [made.manifest["registry"], *made.manifest["accounts"]]:
        assert mode(made.path / entry["file"]) == 0o600, entry["file"]
    backup.restore(data_dir, "acme", made.path)
    assert mode(account_db_path(data_dir, "acme")) == 0o600
