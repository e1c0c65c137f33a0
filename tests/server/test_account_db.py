"""The account database's own guarantees, below the HTTP layer."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel, select

from server.account_db import AccountBase, AccountDatabase, AppliedMutation, AuditEvent, audit, next_usn, reserve_usns
from server.model_tables import model_tables
from server.migrations import ACCOUNT, REGISTRY
from server.registry import RegistryBase


@pytest.fixture
def adb(tmp_path):
    db = AccountDatabase(f"sqlite:///{tmp_path / 'a.sqlite'}", create=True)
    yield db
    db.close()


def test_server_tables_stay_out_of_the_shared_metadata():
    shared = set(SQLModel.metadata.tables)
    assert not shared & set(AccountBase.metadata.tables)
    assert not shared & set(RegistryBase.metadata.tables)
    assert {"applied_mutation", "change_counter", "tombstone", "audit_event", "staff_credential"} <= set(AccountBase.metadata.tables)
    registry_tables = {t.name for t in model_tables(REGISTRY)}  # imports every module with registry tables first
    assert {"account", "desk", "desk_code", "refresh_token", "account_secret", "account_pg", "account_move", "login_failure",
            "import_job", "enrollment_code", "revoked_session", "account_gateway"} == registry_tables == set(RegistryBase.metadata.tables)  # fmt: skip


def test_account_database_has_shared_and_server_tables(adb):
    with adb.engine.connect() as conn:
        names = {r[0] for r in conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'table'"))}
        mode = conn.execute(text("PRAGMA journal_mode")).scalar()
    # Every model's table (server.migrate knows the modules that define them) and Alembic's version table.
    assert {t.name for t in model_tables(ACCOUNT)} | {"alembic_version"} == names
    assert mode == "wal"


def _applied(mutation_id: str, desk_id: str, seq: int) -> AppliedMutation:
    return AppliedMutation(mutation_id=mutation_id, desk_id=desk_id, seq=seq, staff_id="s", type="check_in", status="applied", usn=1)


@pytest.mark.parametrize("second", [("m1", "d2", 9), ("m2", "d1", 1)], ids=["same-mutation-id", "same-desk-seq"])
def test_exactly_once_is_enforced_by_constraints(adb, second):
    with adb.write_session() as db:
        db.add(_applied("m1", "d1", 1))
        db.commit()
    with adb.write_session() as db, pytest.raises(IntegrityError):
        db.add(_applied(*second))
        db.commit()


def test_usns_are_handed_out_once_and_rolled_back_with_a_savepoint(adb):
    with adb.write_session() as db:
        assert [next_usn(db) for _ in range(3)] == [1, 2, 3]
        sp = db.begin_nested()
        assert next_usn(db) == 4
        sp.rollback()
        assert next_usn(db) == 4
        assert reserve_usns(db, 10) == 5
        assert next_usn(db) == 15
        db.commit()


def test_the_audit_log_is_append_only(adb):
    with adb.write_session() as db:
        audit(db, "test.event", detail_key="v")
        db.commit()
    for sql in ("UPDATE audit_event SET action = 'x'", "DELETE FROM audit_event"):
        with adb.write_session() as db, pytest.raises(Exception, match="append-only"):
            db.execute(text(sql))
    with adb.read_session() as db:
        [event] = db.exec(select(AuditEvent)).all()
        assert (event.action, event.detail) == ("test.event", {"detail_key": "v"})


def test_a_missing_account_database_is_not_recreated_empty(tmp_path):
    with pytest.raises(FileNotFoundError):
        AccountDatabase(f"sqlite:///{tmp_path / 'gone.sqlite'}")
    assert not (tmp_path / "gone.sqlite").exists()
