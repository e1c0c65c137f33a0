"""Request dependencies as Annotated aliases: the token picks the account, the account its database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session

from server.account_db import AccountDatabase
from server.errors import auth_error
from server.registry import Account
from server.settings import Settings
from server.state import ServerState
from server.tokens import AccessClaims, InvalidToken, decode_access_token
from sync.schema import Staff

# auto_error=False: a missing token must get our error shape, not FastAPI's own 403.
_bearer = HTTPBearer(auto_error=False, description="Access token from /v1/auth/login or /v1/auth/refresh")


# Dependencies that neither block nor read a database are `async def`: FastAPI runs a plain `def`
# dependency in its thread pool, and the hop costs more than these do (see bench/load's profile).
async def get_state(request: Request) -> ServerState:
    return request.app.state.frontdesk


StateDep = Annotated[ServerState, Depends(get_state)]


async def get_settings(state: StateDep) -> Settings:
    return state.settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


async def get_token(state: StateDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> AccessClaims:
    if credentials is None:
        raise auth_error("Please sign in first.")
    try:
        return decode_access_token(state.signing_key, credentials.credentials)
    except InvalidToken:
        raise auth_error() from None


TokenDep = Annotated[AccessClaims, Depends(get_token)]
CurrentToken = TokenDep


async def get_account(state: StateDep, token: TokenDep) -> Account:
    # The account comes from the signed token only, never from the path or the body. Kept in
    # memory for a few seconds (ServerState.account): no registry read, nor thread, per request.
    account = state.account(token.account_id)
    if account is None:
        raise auth_error("This account no longer exists on the server.")
    return account


AccountDep = Annotated[Account, Depends(get_account)]


async def get_account_db(state: StateDep, account: AccountDep) -> AccountDatabase:
    return state.account_db(account)  # opened once per process; after that, no I/O


AccountDbDep = Annotated[AccountDatabase, Depends(get_account_db)]


async def get_session(adb: AccountDbDep) -> AsyncIterator[Session]:
    """A read session on the account's database (writes open their own IMMEDIATE transaction).

    Making a Session does no I/O: it connects at its first query, which runs in the route's or
    a dependency's thread."""
    with adb.read_session() as db:
        yield db


SessionDep = Annotated[Session, Depends(get_session)]


def get_current_staff(token: TokenDep, db: SessionDep) -> Staff:
    staff = db.get(Staff, token.staff_id)
    if staff is None or not staff.active:
        raise auth_error("Your staff account is no longer active. Please ask a manager.")
    # End this read's transaction now, so the request holds no connection it does not use: a push
    # writes in a session of its own and a long-poll waits for seconds. Through PgBouncer
    # (transaction pooling) an open transaction pins a server connection; in SQLite it holds back
    # the WAL's checkpoints. The route's own reads on `db` begin a new transaction.
    db.expunge(staff)
    db.rollback()
    return staff


CurrentStaff = Annotated[Staff, Depends(get_current_staff)]
