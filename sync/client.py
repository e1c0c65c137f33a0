"""ApiClient: the desk's side of the /v1 HTTP contract (sync.core.wire), on an injected httpx.AsyncClient.

Injecting the AsyncClient is the seam for tests: the real server over loopback, or in-process
through httpx.ASGITransport. Every failure comes out as one of the `sync.errors` kinds:

    refused, timed out, cut off, unreadable answer  -> NetworkError
    401                                             -> AuthError (after one refresh attempt)
    403 desk_refused / desk_enrollment_needed       -> AuthError (the server does not know this desk)
    409                                             -> ConflictError (busy: nothing written, send again)
    5xx                                             -> ServerError
    other 4xx                                       -> RejectedError, with the server's message

`access_token` is kept in memory only. When a signed-in call gets a 401, `on_unauthorized` (set
by sync.auth.DeskAuth) may get new tokens; the call is then sent once more.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from sync.errors import (
    OFFLINE_MESSAGE,
    SERVER_MESSAGE,
    SIGN_IN_MESSAGE,
    AuthError,
    ConflictError,
    NetworkError,
    RejectedError,
    ServerError,
    SyncError,
)
from sync.pull_apply import parse_page
from sync.core.wire import (
    DEFAULT_PULL_PAGE,
    PROTOCOL_HEADER,
    PROTOCOL_VERSION,
    ErrorResponse,
    Health,
    LoginRequest,
    Mutation,
    UPDATE_REQUIRED_STATUS,
    PullResponse,
    PushRequest,
    PushResponse,
    RefreshRequest,
    TokenResponse,
    WaitResponse,
)

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)
UNREADABLE = "The server's answer could not be read. Check the server address; your work is saved on this computer."
BUSY = "The server is busy. Your work is saved on this computer and will be sent again shortly."
TOO_OLD = "This desk app does not match the server's version. Please update the app; your work is saved on this computer."


class ApiClient:
    def __init__(self, http: httpx.AsyncClient, base_url: str | None = None):
        """`base_url` like "https://desk.example.com"; without it, `http` must carry one."""
        self.http = http
        self.base_url = (base_url if base_url is not None else str(http.base_url)).rstrip("/")
        self.access_token: str | None = None
        self.protocol = PROTOCOL_VERSION  # what this desk speaks (tests play an older desk)
        self.on_unauthorized: Callable[[], Awaitable[bool]] | None = None

    async def health(self) -> Health:
        health = await self._call("GET", "/v1/health", Health, signed=False)
        if health.protocol != PROTOCOL_VERSION:
            raise RejectedError(TOO_OLD, code="protocol")
        return health

    async def login(self, account: str, username: str, password: str, desk_id: str | None, desk_name: str = "", *,
                    desk_secret: str | None = None, enrollment_code: str | None = None) -> TokenResponse:  # fmt: skip
        """`desk_secret`: the desk's credential once enrolled; before that, `enrollment_code` lets
        someone who may not set desks up enroll this one (server.desks)."""
        body = LoginRequest(account=account, username=username, password=password, desk_id=desk_id, desk_name=desk_name,
                            desk_secret=desk_secret, enrollment_code=enrollment_code or None)  # fmt: skip
        return await self._call("POST", "/v1/auth/login", TokenResponse, json=body.model_dump(mode="json"), signed=False)

    async def refresh(self, refresh_token: str, desk_id: str, desk_secret: str | None = None) -> TokenResponse:
        body = RefreshRequest(refresh_token=refresh_token, desk_id=desk_id, desk_secret=desk_secret)
        return await self._call("POST", "/v1/auth/refresh", TokenResponse, json=body.model_dump(mode="json"), signed=False)

    async def push(self, mutations: Sequence[Mutation]) -> PushResponse:
        body = PushRequest(mutations=list(mutations))
        return await self._call("POST", "/v1/sync/push", PushResponse, json=body.model_dump(mode="json"))

    async def pull(self, after: int, limit: int = DEFAULT_PULL_PAGE, *, types: Iterable[str] | None = None,
                   until: int | None = None) -> PullResponse:  # fmt: skip
        """A page of changes after `after`; only `types` up to `until` when filling in what a desk lacks."""
        params: dict[str, Any] = {"after": after, "limit": limit}
        if types is not None:
            params["types"] = ",".join(sorted(types))
        if until is not None:
            params["until"] = until
        # Rows validated as the page is read: a first pull brings the whole account (sync.pull_apply).
        return await self._call("GET", "/v1/sync/pull", PullResponse, params=params, parse=parse_page)

    async def wait(self, after: int, timeout: float = 10.0) -> WaitResponse:
        """Long-poll: returns when the account has changes past `after`, or after `timeout` seconds."""
        return await self._call(
            "GET", "/v1/sync/wait", WaitResponse, params={"after": after, "timeout": timeout},
            timeout=httpx.Timeout(timeout + 10.0, connect=5.0),
        )

    async def _call(self, method: str, path: str, model: type[M], *, signed: bool = True,
                    parse: Callable[[bytes], M] | None = None, **kwargs: Any) -> M:  # fmt: skip
        try:
            response = await self._send(method, path, signed, **kwargs)
        except AuthError:
            if not signed or self.on_unauthorized is None or not await self.on_unauthorized():
                raise
            response = await self._send(method, path, signed, **kwargs)  # once: a second 401 stands
        try:
            return (parse or model.model_validate_json)(response.content)
        except ValidationError:
            log.warning("%s %s: unreadable %s answer: %.200r", method, path, response.status_code, response.content)
            raise NetworkError(UNREADABLE, code="unreadable", status=response.status_code) from None

    async def _send(self, method: str, path: str, signed: bool, **kwargs: Any) -> httpx.Response:
        headers = {PROTOCOL_HEADER: str(self.protocol)}
        if signed:
            if self.access_token is None:
                raise AuthError(SIGN_IN_MESSAGE, code="signed_out")
            headers["Authorization"] = f"Bearer {self.access_token}"
        try:
            response = await self.http.request(method, f"{self.base_url}{path}", headers=headers, **kwargs)
        except httpx.TransportError as exc:  # connect, timeout, protocol and network errors alike
            log.info("%s %s: %r", method, path, exc)
            raise NetworkError(OFFLINE_MESSAGE, code="offline") from exc
        if response.is_success:
            return response
        raise _error_of(response)


# The server does not know this desk (server.desks): a sign-in problem, in the server's words.
DESK_REFUSALS = frozenset({"desk_refused", "desk_enrollment_needed"})


def _error_of(response: httpx.Response) -> SyncError:
    status = response.status_code
    code, message = None, None
    try:
        body = ErrorResponse.model_validate_json(response.content)
        code, message = body.error.code, body.error.message
    except ValidationError:
        pass  # a proxy's HTML page, say: the status alone decides
    if status == 401 or (status == 403 and code in DESK_REFUSALS):
        return AuthError(message or SIGN_IN_MESSAGE, code=code or "auth", status=status)
    if status == UPDATE_REQUIRED_STATUS:
        # Not a refusal of the work: nothing may be set aside as rejected because of it.
        return RejectedError(message or TOO_OLD, code="update_required", status=status)
    if status == 409:
        return ConflictError(message or BUSY, code=code or "conflict", status=status)
    if status >= 500:
        return ServerError(SERVER_MESSAGE, code=code or "server_error", status=status)
    if message is None:
        # Not an answer of our server at all (wrong address, a captive portal): treat as unreachable.
        return NetworkError(UNREADABLE, code="unreadable", status=status) if status == 404 else RejectedError(
            f"The server refused the request ({status}).", code="rejected", status=status
        )
    return RejectedError(message, code=code, status=status)
