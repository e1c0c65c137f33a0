"""Live between desks: a long-poll that returns as soon as another desk's change is committed."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool

from server.account_db import current_usn
from server.api.deps import AccountDbDep, TokenDep
from server.api.guards import who_asks
from server.api.errors import error_responses
from server.live import bell_of
from sync.core.wire import MAX_CURSOR, MAX_WAIT_SECONDS, WaitResponse

router = APIRouter()


@router.get(
    "/wait",
    response_model=WaitResponse,
    responses=error_responses(401, 422),
    summary="Wait (long-poll) until the account has changes after a cursor",
)
async def wait(
    request: Request,
    token: TokenDep,
    adb: AccountDbDep,
    after: Annotated[int, Query(ge=0, le=MAX_CURSOR, description="The desk's cursor (or the head of its last wait)")] = 0,
    timeout: Annotated[float, Query(gt=0, le=MAX_WAIT_SECONDS, description="Seconds to wait at most")] = 10.0,
) -> WaitResponse:
    """Answers at once when the account's change number is already past `after`; otherwise when a
    push commits (same server process, or another one for an account in PostgreSQL) or within a second of it (another process, SQLite), or at `timeout`
    with `changed: false`. The desk then pulls, and waits again from `head`."""

    def head() -> int:
        with adb.current().one_statement_session() as db:  # current(): the account may move while its desks wait
            return current_usn(db)

    def staff_and_head() -> int:
        # Who waits (a 401 when disabled) and the change number, in one thread hop: no database
        # read on the event loop, where under load each one would wait for the GIL while every
        # other request waits for the loop.
        with adb.current().one_statement_session() as db:
            return who_asks(db, token)[2]

    now = await run_in_threadpool(staff_and_head)
    if now <= after:  # the bell's waiter is registered before it reads again: nothing is missed in between
        now = await bell_of(request.app).wait_past(token.account_id, after, head, timeout, request.is_disconnected)
    return WaitResponse(head=now, changed=now > after)
