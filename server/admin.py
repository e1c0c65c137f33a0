"""Admin actions, callable from Python (tests, the demo launcher) and from `frontdesk-server`."""

from __future__ import annotations

import os
from pathlib import Path

from sqlmodel import select

from server.account_db import StaffCredential, audit, next_usn
from server.errors import DomainError
from server.accounts import AccountInfo, AdminError, account_exists, create_account, find_account, open_account
from server.passwords import hash_password
from server.seed import SeedSummary, ensure_sessions, seed_demo
# Setting a school up (locations, rooms, programs, classes, closures, one session): server.setup.
from server.setup import (
    SetUp, add_class, add_closure, add_location, add_program, add_room, change_session, class_today, setting_up,
)  # fmt: skip
from sync.core.ids import new_id
from sync.core.schema import STAFF_GROUPS, Staff

__all__ = [
    "AccountInfo",
    "AdminError",
    "SeedSummary",
    "SetUp",
    "account_exists",
    "add_class",
    "add_closure",
    "add_location",
    "add_program",
    "add_room",
    "add_staff",
    "change_session",
    "class_today",
    "create_account",
    "ensure_sessions",
    "find_account",
    "seed_demo",
    "setting_up",
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
    if group not in STAFF_GROUPS and not _custom_group_exists(data_dir, slug, group):
        raise AdminError(f"Group must be one of {', '.join(STAFF_GROUPS)} or a custom group, not {group!r}.")
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
        audit(db, "staff.added", record_type="staff", record_id=staff.id, username=username, group=group, source="admin")
        db.commit()
        return staff.id


def _run_staff(data_dir: str | os.PathLike, slug: str, op):
    """Run a server.staff operation as the admin, its refusals as AdminError (their words, for the terminal)."""
    from server.registry import Registry
    from server.staff import Actor

    try:
        with open_account(data_dir, slug) as (account, adb), adb.write_session() as db:
            result = op(db, Actor(staff=None, source="admin"))
            db.commit()
    except DomainError as exc:
        raise AdminError(exc.message) from None
    revoke = getattr(result, "revoke", False)
    if revoke:
        registry = Registry(Path(data_dir))
        try:
            registry.revoke_staff_tokens(account.id, result.staff.id)
        finally:
            registry.close()
    return result


def edit_staff(
    data_dir: str | os.PathLike,
    slug: str,
    username: str,
    *,
    group: str | None = None,
    display_name: str | None = None,
    grants: list[str] | None = None,
    active: bool | None = None,
):
    """Change a staff member; disabling signs them out of every desk at once."""
    from server import staff as ops
    from sync.core.wire_staff import StaffUpdate

    body = StaffUpdate(group=group, display_name=display_name, grants=grants, active=active)
    return _run_staff(data_dir, slug, lambda db, actor: ops.update(db, actor, ops.by_username(db, username).id, body))


def reset_password(data_dir: str | os.PathLike, slug: str, username: str, password: str):
    from server import staff as ops

    if not password or len(password) > 256:
        raise AdminError("A password is 1 to 256 characters.")
    password_hash = hash_password(password)
    return _run_staff(data_dir, slug, lambda db, actor: ops.reset_password(db, actor, ops.by_username(db, username).id, password_hash))


def set_pin(data_dir: str | os.PathLike, slug: str, username: str, pin: str):
    from server import staff as ops

    if not (pin.isdigit() and 4 <= len(pin) <= 8):
        raise AdminError("A PIN is 4 to 8 digits.")
    pin_hash = hash_password(pin)
    return _run_staff(data_dir, slug, lambda db, actor: ops.set_pin(db, actor, ops.by_username(db, username).id, pin_hash))


def set_gateway(data_dir: str | os.PathLike, slug: str, name: str, **credentials: str) -> None:
    """Choose the account's card gateway ("authorize_net", or "default" for the server's own),
    its credentials encrypted under the server key (server.payments.choice); audited."""
    from server.payments.choice import set_gateway as choose
    from server.registry import Registry
    from server.secrets_box import SecretKeyError

    account = find_account(data_dir, slug)
    if account is None:
        raise AdminError(f"There is no account {slug!r}.")
    registry = Registry(Path(data_dir))
    try:
        choose(registry, account.id, name, credentials)
    except (ValueError, SecretKeyError) as exc:
        raise AdminError(str(exc)) from None
    finally:
        registry.close()
    with open_account(data_dir, slug) as (_account, adb), adb.write_session() as db:
        audit(db, "account.gateway_set", gateway=name, source="admin")  # which one, never its credentials
        db.commit()


def list_staff(data_dir: str | os.PathLike, slug: str):
    from server import staff as ops

    with open_account(data_dir, slug) as (_account, adb), adb.read_session() as db:
        return ops.list_staff(db)


def _custom_group_exists(data_dir: str | os.PathLike, slug: str, group: str) -> bool:
    from server.account_db import CustomGroup

    with open_account(data_dir, slug) as (_account, adb), adb.read_session() as db:
        return db.get(CustomGroup, group) is not None


def enrollment_code(data_dir: str | os.PathLike, slug: str, *, uses: int = 1, hours: float = 24.0) -> str:
    """A code that sets `uses` new computers up as desks of the account within `hours` (server.desks)."""
    from server.desks import make_enrollment_code
    from server.registry import Registry

    registry = Registry(Path(data_dir))
    try:
        account = registry.account_by_slug(slug)
        if account is None:
            raise AdminError(f"There is no account {slug!r}.")
        code, _row = make_enrollment_code(registry, account.id, "admin", uses=uses, hours=hours)
    finally:
        registry.close()
    with open_account(data_dir, slug) as (_account, adb), adb.write_session() as db:
        audit(db, "desk.enrollment_code", uses=uses, hours=hours, source="admin")
        db.commit()
    return code


def rotate_card_key(data_dir: str | os.PathLike, slug: str) -> int:
    """A new member-card key for the account (sync.core.member_cards); returns its version. Desks look
    cards up under it and the one before, and store a card anew under it at its next swipe."""
    from server.registry import Registry

    registry = Registry(Path(data_dir))
    try:
        account = registry.account_by_slug(slug)
        if account is None:
            raise AdminError(f"There is no account {slug!r}.")
        version = registry.rotate_card_key(account.id)
    finally:
        registry.close()
    with open_account(data_dir, slug) as (_account, adb), adb.write_session() as db:
        audit(db, "card_key.rotated", version=version, source="admin")
        db.commit()
    return version
