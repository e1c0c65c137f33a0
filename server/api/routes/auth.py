from __future__ import annotations

from fastapi import APIRouter

from server import auth
from server.api.deps import StateDep
from server.errors import error_responses
from sync.wire import LoginRequest, RefreshRequest, TokenResponse

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post(
    "/login",
    response_model=TokenResponse,
    responses=error_responses(400, 401, 422, 429, 500),
    summary="Sign a staff member in at a desk",
)
def login(state: StateDep, body: LoginRequest) -> TokenResponse:
    """Account slug, username and password give a short-lived access token and a refresh token
    bound to the desk. Any failure is the same 401 `bad_credentials`, whichever part was wrong."""
    return auth.login(state, body)


@router.post(
    "/refresh",
    response_model=TokenResponse,
    responses=error_responses(400, 401, 422, 500),
    summary="Trade a refresh token for a new access token and refresh token",
)
def refresh(state: StateDep, body: RefreshRequest) -> TokenResponse:
    """The refresh token is rotated: the one sent is refused from now on. 401 `auth` when it is
    unknown, used, revoked, expired or from another desk."""
    return auth.refresh(state, body)
