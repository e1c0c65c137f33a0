"""Schema migrations: new, old, pre-migration and too-new databases, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
import threading
from contextlib import ExitStack
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import create_engine, inspect, text
from sqlmodel import Session

from server import admin, migrate, model_tables
from server.account_db import AccountDatabase, account_engine, next_usn
from server.audit_chain import GENESIS
from server.audit_verify import verify_chain
from server.cli import main
from server.migrations import ACCOUNT, KINDS, REGISTRY, directory, head, revisions
from server.registry import Account, Registry
from server.sqlite import writer
from sync.core.schema import LedgerEntry
from tests.helpers.postgres import temporary_database
from tests.helpers.server_process import REPO_ROOT, account_db_path

FIRST = "0001"


# --- helpers ----------------------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def new_url(request, tmp_path):
    """Makes empty databases of one dialect; returns their URLs. Every engine made is disposed."""
    with ExitStack() as stack:
        count = iter(range(100))

        def make() -> str:
            if request.param == "sqlite":
                return f"sqlite:///{tmp_path / f'db{next(count)}.sqlite'}"
            return stack.enter_context(temporary_database())

        yield make


@pytest.fixture
def engines():
    made: list[sa.Engine] = []

    def engine(url: str) -> sa.Engine:
        made.append(account_engine(url, create=True))
        return made[-1]

    yield engine
    for e in made:
        e.dispose()


def schema_of(engine: sa.Engine) -> dict:
    """Everything about the tables that matters: columns (in order), keys, indexes, triggers."""
    with engine.connect() as conn:
        insp = inspect(conn)
        out: dict = {}
        for t in sorted(insp.get_table_names()):
            if t == migrate.VERSION_TABLE:
                continue
            out[t] = {
                "columns": [(c["name"], str(c["type"]), c["nullable"], str(c.get("default"))) for c in insp.get_columns(t)],
                "pk": insp.get_pk_constraint(t)["constrained_columns"],
                "indexes": sorted((i["name"], tuple(i["column_names"]), bool(i["unique"])) for i in insp.get_indexes(t)),
                "uniques": sorted((u["name"] or "", tuple(u["column_names"])) for u in insp.get_unique_constraints(t)),
            }
        if conn.dialect.name == "sqlite":
            out["(triggers)"] = sorted(tuple(r) for r in conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")))
    return out


def create_all(engine: sa.Engine, kind: str, only: set[str] | None = None) -> None:
    """What the server did before migrations: create_all of the models (DDL events included)."""
    tables = [t for t in model_tables.model_tables(kind) if only is None or t.name in only]
    with writer(engine).begin() as conn:
        for metadata in {t.metadata for t in tables}:
            metadata.create_all(conn, tables=[t for t in tables if t.metadata is metadata])
        if kind == ACCOUNT:
            conn.execute(text("INSERT INTO change_counter (id, usn) VALUES (1, 0)"))


def tables_at(kind: str, revision: str) -> set[str]:
    scratch = create_engine("sqlite://")
    try:
        with scratch.begin() as conn:
            migrate.upgrade_to(conn, kind, revision)
            return set(inspect(conn).get_table_names()) - {migrate.VERSION_TABLE}
    finally:
        scratch.dispose()


def columns_at(kind: str, revision: str) -> dict[str, list[str]]:
    """Each table's columns at a revision: what a dump compares across an upgrade that adds columns."""
    scratch = create_engine("sqlite://")
    try:
        with scratch.begin() as conn:
            migrate.upgrade_to(conn, kind, revision)
            insp = inspect(conn)
            return {t: [c["name"] for c in insp.get_columns(t)] for t in insp.get_table_names() if t != migrate.VERSION_TABLE}
    finally:
        scratch.dispose()


def made_before_migrations(engine: sa.Engine, kind: str) -> None:
    """What create_all made at 1b66a92: the schema of revision FIRST (today's models have columns
    added since, so their create_all is no longer that), with no version table."""
    with writer(engine).begin() as conn:
        migrate.upgrade_to(conn, kind, FIRST)
        conn.execute(text(f"DROP TABLE {migrate.VERSION_TABLE}"))


def _value(table: sa.Table, column: sa.Column, n: int):
    t = column.type
    if isinstance(t, sa.Boolean):
        return n % 2 == 0
    if isinstance(t, sa.Integer):
        return n
    if isinstance(t, sa.DateTime):
        return dt.datetime(2026, 3, n, 12, 30, 15)
    if isinstance(t, sa.Date):
        return dt.date(2026, 3, n)
    if isinstance(t, sa.Time):
        return dt.time(9, n)
    if isinstance(t, sa.JSON):
        return {"n": n, "list": ["a", n]}
    if isinstance(t, sa.LargeBinary):
        return bytes([n, 0, 255])
    if isinstance(t, sa.String):
        s = f"{n}-{table.name}-{column.name}"
        return s[: t.length] if t.length else s
    raise AssertionError(f"no test value for {table.name}.{column.name} of type {t!r}")


def fill(engine: sa.Engine, rows: int = 2) -> None:
    """Rows in every table (read back from the database itself), and the change counter at 41."""
    metadata = sa.MetaData()
    with writer(engine).begin() as conn:
        metadata.reflect(conn)
        for table in metadata.sorted_tables:
            if table.name == migrate.VERSION_TABLE or conn.execute(sa.select(sa.func.count()).select_from(table)).scalar():
                continue
            conn.execute(table.insert(), [{c.name: _value(table, c, n) for c in table.columns} for n in range(1, rows + 1)])
        conn.execute(text("UPDATE change_counter SET usn = 41 WHERE id = 1"))


def dump(engine: sa.Engine, tables: set[str] | dict[str, list[str]] | None = None) -> dict[str, list]:
    """Every row of the tables named (all: None); given {table: columns}, only those columns."""
    metadata = sa.MetaData()
    with engine.connect() as conn:
        metadata.reflect(conn)
        return {
            t.name: sorted((tuple(r) for r in conn.execute(
                sa.select(*(t.c[c] for c in tables[t.name])) if isinstance(tables, dict) else sa.select(t))), key=repr)
            for t in metadata.sorted_tables
            if t.name != migrate.VERSION_TABLE and (tables is None or t.name in tables)
        }  # fmt: skip


def version_of(engine: sa.Engine) -> str | None:
    with engine.connect() as conn:
        return migrate.current_revision(conn)


# --- the history itself -------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_file_names_are_alembics_history(kind):
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(directory(kind)))
    walked = list(reversed(list(script.walk_revisions())))
    assert [s.revision for s in walked] == list(revisions(kind))
    assert [s.down_revision for s in walked] == [None, *revisions(kind)[:-1]]  # one straight line
    assert script.get_heads() == [head(kind)]
    assert revisions(kind)[0] == FIRST and len(revisions(kind)) >= 2


def test_every_module_with_server_tables_is_known_to_the_migrations():
    """A table on AccountBase or RegistryBase whose module migrate does not import would be left out of new revisions."""
    defining = set()
    for path in (REPO_ROOT / "server").rglob("*.py"):
        if re.search(r"^class \w+\((AccountBase|RegistryBase), table=True\)", path.read_text(), re.M):
            defining.add(".".join(path.relative_to(REPO_ROOT).with_suffix("").parts))
    known = set(model_tables.MODEL_MODULES[ACCOUNT]) | set(model_tables.MODEL_MODULES[REGISTRY])
    assert "server.account_db" in defining and "server.registry" in defining
    assert defining <= known


@pytest.mark.parametrize("kind", KINDS)
def test_the_newest_revision_matches_the_models(kind, tmp_path):
    """Nothing is left for `python -m server.migrate revision` to write: the models and head agree."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    engine = create_engine(f"sqlite:///{tmp_path / 'head.sqlite'}")
    try:
        with engine.begin() as conn:
            migrate.upgrade_to(conn, kind, "head")
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, model_tables.target_metadata(kind)) == []
    finally:
        engine.dispose()


# --- new databases ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_from_empty_to_head_is_the_models_schema(kind, new_url, engines):
    migrated, reference = engines(new_url()), engines(new_url())
    result = migrate.upgrade(writer(migrated), kind, where="test")
    assert (result.before, result.after, result.recognised) == (None, head(kind), False)
    create_all(reference, kind)
    assert schema_of(migrated) == schema_of(reference)
    assert {t.name for t in model_tables.model_tables(kind)} == set(schema_of(migrated)) - {"(triggers)"}
    assert version_of(migrated) == head(kind)
    if kind == ACCOUNT:
        assert dump(migrated, {"change_counter"}) == {"change_counter": [(1, 0, 0, GENESIS)]}  # no audit entry yet
    # Idempotent: a second run does nothing.
    assert not migrate.upgrade(writer(migrated), kind, where="test").changed


def test_a_new_account_database_is_made_by_the_migrations(tmp_path):
    adb = AccountDatabase(f"sqlite:///{tmp_path / 'a.sqlite'}", create=True)
    try:
        assert adb.revision == head(ACCOUNT) == version_of(adb.engine)
        with adb.write_session() as db:
            assert next_usn(db) == 1
            db.commit()
    finally:
        adb.close()


# --- older databases ----------------------------------------------------------------------------------------


def test_the_previous_schema_with_data_is_upgraded(new_url, engines):
    url = new_url()
    engine = engines(url)
    with writer(engine).begin() as conn:
        migrate.upgrade_to(conn, ACCOUNT, FIRST)
    fill(engine)
    before = dump(engine)
    assert set(before) == tables_at(ACCOUNT, FIRST) and all(before.values())
    engine.dispose()

    adb = AccountDatabase(url)
    try:
        assert adb.revision == head(ACCOUNT) == version_of(adb.engine)
        assert dump(adb.engine, columns_at(ACCOUNT, FIRST)) == before  # every row of every old table survived
        assert verify_chain(adb.engine).ok  # the entries made before the chain are chained, oldest first
        assert set(dump(adb.engine)) == {t.name for t in model_tables.model_tables(ACCOUNT)}
        with adb.write_session() as db:
            assert next_usn(db) == 42  # the counter carried on
            db.add(_ledger_entry())  # a table revision 2 added is there and usable
            db.commit()
        with Session(adb.engine) as db:
            assert db.get(LedgerEntry, "e1").amount_cents == 2500
    finally:
        adb.close()


def _ledger_entry() -> LedgerEntry:
    return LedgerEntry(
        id="e1", usn=42, family_id="f1", location_id="l1", kind="charge", category="tuition", amount_cents=2500,
        staff_id="s1", desk_id="d1", made_at=dt.datetime(2026, 3, 1, 15, 0), business_date=dt.date(2026, 3, 1),
    )  # fmt: skip


def test_a_database_made_by_create_all_before_migrations_is_recognised_and_upgraded(new_url, engines):
    url = new_url()
    engine = engines(url)
    made_before_migrations(engine, ACCOUNT)  # as the server at 1b66a92 made it
    fill(engine)
    before = dump(engine)
    assert version_of(engine) is None
    result = migrate.upgrade(writer(engine), ACCOUNT, where="old")
    assert (result.before, result.after, result.recognised) == (FIRST, head(ACCOUNT), True)
    assert result.describe() == f"revision {head(ACCOUNT)} (was {FIRST}, made before migrations)"
    assert dump(engine, columns_at(ACCOUNT, FIRST)) == before
    reference = engines(new_url())
    create_all(reference, ACCOUNT)
    assert schema_of(engine) == schema_of(reference)


def test_a_create_all_database_of_the_newest_models_is_only_stamped(tmp_path, engines):
    engine = engines(f"sqlite:///{tmp_path / 'new.sqlite'}")
    create_all(engine, ACCOUNT)
    fill(engine)
    before = dump(engine)
    result = migrate.upgrade(writer(engine), ACCOUNT, where="new")
    assert (result.before, result.after, result.recognised) == (head(ACCOUNT), head(ACCOUNT), True)
    assert dump(engine) == before


def test_a_registry_from_before_migrations_is_recognised(tmp_path, engines):
    engine = engines(f"sqlite:///{tmp_path / 'registry.sqlite'}")
    # The first revision's tables as they were then: some have grown columns since (desk,
    # refresh_token: r_identity), so create_all of today's models would not be that registry.
    with writer(engine).begin() as conn:
        migrate.upgrade_to(conn, REGISTRY, FIRST)
        conn.execute(text(f"DROP TABLE {migrate.VERSION_TABLE}"))
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO account (id, slug, name, db_location, created_at) VALUES ('a1', 'old', 'Old Gym', 'accounts/a1.sqlite', '2026-01-01 00:00:00')")
        )
    engine.dispose()
    registry = Registry(tmp_path)
    try:
        assert registry.revision == head(REGISTRY)
        assert registry.account_by_slug("old").name == "Old Gym"
        assert registry.touch_desk("a1", "desk-1", "Front") == "D1"  # desk codes came with revision 2
    finally:
        registry.close()


def test_tables_that_match_no_revision_are_refused_and_left_alone(tmp_path, engines):
    engine = engines(f"sqlite:///{tmp_path / 'odd.sqlite'}")
    made_before_migrations(engine, ACCOUNT)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE tombstone"))
        conn.execute(text("CREATE TABLE mystery (id INTEGER PRIMARY KEY)"))
    before = schema_of(engine)
    with pytest.raises(migrate.SchemaUnknown, match=r"missing .*tombstone.*unexpected mystery"):
        AccountDatabase(f"sqlite:///{tmp_path / 'odd.sqlite'}")
    assert schema_of(engine) == before and version_of(engine) is None


def test_downgrade_then_upgrade_keeps_the_old_tables_rows(tmp_path, engines):
    engine = engines(f"sqlite:///{tmp_path / 'a.sqlite'}")
    migrate.upgrade(writer(engine), ACCOUNT, where="a")
    fill(engine)
    old = columns_at(ACCOUNT, FIRST)
    before = dump(engine, old)
    with writer(engine).begin() as conn:
        migrate.downgrade_to(conn, ACCOUNT, FIRST)
    assert set(dump(engine)) == set(old) and version_of(engine) == FIRST
    migrate.upgrade(writer(engine), ACCOUNT, where="a")
    assert dump(engine, old) == before and version_of(engine) == head(ACCOUNT)


# --- newer databases -----------------------------------------------------------------------------------------


def _bump(url: str, to: str = "9999") -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": to})
    finally:
        engine.dispose()


def test_a_database_newer_than_the_code_is_refused(new_url):
    url = new_url()
    AccountDatabase(url, create=True).close()
    _bump(url)
    with pytest.raises(migrate.SchemaTooNew, match="revision 9999, newer than this server knows"):
        AccountDatabase(url)
    assert migrate.read_revision(url) == "9999"


def test_serve_and_migrate_refuse_a_newer_database(tmp_path, capsys, monkeypatch):
    import server.cli

    monkeypatch.setattr(server.cli, "_serve", lambda *a: pytest.fail("serve started on a database newer than the code"))
    admin.create_account(tmp_path, "acme", name="Acme")
    _bump(f"sqlite:///{account_db_path(tmp_path, 'acme')}")
    assert main(["serve", "--data-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "revision 9999, newer than this server knows" in err and str(account_db_path(tmp_path, "acme")) in err
    assert main(["migrate", "--data-dir", str(tmp_path)]) == 1
    out, err = capsys.readouterr()
    assert "registry: revision" in out and "acme: NOT migrated" in err

    _bump(f"sqlite:///{tmp_path / 'registry.sqlite'}")
    assert main(["serve", "--data-dir", str(tmp_path)]) == 2
    assert "registry database" in capsys.readouterr().err
    with pytest.raises(migrate.SchemaTooNew):
        Registry(tmp_path)


# --- frontdesk-server migrate ------------------------------------------------------------------------------------


def _run_cli(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FRONTDESK_")}
    return subprocess.run(
        [sys.executable, "-m", "server.cli", *args], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=30
    )


def _to_first(url: str, kind: str) -> None:
    engine = account_engine(url)
    try:
        with writer(engine).begin() as conn:
            migrate.downgrade_to(conn, kind, FIRST)
    finally:
        engine.dispose()


def test_migrate_command_upgrades_the_registry_and_every_account(tmp_path, capsys):
    for slug in ("alpha", "beta"):
        admin.create_account(tmp_path, slug, name=slug.title())
    admin.add_staff(tmp_path, "beta", "sam", "pw", group="owner")
    _to_first(f"sqlite:///{account_db_path(tmp_path, 'beta')}", ACCOUNT)
    _to_first(f"sqlite:///{tmp_path / 'registry.sqlite'}", REGISTRY)

    done = _run_cli("migrate", "--data-dir", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        f"registry: revision {head(REGISTRY)} (was {FIRST})",
        f"alpha: revision {head(ACCOUNT)} (up to date)",
        f"beta: revision {head(ACCOUNT)} (was {FIRST})",
    ]
    assert [s.username for s in admin.list_staff(tmp_path, "beta")] == ["sam"]

    assert main(["migrate", "--data-dir", str(tmp_path)]) == 0  # again: nothing to do
    assert capsys.readouterr().out.splitlines() == [
        f"registry: revision {head(REGISTRY)} (up to date)",
        f"alpha: revision {head(ACCOUNT)} (up to date)",
        f"beta: revision {head(ACCOUNT)} (up to date)",
    ]


def test_migrate_reports_a_missing_account_database_and_goes_on(tmp_path, capsys):
    for slug in ("alpha", "beta"):
        admin.create_account(tmp_path, slug)
    account_db_path(tmp_path, "alpha").unlink()
    assert main(["migrate", "--data-dir", str(tmp_path)]) == 1
    out, err = capsys.readouterr()
    assert "alpha: NOT migrated: account database" in err and "is missing" in err
    assert f"beta: revision {head(ACCOUNT)} (up to date)" in out
    assert not account_db_path(tmp_path, "alpha").exists()  # not recreated empty
    assert main(["migrate", "--data-dir", str(tmp_path / "nowhere")]) == 1
    assert "no registry" in capsys.readouterr().err


# --- opening stays cheap and safe -----------------------------------------------------------------------------------


def test_opening_current_databases_does_not_load_alembic(tmp_path):
    admin.create_account(tmp_path, "acme")
    url = f"sqlite:///{account_db_path(tmp_path, 'acme')}"
    code = (
        "import sys; from pathlib import Path; from server.account_db import AccountDatabase; from server.registry import Registry\n"
        f"Registry(Path({str(tmp_path)!r})).close(); AccountDatabase({url!r}).close()\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('alembic', 'mako')))"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_many_openers_of_an_old_database_upgrade_it_once(tmp_path, engines):
    url = f"sqlite:///{tmp_path / 'a.sqlite'}"
    engine = engines(url)
    with writer(engine).begin() as conn:
        migrate.upgrade_to(conn, ACCOUNT, FIRST)
    fill(engine)
    before = dump(engine)
    revisions_seen, errors = [], []

    def open_it():
        try:
            adb = AccountDatabase(url)
            revisions_seen.append(adb.revision)
            adb.close()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == [] and revisions_seen == [head(ACCOUNT)] * 4
    assert dump(engine, columns_at(ACCOUNT, FIRST)) == before


def test_migration_scripts_are_package_data():
    """An installed server (not a checkout) must find its migrations: pyproject ships them."""
    import tomllib

    data = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["server.migrations"]
    files = {p.relative_to(directory(ACCOUNT).parent) for kind in KINDS for p in directory(kind).rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    assert files and all(any(Path(f).match(pattern) for pattern in data) for f in files)


def test_an_unreachable_account_database_does_not_stop_the_others(tmp_path, capsys, monkeypatch):
    import server.cli

    admin.create_account(tmp_path, "alpha")
    registry = Registry(tmp_path)
    try:
        registry.add_account(Account(slug="far", name="Far", db_location="postgresql+psycopg://postgres@127.0.0.1:1/nowhere"))
    finally:
        registry.close()
    assert main(["migrate", "--data-dir", str(tmp_path)]) == 1
    out, err = capsys.readouterr()
    assert f"alpha: revision {head(ACCOUNT)} (up to date)" in out and "far: NOT migrated: cannot reach it" in err
    served = []
    monkeypatch.setattr(server.cli, "_serve", lambda *a: served.append(a) or 0)
    assert main(["serve", "--data-dir", str(tmp_path)]) == 0 and served  # the reachable accounts are served
