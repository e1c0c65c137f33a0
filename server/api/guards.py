"""Permission checks for routes: `staff: Annotated[Staff, needs(STAFF_MANAGE)]`.

A refused request is a 403 with words for the person, and an audit event: trying what you may
not do is itself worth knowing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from sqlmodel import Session

from server.account_db import AccountDatabase, audit
from server.api.deps import AccountDbDep, TokenDep
from server.auth import token_staff
from server.errors import ApiError
from server.permissions import permissions_of, refusal
from server.tokens import AccessClaims
from sync.schema import Staff


def staff_and_permissions(db: Session, token: AccessClaims) -> tuple[Staff, frozenset[str]]:
    """The token's staff member (a 401 when gone or disabled) and what they may do, read in `db`."""
    staff = token_staff(db, token)
    return staff, permissions_of(db, staff)


def refused(request: Request, token: AccessClaims, adb: AccountDatabase, staff: Staff, any_of: frozenset[str]) -> ApiError:
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
            address=request.client.host if request.client else None,
        )
        w.commit()
    return ApiError(403, "forbidden", refusal(wanted[0]))


def _guard(any_of: frozenset[str]) -> Callable[..., Any]:
    def check_in_thread(request: Request, token: AccessClaims, adb: AccountDatabase) -> Staff:
        # The staff row and the permissions in one session, outside any transaction where the
        # database allows (PostgreSQL: one round trip each through PgBouncer, and no transaction
        # left holding a server connection while the route's thread is waited for).
        with adb.one_statement_session() as db:
            staff, permissions = staff_and_permissions(db, token)
        if permissions & any_of:
            return staff
        raise refused(request, token, adb, staff, any_of)

    # One thread hop for the whole check (it reads the database): as a plain `def` dependency it
    # would be a hop of its own after the staff read's (bench/load's profile).
    async def check(request: Request, token: TokenDep, adb: AccountDbDep) -> Staff:
        return await run_in_threadpool(check_in_thread, request, token, adb)

    return check


def needs(permission: str) -> Any:
    """A dependency that returns the signed-in staff member when they hold `permission`."""
    return Depends(_guard(frozenset({permission})))


def needs_any(permissions: Iterable[str]) -> Any:
    return Depends(_guard(frozenset(permissions)))
