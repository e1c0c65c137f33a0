"""`frontdesk-server backup` and `restore`: consistent copies, a manifest, generations, checksums."""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import subprocess
import sys
import threading

import pytest
from sqlalchemy import text

from server import admin, backup
from server.account_db import AccountDatabase, next_usn
from server.backup import BackupError, sha256
from server.migrations import ACCOUNT, REGISTRY, head
from server.registry import Account, Registry
from tests.helpers.postgres import temporary_database
from tests.helpers.server_process import REPO_ROOT, account_db_path, make_account

T0 = dt.datetime(2026, 11, 25, 15, 30, tzinfo=dt.UTC)


@pytest.fixture
def data_dir(server_account):
    """acme (20 seeded families, alex) plus a second, empty account."""
    d = server_account["data_dir"]
    admin.create_account(d, "beta", name="Beta Swim")
    return d


def rows(path) -> dict[str, list]:
    """Every row of every table of a SQLite file."""
    con = sqlite3.connect(path)
    try:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {t: sorted(con.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr) for t in tables}
    finally:
        con.close()


def change_something(data_dir) -> None:
    """Writes after the backup, in several tables."""
    admin.add_staff(data_dir, "acme", "late", "pw", group="coach")
    db_path = account_db_path(data_dir, "acme")
    con = sqlite3.connect(db_path)
    try:
        con.execute("UPDATE family SET name = 'Changed' WHERE id = (SELECT min(id) FROM family)")
        con.execute("DELETE FROM alert")
        con.execute("UPDATE change_counter SET usn = usn + 500")
        con.commit()
    finally:
        con.close()


def test_backup_copies_everything_with_a_manifest(data_dir):
    result = backup.backup(data_dir, now=T0)
    assert result.path == data_dir / "backups" / "20261125T153000Z" and result.problems == []
    manifest = json.loads((result.path / "manifest.json").read_text())
    assert manifest == result.manifest
    assert manifest["created_at"] == "2026-11-25T15:30:00Z"
    assert manifest["code_revisions"] == {ACCOUNT: head(ACCOUNT), REGISTRY: head(REGISTRY)}
    assert [a["slug"] for a in manifest["accounts"]] == ["acme", "beta"]
    for entry in [manifest["registry"], *manifest["accounts"]]:
        copy = result.path / entry["file"]
        assert (entry["size"], entry["sha256"]) == (copy.stat().st_size, sha256(copy))
        assert copy.read_bytes()[18:20] == b"\x01\x01"  # rollback journal, not WAL: one self-contained file
        assert entry["revision"] == head(REGISTRY if entry is manifest["registry"] else ACCOUNT)
    acme = manifest["accounts"][0]
    assert rows(result.path / acme["file"]) == rows(account_db_path(data_dir, "acme"))
    assert rows(result.path / "registry.sqlite") == rows(data_dir / "registry.sqlite")


def test_restore_brings_every_row_back_and_keeps_the_replaced_database(data_dir):
    original = rows(account_db_path(data_dir, "acme"))
    made = backup.backup(data_dir, now=T0)
    change_something(data_dir)
    changed = rows(account_db_path(data_dir, "acme"))
    assert changed != original

    result = backup.restore(data_dir, "acme", made.path, now=T0 + dt.timedelta(hours=1))
    assert result.revision == head(ACCOUNT)
    assert result.set_aside.name.endswith(".before-restore-20261125T163000Z")
    assert rows(result.set_aside) == changed  # nothing is lost: the replaced database is kept whole
    restored = rows(account_db_path(data_dir, "acme"))
    # Every table as it was at the backup, but for two things the restore adds on purpose: an audit
    # event saying so, and a change counter carried on past the numbers desks may have seen since.
    [event] = [r for r in restored["audit_event"] if r not in original["audit_event"]]
    assert "account.restored" in event
    assert restored["change_counter"][0][:2] == changed["change_counter"][0][:2]  # (id, usn); the audit head is the backup's, then the restore's entry
    for table in ("audit_event", "change_counter"):
        restored.pop(table), original.pop(table)
    assert restored == original

    adb = AccountDatabase(f"sqlite:///{account_db_path(data_dir, 'acme')}")
    try:
        with adb.write_session() as db:
            assert next_usn(db) == changed["change_counter"][0][1] + 1
    finally:
        adb.close()


def test_a_damaged_backup_is_refused_and_nothing_changes(data_dir):
    made = backup.backup(data_dir, now=T0)
    copy = made.path / made.manifest["accounts"][0]["file"]
    with open(copy, "r+b") as f:  # one byte in the middle of the file, size unchanged
        f.seek(copy.stat().st_size // 2)
        byte = f.read(1)
        f.seek(-1, os.SEEK_CUR)
        f.write(bytes([byte[0] ^ 0xFF]))
    current = account_db_path(data_dir, "acme")
    before, files = sha256(current), sorted(os.listdir(current.parent))
    with pytest.raises(BackupError, match="damaged: its checksum does not match"):
        backup.restore(data_dir, "acme", made.path)
    assert sha256(current) == before
    assert sorted(os.listdir(current.parent)) == files  # nothing moved aside, no copy left behind


def test_restore_refusals_say_why(data_dir, tmp_path):
    made = backup.backup(data_dir, now=T0)
    with pytest.raises(BackupError, match="no account 'nobody' .*it has: acme, beta"):
        backup.restore(data_dir, "nobody", made.path)
    with pytest.raises(BackupError, match="not a Frontdesk backup"):
        backup.restore(data_dir, "acme", tmp_path)
    other = tmp_path / "other"
    make_account(other, "acme", families=1)  # same slug, another account
    with pytest.raises(BackupError, match="not the one in the backup"):
        backup.restore(other, "acme", made.path)


def test_only_the_newest_generations_are_kept(data_dir, tmp_path):
    out = tmp_path / "backups"
    made = [backup.backup(data_dir, out, keep=2, now=T0 + dt.timedelta(days=i)) for i in range(3)]
    assert [p.name for p in made[2].pruned] == ["20261125T153000Z"]
    assert sorted(p.name for p in out.iterdir()) == ["20261126T153000Z", "20261127T153000Z"]
    again = backup.backup(data_dir, out, keep=2, now=T0 + dt.timedelta(days=2))  # same second: a new name
    assert again.path.name == "20261127T153000Z-2"
    assert sorted(p.name for p in out.iterdir()) == ["20261127T153000Z", "20261127T153000Z-2"]
    with pytest.raises(BackupError, match="at least 1"):
        backup.backup(data_dir, out, keep=0)


def test_a_backup_taken_while_desks_write_is_consistent(data_dir, tmp_path):
    """Writes go on during the copy; the copy is one moment: every usn handed out is in its rows."""
    adb = AccountDatabase(f"sqlite:///{account_db_path(data_dir, 'acme')}")
    stop = threading.Event()

    def write():
        n = 0
        while not stop.is_set() and n < 5000:
            with adb.write_session() as db:
                usn = next_usn(db)
                db.execute(text("INSERT INTO tombstone (type, id, usn) VALUES ('family', :id, :usn)"), {"id": f"x{n}", "usn": usn})
                db.commit()
            n += 1

    writer = threading.Thread(target=write)
    writer.start()
    try:
        results = [backup.backup(data_dir, tmp_path / "b", keep=3, now=T0 + dt.timedelta(seconds=i)) for i in range(3)]
    finally:
        stop.set()
        writer.join(30)
        adb.close()
    copies_with_writes = 0
    for result in results:
        con = sqlite3.connect(result.path / result.manifest["accounts"][0]["file"])
        try:
            assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            counter = con.execute("SELECT usn FROM change_counter").fetchone()[0]
            newest, count = con.execute("SELECT max(usn), count(*) FROM tombstone").fetchone()
        finally:
            con.close()
        if count:
            copies_with_writes += 1
            assert newest == counter  # no write half in: each usn came with its row, in one transaction
    assert copies_with_writes >= 1


def test_a_missing_account_database_is_reported_and_the_rest_backed_up(data_dir, capsys):
    from server.cli import main

    account_db_path(data_dir, "beta").unlink()
    assert main(["backup", "--data-dir", str(data_dir), "--keep", "1"]) == 1
    out, err = capsys.readouterr()
    assert "NOT backed up: beta: its database" in err and "acme: accounts/" in out
    assert not account_db_path(data_dir, "beta").exists()  # never recreated empty


def test_backup_and_restore_commands(data_dir, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("FRONTDESK_")}

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "server.cli", *args, "--data-dir", str(data_dir)],
                              cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=30)  # fmt: skip

    out = tmp_path / "b"
    done = cli("backup", "--out", str(out), "--keep", "3")
    assert done.returncode == 0, done.stderr
    [generation] = list(out.iterdir())
    assert f"Backup written to {generation}" in done.stdout
    assert "acme: accounts/" in done.stdout and f"revision {head(ACCOUNT)}" in done.stdout
    original = rows(account_db_path(data_dir, "beta"))
    admin.add_staff(data_dir, "beta", "pat", "pw", group="owner")

    done = cli("restore", "beta", str(generation))
    assert done.returncode == 0, done.stderr
    assert "Restored 'beta'" in done.stdout and "is kept as" in done.stdout
    assert rows(account_db_path(data_dir, "beta"))["staff"] == original["staff"] == []

    done = cli("restore", "beta", str(tmp_path))
    assert done.returncode == 1 and "not a Frontdesk backup" in done.stderr


# --- accounts kept in PostgreSQL -----------------------------------------------------------------------


@pytest.fixture
def pg_account(tmp_path):
    """A data dir whose account "pgym" lives in a throw-away PostgreSQL database, with one staff row."""
    with temporary_database() as url:
        registry = Registry(tmp_path)
        try:
            account = registry.add_account(Account(slug="pgym", name="PG Gym", db_location=url))
        finally:
            registry.close()
        adb = AccountDatabase(url, create=True)
        try:
            with adb.write_session() as db:
                db.execute(
                    text("INSERT INTO staff (id, usn, username, display_name, \"group\", active) VALUES ('s1', :u, 'pg', 'PG', 'owner', true)"),
                    {"u": next_usn(db)},
                )
                db.commit()
        finally:
            adb.close()
        yield tmp_path, account, url


def test_a_postgresql_account_is_dumped_with_pg_dump(pg_account):
    if backup.shutil.which("pg_dump") is None:
        pytest.skip("pg_dump is not installed (Debian: postgresql-client)")
    data_dir, account, url = pg_account
    result = backup.backup(data_dir, now=T0)
    [entry] = result.manifest["accounts"]
    assert entry["kind"] == "postgresql" and entry["revision"] == head(ACCOUNT)
    assert entry["file"] == f"accounts/{account.id}.pgdump" and "password" not in json.dumps(entry)
    listing = subprocess.run(["pg_restore", "--list", str(result.path / entry["file"])], capture_output=True, text=True, timeout=30)
    assert listing.returncode == 0 and "TABLE DATA public staff" in listing.stdout
    with pytest.raises(BackupError, match="lives in PostgreSQL: restore it with pg_restore"):
        backup.restore(data_dir, "pgym", result.path)


def test_without_pg_dump_a_postgresql_account_is_a_clear_problem(pg_account, monkeypatch):
    data_dir, _account, _url = pg_account
    real_which = backup.shutil.which
    monkeypatch.setattr(backup.shutil, "which", lambda name: None if name == "pg_dump" else real_which(name))
    result = backup.backup(data_dir, now=T0)
    assert result.manifest["accounts"] == []
    assert result.problems == ["pgym: it lives in PostgreSQL and pg_dump is not installed here (Debian: apt-get install postgresql-client)"]
