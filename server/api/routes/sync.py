from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.exc import IntegrityError, OperationalError

from server.account_db import AccountDatabase
from server.api.deps import AccountDbDep, TokenDep
from server.api.guards import refused, who_asks
from server.api.routes import live
from server.api.errors import ApiError, error_responses
from server.errors import Conflict
from server.live import bell_of
from server.pull import EVERY_TYPE
from server.pull import pull as pull_changes
from server.push import push as push_mutations
from server.sqlite import lock_contention
from sync.core.card_abandon import PAYMENT_ABANDON
from sync.core.receipt_mutations import RECEIPT_EMAIL
from server.tokens import AccessClaims
from sync.core.permissions import PULL_ANY_OF, visible_types
from sync.core.wire import (
    DEFAULT_PULL_PAGE,
    MAX_PULL_PAGE,
    MIN_PROTOCOL_VERSION,
    PROTOCOL_HEADER,
    UPDATE_REQUIRED_STATUS,
    PullResponse,
    PushRequest,
    PushResponse,
)

UPDATE_REQUIRED = (
    "This desk's Frontdesk app is too old for the server. Please update the app; "
    "the work saved on this computer is kept and will be sent after the update."
)


async def require_protocol(protocol: Annotated[str | None, Header(alias=PROTOCOL_HEADER)] = None) -> None:
    """Refuse a desk older than the server's protocol before it sends or reads anything.

    Refusing the whole request (426) rather than each mutation keeps an old desk's outbox
    pending: its work is sent after the update, not rejected. No header: a tool, not a desk.
    """
    if protocol is None:
        return
    try:
        version = int(protocol)
    except ValueError:
        version = 0
    if version < MIN_PROTOCOL_VERSION:
        raise ApiError(UPDATE_REQUIRED_STATUS, "update_required", UPDATE_REQUIRED)


router = APIRouter(prefix="/sync", tags=["sync"], dependencies=[Depends(require_protocol)], responses=error_responses(426))
router.include_router(live.router)

BUSY = "The server is busy with another change from this account. Please try again."


@router.post(
    "/push",
    response_model=PushResponse,
    responses=error_responses(400, 401, 409, 422, 500),
    summary="Apply a desk's outbox mutations, in order, exactly once each",
)
def push(request: Request, token: TokenDep, adb: AccountDbDep, body: PushRequest) -> PushResponse:
    """One result per mutation, in order: `applied` with the usn, or `rejected` with a code
    (not_found, invalid, forbidden, seq_reused) and a message. A mutation pushed again returns
    its first result and changes nothing."""
    # The token's staff member is checked in the push's own transaction (server.push): one
    # thread hop for the request, not a read of its own first.
    try:
        # The server's key checks the proofs of changes made by staff other than the token's (server.staff_proof).
        results = push_mutations(adb, token, body.mutations, request.app.state.frontdesk.signing_key,
                                 request.app.state.frontdesk.clock)
        # Committed: the other desks may pull now, up to the change number of the push's last write.
        bell_of(request.app).ring(token.account_id, max((r.usn for r in results if r.usn is not None), default=None))
        if any(m.type == RECEIPT_EMAIL for m in body.mutations):
            request.app.state.mail.kick(token.account_id)  # sent off the request path (server.mail_queue)
        if any(m.type == PAYMENT_ABANDON for m in body.mutations):
            # A desk gave up on a card call: settled off the request path, at once (server.payments.abandon).
            request.app.state.card_sweeper.due(token.account_id, now=True)
        return PushResponse(results=results)
    except IntegrityError as exc:
        if "applied_mutation" not in str(exc):
            raise  # any other constraint is a bug in an applier: a 500, logged
        # Another request recorded one of these mutations between our lookup and our insert
        # (only possible without SQLite's IMMEDIATE lock); nothing was written, so a retry is safe.
        raise Conflict(BUSY) from None
    except OperationalError as exc:
        if lock_contention(exc):  # SQLite's busy_timeout ran out: nothing was written
            raise Conflict(BUSY) from None
        raise


@router.get(
    "/pull",
    response_model=PullResponse,
    responses=error_responses(401, 403, 422, 500),
    summary="Changes after a cursor, in the account's change order",
)
async def pull(
    request: Request,
    token: TokenDep,
    adb: AccountDbDep,
    after: Annotated[int, Query(ge=0, le=2**63 - 1, description="The cursor of the last page applied (0 at first)")] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PULL_PAGE, description="Most changes in this page")] = DEFAULT_PULL_PAGE,
    types: Annotated[
        str | None,
        Query(max_length=2000, description="Comma-separated record types to bring (all when absent); "
              "only those the staff member may see are brought, and the answer's `types` says which"),
    ] = None,
    until: Annotated[
        int | None,
        Query(ge=0, le=2**63 - 1, description="Bring changes up to this usn only: filling in what a desk lacks"),
    ] = None,
) -> PullResponse:
    asked = EVERY_TYPE if types is None else frozenset(t for t in types.split(",") if t)
    return await run_in_threadpool(_pull, request, token, adb, after, limit, asked, until)


def _pull(request: Request, token: AccessClaims, adb: AccountDatabase, after: int, limit: int,
          asked: frozenset[str], until: int | None) -> PullResponse:  # fmt: skip
    """Who asks, what they may see and the page, in one thread hop and one session (a hop each
    would make every pull wait for the thread pool three times); who asks and the head in one
    statement. On PostgreSQL the reads run outside a transaction, each its
    own snapshot as READ COMMITTED would give anyway (server.pull says why that is safe); on
    SQLite in one read transaction."""
    with adb.one_statement_session() as db:
        staff, permissions, head = who_asks(db, token)
        if permissions & PULL_ANY_OF:
            # Filtered here, not at the desk: records a staff member may not see never leave the
            # server under their token (a coach's desk holds no family phone numbers or balances).
            types = visible_types(permissions) & asked
            pages = request.app.state.frontdesk.pages
            key = (token.account_id, after, head, until, limit, types)
            page = pages.get(key)
            if page is None:
                page = pull_changes(db, after, limit, types, until, head=head)
                pages.put(key, page)
            return page
    raise refused(request, token, adb, staff, PULL_ANY_OF)
