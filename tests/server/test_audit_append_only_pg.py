"""On PostgreSQL the account database itself refuses to change or remove audit events."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from server.account_db import AccountDatabase, audit
from tests.helpers.postgres import temporary_database


def test_update_delete_and_truncate_of_the_audit_log_are_refused_on_postgresql():
    with temporary_database() as url:
        adb = AccountDatabase(url, create=True)
        try:
            with adb.write_session() as db:
                audit(db, "login.ok", staff_id="s1", desk_id="d1", address="127.0.0.1")
                db.commit()
            for sql in ("UPDATE audit_event SET action = 'login.failed'", "DELETE FROM audit_event",
                        "TRUNCATE audit_event"):  # fmt: skip
                with adb.engine.connect() as conn, pytest.raises(DBAPIError, match="append-only"):
                    conn.execute(text(sql))
            with adb.engine.connect() as conn:
                assert conn.execute(text("SELECT action FROM audit_event")).scalars().all() == ["login.ok"]
        finally:
            adb.close()
