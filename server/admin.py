"""Admin actions, callable from Python (tests, the demo launcher) and from `frontdesk-server`."""

from __future__ import annotations

import os

from sqlmodel import select

from server.account_db import StaffCredential, audit, next_usn
from server.accounts import AccountInfo, AdminError, account_exists, create_account, find_account, open_account
from server.passwords import hash_password
from server.seed import SeedSummary, ensure_sessions, seed_demo
from sync.ids import new_id
from sync.schema import STAFF_GROUPS, Staff

__all__ = [
    "AccountInfo",
    "AdminError",
    "SeedSummary",
    "account_exists",
    "add_staff",
    "create_account",
    "ensure_sessions",
    "find_account",
    "seed_demo",
]


def add_staff(
    data_dir: str | os.PathLike,
    slug: str,
    username: str,
    password: str,
    *,
    group: str = "front-desk",
    display_name: str | None = None,
) -> str:
    """Add a staff member who can sign in at the account's desks; returns the staff id."""
    if group not in STAFF_GROUPS:
        raise AdminError(f"Group must be one of {', '.join(STAFF_GROUPS)}, not {group!r}.")
    username = username.strip()
    if not username or len(username) > 64:
        raise AdminError("A username is 1 to 64 characters.")
    if not password or len(password) > 256:
        raise AdminError("A password is 1 to 256 characters.")
    password_hash = hash_password(password)  # before the write lock: hashing takes a while
    with open_account(data_dir, slug) as (_account, adb), adb.write_session() as db:
        if db.exec(select(Staff).where(Staff.username == username)).first() is not None:
            raise AdminError(f"Account {slug!r} already has a staff member {username!r}.")
        staff = Staff(
            id=new_id(),
            usn=next_usn(db),
            username=username,
            display_name=display_name or username.title(),
            group=group,
        )
        db.add(staff)
        db.add(StaffCredential(staff_id=staff.id, password_hash=password_hash))
        audit(db, "staff.added", record_type="staff", record_id=staff.id, username=username, group=group)
        db.commit()
        return staff.id
