from __future__ import annotations

from fastapi import APIRouter, Request, Response

from server import auth
from server.addresses import client_address
from server.api.deps import StateDep
from server.api.errors import error_responses
from sync.core.wire import LoginRequest, RefreshRequest, TokenResponse
from sync.core.wire_staff import LogoutRequest

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post(
    "/login",
    response_model=TokenResponse,
    responses=error_responses(400, 401, 403, 422, 429, 500),
    summary="Sign a staff member in at a desk",
)
def login(state: StateDep, body: LoginRequest, request: Request) -> TokenResponse:
    """Account slug, username and password give a short-lived access token and a refresh token
    bound to the desk. Any failure is the same 401 `bad_credentials`, whichever part was wrong.

    The desk proves its credential (`desk_secret`); a new computer is enrolled when the staff
    member may set desks up or brings an enrollment code, and the answer carries its credential
    once. With a right password: 403 `desk_refused` for a desk id without its credential (or a
    retired desk), 403 `desk_enrollment_needed` for a new computer nobody may enroll."""
    return auth.login(state, body, client_address(request, state.settings.trusted_proxies))


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


@router.post(
    "/logout",
    status_code=204,
    response_class=Response,
    responses=error_responses(400, 401, 422, 500),
    summary="Sign out: revoke this desk's refresh token",
)
def logout(state: StateDep, body: LogoutRequest) -> Response:
    """The refresh token is refused from now on. Answers 204 whether or not the token was live."""
    auth.logout(state, body)
    return Response(status_code=204)
