"""Request dependencies as Annotated aliases: the token picks the account, the account its database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session

from server.account_db import AccountDatabase
from server.auth import token_staff
from server.errors import DomainError, NotSignedIn
from server.registry import Account
from server.settings import Settings
from server.state import ServerState
from server.tokens import AccessClaims, InvalidToken, decode_access_token
from sync.core.schema import Staff

# auto_error=False: a missing token must get our error shape, not FastAPI's own 403.
_bearer = HTTPBearer(auto_error=False, description="Access token from /v1/auth/login or /v1/auth/refresh")


# Dependencies that neither block nor read a database are `async def`: FastAPI runs a plain `def`
# dependency in its thread pool, and the hop costs more than these do.
async def get_state(request: Request) -> ServerState:
    return request.app.state.frontdesk


StateDep = Annotated[ServerState, Depends(get_state)]


async def get_settings(state: StateDep) -> Settings:
    return state.settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


# The dependencies every authenticated request goes through take the state from the request,
# not through StateDep: FastAPI resolves each Depends of the graph anew per request, a fixed
# cost per node on the hottest routes.
def _state(request: Request) -> ServerState:
    return request.app.state.frontdesk


async def get_token(request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> AccessClaims:
    if credentials is None:
        raise NotSignedIn("Please sign in first.")
    state = _state(request)
    try:
        claims = decode_access_token(state.signing_key, credentials.credentials)
    except InvalidToken:
        raise NotSignedIn() from None
    # A signed-out (or reused, or retired desk's) sign-in is refused at once: a set lookup here,
    # the list read again in a thread at most every second (server.revocations).
    revocations = state.revocations
    if revocations.stale():
        await run_in_threadpool(revocations.reload)
    if revocations.revoked(claims.session_id):
        raise NotSignedIn()
    return claims


TokenDep = Annotated[AccessClaims, Depends(get_token)]
CurrentToken = TokenDep


async def get_account(request: Request, token: TokenDep) -> Account:
    # The account comes from the signed token only, never from the path or the body. Kept in
    # memory for a few seconds (ServerState.account): no registry read, nor thread, per request;
    # the read every few seconds is in a thread (the registry may be a PostgreSQL server away).
    state = _state(request)
    account = state.account_if_known(token.account_id) or await run_in_threadpool(state.account, token.account_id)
    if account is None:
        raise NotSignedIn("This account no longer exists on the server.")
    return account


AccountDep = Annotated[Account, Depends(get_account)]


async def get_account_db(request: Request, account: AccountDep) -> AccountDatabase:
    state = _state(request)
    adb = state.account_db_if_open(account)  # the usual case: no I/O
    if adb is None:  # first use in this process, or the registry to be read again: not on the event loop
        adb = await run_in_threadpool(state.account_db, account)
    return adb


AccountDbDep = Annotated[AccountDatabase, Depends(get_account_db)]


async def get_session(adb: AccountDbDep) -> AsyncIterator[Session]:
    """A read session on the account's database (writes open their own IMMEDIATE transaction).

    Making a Session does no I/O: it connects at its first query, which runs in the route's or
    a dependency's thread. Closing it ends the transaction the route's reads left open, on the
    event loop: a thread for it would wait for a free one of the thread pool, and those may all
    be waiting, through PgBouncer, for the server connection this very transaction holds (the
    load test's PostgreSQL set-up stopped dead so)."""
    with adb.read_session() as db:
        yield db


SessionDep = Annotated[Session, Depends(get_session)]


def _current_staff(token: AccessClaims, db: Session) -> Staff:
    try:
        staff = token_staff(db, token)
    except DomainError:
        db.rollback()
        raise
    # End this read's transaction now, so the request holds no connection it does not use: a push
    # writes in a session of its own and a long-poll waits for seconds. Through PgBouncer
    # (transaction pooling) an open transaction pins a server connection; in SQLite it holds back
    # the WAL's checkpoints. The route's own reads on `db` begin a new transaction.
    db.expunge(staff)
    db.rollback()
    return staff


async def get_current_staff(token: TokenDep, db: SessionDep, adb: AccountDbDep) -> Staff:
    """Read on every request, never cached: disabling someone refuses their very next request,
    whichever server process it reaches.

    From a SQLite file the read runs on the event loop, on a connection of its own
    (AccountDatabase.loop_session): a row by its key, in WAL mode where a reader never waits for
    a writer, costs some tens of microseconds, less than the hop to a worker thread and back,
    which under CPU contention also waits for two thread switches (bench/load's profile: a
    third of a pull's time went to such hops). From PostgreSQL it is a round trip: in a thread,
without a transaction (one statement: one round trip through PgBouncer, not three)."""
    loop_db = adb.loop_session()
    if loop_db is None:
        return await run_in_threadpool(_staff_in_one_statement, token, adb)
    with loop_db:
        return _current_staff(token, loop_db)


def _staff_in_one_statement(token: AccessClaims, adb: AccountDatabase) -> Staff:
    with adb.one_statement_session() as db:
        return _current_staff(token, db)


CurrentStaff = Annotated[Staff, Depends(get_current_staff)]
