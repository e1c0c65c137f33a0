"""Permission checks for routes: `staff: Annotated[Staff, needs(STAFF_MANAGE)]`.

A refused request is a 403 with words for the person, and an audit event: trying what you may
not do is itself worth knowing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import bindparam, func
from sqlmodel import Session, select

from server.addresses import client_address
from server.account_db import HEAD, AccountDatabase, StaffGrant, audit, head_or_moved
from server.api.deps import AccountDbDep, TokenDep
from server.auth import STAFF_INACTIVE
from server.errors import NotSignedIn, Refused
from server.permissions import group_permissions, refusal
from sync.core.permissions import expand
from server.tokens import AccessClaims
from sync.core.schema import Staff


# The staff row, their grants and the account's change number in one statement: on PostgreSQL
# each statement is a round trip through PgBouncer, and every pull and long-poll needs all three.
_WHO_ASKS = select(
    Staff,
    select(func.aggregate_strings(StaffGrant.permission, ",")).where(StaffGrant.staff_id == Staff.id).scalar_subquery(),
    HEAD,
).where(Staff.id == bindparam("staff_id"))


def who_asks(db: Session, token: AccessClaims) -> tuple[Staff, frozenset[str], int]:
    """The token's staff member (a 401 when gone or disabled), what they may do, and the
    account's change number (a 503 in the old copy of a moved account), read in `db`."""
    row = db.execute(_WHO_ASKS, {"staff_id": token.staff_id}).first()
    if row is None or not row[0].active:
        raise NotSignedIn(STAFF_INACTIVE)
    staff, grants, head = row
    # A custom group is one more read, when the staff member is in one; the built-in ones are not read.
    permissions = expand(group_permissions(db, staff.group) | set(grants.split(",") if grants else ()))
    return staff, permissions, head_or_moved(head)


def refused(request: Request, token: AccessClaims, adb: AccountDatabase, staff: Staff, any_of: frozenset[str]) -> Refused:
    """Audit a refused request (a write transaction of its own; blocks) and return its 403."""
    wanted = sorted(any_of)
    with adb.write_session() as w:
        audit(
            w,
            "request.refused",
            staff_id=staff.id,
            desk_id=token.desk_id,
            method=request.method,
            path=request.url.path,
            permission=wanted,
            address=client_address(request, request.app.state.frontdesk.settings.trusted_proxies),
        )
        w.commit()
    return Refused(refusal(wanted[0]))


def _guard(any_of: frozenset[str]) -> Callable[..., Any]:
    def check_in_thread(request: Request, token: AccessClaims, adb: AccountDatabase) -> Staff:
        # The staff row and the permissions in one statement (who_asks), outside any transaction
        # where the database allows (PostgreSQL: one round trip through PgBouncer, and no
        # transaction left holding a server connection while the route's thread is waited for).
        with adb.one_statement_session() as db:
            staff, permissions, _head = who_asks(db, token)
        if permissions & any_of:
            return staff
        raise refused(request, token, adb, staff, any_of)

    # One thread hop for the whole check (it reads the database): as a plain `def` dependency it
    # would be a hop of its own after the staff read's, and each hop waits for a pool thread.
    async def check(request: Request, token: TokenDep, adb: AccountDbDep) -> Staff:
        return await run_in_threadpool(check_in_thread, request, token, adb)

    return check


def needs(permission: str) -> Any:
    """A dependency that returns the signed-in staff member when they hold `permission`."""
    return Depends(_guard(frozenset({permission})))


def needs_any(permissions: Iterable[str]) -> Any:
    return Depends(_guard(frozenset(permissions)))
