from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy.exc import IntegrityError, OperationalError

from server.api.deps import AccountDbDep, CurrentStaff, SessionDep, TokenDep
from server.errors import ApiError, error_responses
from server.pull import pull as pull_changes
from server.push import push as push_mutations
from sync.wire import DEFAULT_PULL_PAGE, MAX_PULL_PAGE, PullResponse, PushRequest, PushResponse

router = APIRouter(prefix="/sync", tags=["sync"])

BUSY = "The server is busy with another change from this account. Please try again."


@router.post(
    "/push",
    response_model=PushResponse,
    responses=error_responses(400, 401, 409, 422, 500),
    summary="Apply a desk's outbox mutations, in order, exactly once each",
)
def push(token: TokenDep, staff: CurrentStaff, adb: AccountDbDep, body: PushRequest) -> PushResponse:
    """One result per mutation, in order: `applied` with the usn, or `rejected` with a code
    (not_found, invalid, forbidden, seq_reused) and a message. A mutation pushed again returns
    its first result and changes nothing."""
    try:
        return PushResponse(results=push_mutations(adb, token, body.mutations))
    except IntegrityError as exc:
        if "applied_mutation" not in str(exc):
            raise  # any other constraint is a bug in an applier: a 500, logged
        # Another request recorded one of these mutations between our lookup and our insert
        # (only possible without SQLite's IMMEDIATE lock); nothing was written, so a retry is safe.
        raise ApiError(409, "conflict", BUSY) from None
    except OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise ApiError(409, "conflict", BUSY) from None
        raise


@router.get(
    "/pull",
    response_model=PullResponse,
    responses=error_responses(401, 422, 500),
    summary="Changes after a cursor, in the account's change order",
)
def pull(
    staff: CurrentStaff,
    db: SessionDep,
    after: Annotated[int, Query(ge=0, description="The cursor of the last page applied (0 at first)")] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PULL_PAGE, description="Most changes in this page")] = DEFAULT_PULL_PAGE,
) -> PullResponse:
    return pull_changes(db, after, limit)
