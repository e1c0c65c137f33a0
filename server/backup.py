"""Backups of a data dir, taken while the server runs, and the restore of one account from them.

A backup is one directory (a generation) in the backups dir, named by its UTC time:

    20261125T153000Z/
        manifest.json        what is here: accounts, files, sizes, SHA-256, schema revisions, time,
                             and each account's audit chain head (server.audit_chain)
        registry.sqlite
        accounts/<account id>.sqlite   (or .pgdump for an account kept in PostgreSQL)

SQLite files are copied with SQLite's online backup API: each copy is one consistent snapshot
while desks keep writing. PostgreSQL accounts are copied with pg_dump. A generation is written
under a hidden name and renamed when complete, so a crash never leaves a half backup that looks
whole; then only the newest `keep` generations stay.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.request import pathname2url

from sqlalchemy import make_url

from server.errors import OperatorError
from server.migrate import describe_url, read_revision
from server.migrations import ACCOUNT, REGISTRY, head, revisions
from server.private_files import private_dir, private_file, private_sqlite

MANIFEST = "manifest.json"
FORMAT = 1
DEFAULT_KEEP = 7
_GENERATION = re.compile(r"^\d{8}T\d{6}Z(-\d+)?$")


class BackupError(OperatorError):
    """A backup or restore that cannot be done, with a message for the person at the terminal."""


@dataclass
class BackupResult:
    path: Path
    manifest: dict[str, Any]
    pruned: list[Path] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        return self.manifest["problems"]


@dataclass(frozen=True)
class RestoreResult:
    slug: str
    database: Path
    set_aside: Path | None  # the database that was there before, kept
    revision: str


def default_backups_dir(data_dir: Path) -> Path:
    return Path(data_dir).expanduser().resolve() / "backups"


def backup(data_dir: Path, out: Path | None = None, *, keep: int = DEFAULT_KEEP, now: dt.datetime | None = None) -> BackupResult:
    """Copy the registry and every account database into a new generation in `out`."""
    from server.registry import registry_url

    if keep < 1:
        raise BackupError("--keep must be at least 1: the backup just made is kept.")
    data_dir = Path(data_dir).expanduser().resolve()
    reg_url = registry_url(data_dir)
    registry = Path(reg_url.removeprefix("sqlite:///")) if reg_url.startswith("sqlite:///") else None
    if registry is not None and not registry.exists():
        raise BackupError(f"There is no registry in {data_dir}; nothing to back up.")
    out = Path(out).expanduser().resolve() if out is not None else default_backups_dir(data_dir)
    private_dir(out)  # copies of every account's data: owner-only, as the data dir (server.private_files)
    now = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    final = _free_name(out, now.strftime("%Y%m%dT%H%M%SZ"))
    work = out / f".partial-{final.name}-{os.getpid()}"
    work.mkdir(mode=0o700)
    try:
        manifest: dict[str, Any] = {
            "format": FORMAT,
            "created_at": now.isoformat().replace("+00:00", "Z"),
            "data_dir": str(data_dir),
            "code_revisions": {ACCOUNT: head(ACCOUNT), REGISTRY: head(REGISTRY)},
            "registry": None,
            "accounts": [],
            "problems": [],
        }
        if registry is not None:
            manifest["registry"] = _copy_sqlite(registry, work, Path("registry.sqlite"))
            # The accounts are those of the registry's copy, so the manifest and that copy agree.
            accounts = _accounts_in(work / "registry.sqlite")
        else:  # the registry is in PostgreSQL (servers on several machines share it)
            from server.pg_admin import pg_url

            manifest["registry"] = _pg_dump(pg_url(reg_url).render_as_string(hide_password=False), work, Path("registry.pgdump"))
            accounts = _live_accounts(data_dir)
        for account_id, slug, name, location in accounts:
            entry: dict[str, Any] = {"id": account_id, "slug": slug, "name": name}
            try:
                if "://" in location:
                    entry |= {"kind": "postgresql", "source": describe_url(location)}
                    entry |= _pg_dump(_dump_url(data_dir, account_id, location), work, Path("accounts") / f"{account_id}.pgdump")
                    entry["audit_head"] = _audit_head_of_dump(work / entry["file"])
                else:
                    entry |= {"kind": "sqlite", "db_location": location}
                    entry |= _copy_sqlite(data_dir / location, work, Path("accounts") / f"{account_id}.sqlite")
                    entry["audit_head"] = _audit_head_of_copy(work / entry["file"])
            except BackupError as exc:
                manifest["problems"].append(f"{slug}: {exc}")
                continue
            manifest["accounts"].append(entry)
        _write_json(work / MANIFEST, manifest)
        os.rename(work, final)
        _fsync_dir(out)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return BackupResult(final, manifest, prune(out, keep))


def prune(out: Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` complete generations; returns what was deleted."""
    generations = sorted(d for d in out.iterdir() if d.is_dir() and _GENERATION.match(d.name) and (d / MANIFEST).exists())
    doomed = generations[:-keep] if keep else generations
    for d in doomed:
        shutil.rmtree(d)
    return doomed


def load_manifest(backup_dir: Path) -> dict[str, Any]:
    path = Path(backup_dir) / MANIFEST
    try:
        manifest = json.loads(path.read_text())
    except FileNotFoundError:
        raise BackupError(f"{backup_dir} is not a Frontdesk backup (it has no {MANIFEST}).") from None
    except (OSError, ValueError) as exc:
        raise BackupError(f"The manifest of {backup_dir} cannot be read ({exc}).") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{backup_dir} was written in backup format {manifest.get('format')!r}; this server reads {FORMAT}.")
    return manifest


def recorded_audit_head(backup_dir: Path, slug: str) -> tuple[int, str]:
    """The audit chain head a backup recorded for an account (for `verify-audit --backup`)."""
    manifest = load_manifest(backup_dir)
    entry = next((a for a in manifest["accounts"] if a["slug"] == slug), None)
    if entry is None or not entry.get("audit_head"):
        raise BackupError(f"The backup {Path(backup_dir).name} recorded no audit log head for {slug!r}.")
    return entry["audit_head"]["chain_no"], entry["audit_head"]["hash"]


def restore(data_dir: Path, slug: str, backup_dir: Path, *, now: dt.datetime | None = None) -> RestoreResult:
    """Put one account's database back from a backup generation.

    The copy is checked against the manifest first; the current database (with its WAL files) is
    moved aside, not deleted, and the restored one takes its place in one rename. Stop the server
    (or keep every desk of the account away) while this runs: open connections would keep
    writing to the file that was moved aside.
    """
    from server.account_db import AccountDatabase
    from server.registry import Registry

    data_dir = Path(data_dir).expanduser().resolve()
    backup_dir = Path(backup_dir).expanduser().resolve()
    manifest = load_manifest(backup_dir)
    entry = next((a for a in manifest["accounts"] if a["slug"] == slug), None)
    if entry is None:
        have = ", ".join(a["slug"] for a in manifest["accounts"]) or "none"
        raise BackupError(f"The backup {backup_dir.name} has no account {slug!r} (it has: {have}).")
    registry = Registry(data_dir)
    try:
        account = registry.account_by_slug(slug)
        url = registry.account_db_url(account) if account is not None else None
    finally:
        registry.close()
    if account is None:
        raise BackupError(f"There is no account {slug!r} in {data_dir}; a restore brings back the database of an existing account.")
    if account.id != entry["id"]:
        raise BackupError(f"The account {slug!r} in {data_dir} is not the one in the backup (their ids differ); nothing was changed.")
    source = backup_dir / entry["file"]
    if entry["kind"] != "sqlite" or not url.startswith("sqlite:///"):
        raise BackupError(
            f"Account {slug!r} lives in PostgreSQL: restore it with pg_restore, e.g. "
            f"`pg_restore --clean --if-exists --no-owner --dbname=<its database> {source}`."
        )
    if entry.get("revision") is not None and entry["revision"] not in revisions(ACCOUNT):
        raise BackupError(f"The backup of {slug!r} is at schema revision {entry['revision']}, newer than this server knows.")
    _verify(source, entry, f"The backup copy of {slug!r}")

    target = Path(url.removeprefix("sqlite:///"))
    staging = target.with_name(f"{target.name}.restoring")
    shutil.copyfile(source, private_file(staging))  # into an owner-only file: the restored database stays so
    try:
        _fsync(staging)
        _verify(staging, entry, f"The copy of {slug!r} made for the restore")
    except BaseException:
        staging.unlink(missing_ok=True)
        raise
    stamp = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    aside = target.with_name(f"{target.name}.before-restore-{stamp}") if target.exists() else None
    if aside is not None:
        # The WAL and shared-memory files go with their database: a -wal left beside the restored
        # file would be replayed into it.
        for suffix in ("", "-wal", "-shm"):
            current = Path(f"{target}{suffix}")
            if current.exists():
                os.replace(current, Path(f"{aside}{suffix}"))
    os.replace(staging, target)
    _fsync_dir(target.parent)

    # Desks may hold change numbers up to the old database's counter. Carry the counter on from
    # there, so their next pulls see every change made from now on instead of skipping them.
    floor = _change_counter(aside) if aside is not None else None
    adb = AccountDatabase(url)  # brings an older copy up to this code's revision
    try:
        from sqlalchemy import text

        from server.account_db import audit

        with adb.write_session() as db:
            if floor is not None:
                db.execute(text("UPDATE change_counter SET usn = :floor WHERE id = 1 AND usn < :floor"), {"floor": floor})
            audit(db, "account.restored", backup=backup_dir.name, backup_created_at=manifest["created_at"], source="admin")
            db.commit()
        revision = adb.revision
    finally:
        adb.close()
    return RestoreResult(slug, target, aside, revision)


# --- copies -----------------------------------------------------------------------------------------


def _copy_sqlite(source: Path, work: Path, relative: Path) -> dict[str, Any]:
    dest = private_sqlite(work / relative)
    try:
        # mode=rw: never create an empty database where the account's file is missing.
        src = sqlite3.connect(f"file:{pathname2url(str(source))}?mode=rw", uri=True, timeout=30)
    except sqlite3.OperationalError:
        raise BackupError(f"its database {source} is missing or cannot be opened") from None
    try:
        dst = sqlite3.connect(dest)
        try:
            src.backup(dst)  # all pages in one step: one read transaction, one consistent snapshot
            # One self-contained file: the copy leaves WAL mode, so nothing needs to sit beside it.
            dst.execute("PRAGMA journal_mode=DELETE")
            revision = _sqlite_revision(dst)
        finally:
            dst.close()
    finally:
        src.close()
    _fsync(dest)
    return _file_entry(work, relative) | {"revision": revision}


# --- the audit chain's head, as the copy has it ------------------------------------------------------
# Read from the copy itself, not the live database: the copy's snapshot is what the head vouches for.
# Kept in the manifest, apart from the database, so that a rewrite of a whole chain shows against it.


def _audit_head(row: tuple | None) -> dict[str, Any] | None:
    return {"chain_no": int(row[0]), "hash": row[1]} if row else None


def _audit_head_of_copy(path: Path) -> dict[str, Any] | None:
    con = sqlite3.connect(path)
    try:
        return _audit_head(con.execute("SELECT audit_no, audit_hash FROM change_counter").fetchone())
    except sqlite3.OperationalError:
        return None  # a database from before the chain (revision a_audit)
    finally:
        con.close()


def _audit_head_of_dump(path: Path) -> dict[str, Any] | None:
    """The change counter's row as pg_dump wrote it: the same snapshot as the rest of the dump."""
    done = subprocess.run(["pg_restore", "--data-only", "--table=change_counter", "--file=-", str(path)],
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    if done.returncode != 0:
        raise BackupError(f"its dump could not be read back by pg_restore: {done.stderr.strip() or done.returncode}")
    lines = iter(done.stdout.splitlines())
    for line in lines:
        if line.startswith("COPY ") and "change_counter" in line:
            names = [n.strip().strip('"') for n in line[line.index("(") + 1 : line.index(")")].split(",")]
            if "audit_no" not in names:
                return None
            row = next(lines).split("\t")
            return _audit_head((row[names.index("audit_no")], row[names.index("audit_hash")]))
    return None


def _sqlite_revision(con: sqlite3.Connection) -> str | None:
    if con.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'").fetchone() is None:
        return None
    row = con.execute("SELECT version_num FROM alembic_version").fetchone()
    return row[0] if row else None


def _pg_dump(url: str, work: Path, relative: Path) -> dict[str, Any]:
    exe = shutil.which("pg_dump")
    if exe is None:
        raise BackupError("it lives in PostgreSQL and pg_dump is not installed here (Debian: apt-get install postgresql-client)")
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)  # not on the command line, where `ps` would show it
    conninfo = parsed.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    revision = read_revision(url)
    dest = private_file(work / relative)
    done = subprocess.run(
        [exe, "--format=custom", "--no-owner", "--no-privileges", f"--file={dest}", f"--dbname={conninfo}"],
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise BackupError(f"pg_dump failed: {done.stderr.strip() or done.returncode}")
    _fsync(dest)
    return _file_entry(work, relative) | {"revision": revision}


def _accounts_in(registry_copy: Path) -> list[tuple[str, str, str, str]]:
    con = sqlite3.connect(registry_copy)
    try:
        return con.execute("SELECT id, slug, name, db_location FROM account ORDER BY slug").fetchall()
    finally:
        con.close()


def _live_accounts(data_dir: Path) -> list[tuple[str, str, str, str]]:
    from server.registry import Registry

    registry = Registry(data_dir)
    try:
        return [(a.id, a.slug, a.name, a.db_location) for a in registry.accounts()]
    finally:
        registry.close()


def _dump_url(data_dir: Path, account_id: str, location: str) -> str:
    """What pg_dump connects to: the server itself (pg_dump needs a session PgBouncer's transaction
    pooling does not give), with the account role's password from the registry."""
    from server.registry import Registry
    from server.secrets_box import SecretKeyError

    registry = Registry(data_dir)
    try:
        account = registry.account_by_id(account_id)
        if account is None:
            return location
        return registry.account_direct_url(account)
    except SecretKeyError as exc:
        raise BackupError(str(exc)) from None
    finally:
        registry.close()


def _change_counter(path: Path) -> int | None:
    try:
        con = sqlite3.connect(f"file:{pathname2url(str(path))}?mode=rw", uri=True)
        try:
            row = con.execute("SELECT usn FROM change_counter WHERE id = 1").fetchone()
        finally:
            con.close()
    except sqlite3.Error:
        return None  # a damaged database is what a restore is for
    return row[0] if row else None


# --- files ------------------------------------------------------------------------------------------


def sha256(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _file_entry(work: Path, relative: Path) -> dict[str, Any]:
    path = work / relative
    return {"file": relative.as_posix(), "size": path.stat().st_size, "sha256": sha256(path)}


def _verify(path: Path, entry: dict[str, Any], what: str) -> None:
    if not path.exists():
        raise BackupError(f"{what} is missing ({path}); nothing was changed.")
    if path.stat().st_size != entry["size"] or sha256(path) != entry["sha256"]:
        raise BackupError(f"{what} is damaged: its checksum does not match the backup's manifest. Nothing was changed.")


def _free_name(out: Path, name: str) -> Path:
    candidate, n = out / name, 1
    while candidate.exists():
        n += 1
        candidate = out / f"{name}-{n}"
    return candidate


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2) + "\n")
    _fsync(path)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    _fsync(path)  # the rename itself survives a power cut only once its directory is synced
