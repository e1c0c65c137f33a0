"""Permission checks for routes: `staff: Annotated[Staff, needs(STAFF_MANAGE)]`.

A refused request is a 403 with words for the person, and an audit event: trying what you may
not do is itself worth knowing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from fastapi import Depends, Request

from server.account_db import audit
from server.api.deps import AccountDbDep, CurrentStaff, SessionDep, TokenDep
from server.errors import ApiError
from server.permissions import permissions_of, refusal
from sync.schema import Staff


def _guard(any_of: frozenset[str]) -> Callable[..., Staff]:
    def check(request: Request, token: TokenDep, staff: CurrentStaff, db: SessionDep, adb: AccountDbDep) -> Staff:
        allowed = permissions_of(db, staff) & any_of
        # End this read's transaction before the route's thread is waited for: through PgBouncer
        # it holds a server connection, which the requests holding the other threads may be
        # waiting for (as in server.api.deps.get_current_staff).
        db.rollback()
        if allowed:
            return staff
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
        raise ApiError(403, "forbidden", refusal(wanted[0]))

    return check


def needs(permission: str) -> Any:
    """A dependency that returns the signed-in staff member when they hold `permission`."""
    return Depends(_guard(frozenset({permission})))


def needs_any(permissions: Iterable[str]) -> Any:
    return Depends(_guard(frozenset(permissions)))
