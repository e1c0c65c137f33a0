"""Every error leaves the server as {"error": {"code", "message"}} (sync.core.wire.ErrorResponse).

The one place where the server's domain errors (server.errors) become HTTP: a status code per
kind, the JSON error body the desk parses (sync.client), and the headers that go with it.
`ApiError` is for the route layer's own HTTP-only answers (426, 413); nothing below server/api
raises it (tests/boundaries/test_errors_are_domain.py)."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import InterfaceError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from server.errors import (
    UNREACHABLE,
    Busy,
    Conflict,
    DomainError,
    Invalid,
    NotFound,
    NotSignedIn,
    OperatorError,
    Refused,
    TooManyAttempts,
    Unreachable,
)  # fmt: skip
from server.sqlite import lock_contention
from sync.core.wire import ErrorResponse

log = logging.getLogger("frontdesk.server")

STATUS: dict[type[DomainError], int] = {
    NotSignedIn: 401,
    Refused: 403,
    NotFound: 404,
    Conflict: 409,
    Invalid: 422,
    TooManyAttempts: 429,
    Unreachable: 502,
    Busy: 503,
    OperatorError: 500,
}
SERVER_ERROR = "The server had a problem. Please try again; if it keeps happening, call support."


class ApiError(Exception):
    """An answer only HTTP has (426 update required, 413 too large), raised by the route layer;
    the work below it raises DomainErrors."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers


def status_of(exc: DomainError) -> int:
    """The status of the nearest kind in `exc`'s classes; a DomainError of no kind is a bug (500)."""
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 500


def domain_response(exc: DomainError) -> JSONResponse:
    status = status_of(exc)
    if status == 500:  # the operator's words (a missing key, a schema too new) are not the desk's
        return error_response(500, "server_error", SERVER_ERROR)
    headers: dict[str, str] = {}
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    if exc.retry_after is not None:
        headers["Retry-After"] = str(exc.retry_after)
    return error_response(status, exc.code, exc.message, headers or None)


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    body = {"error": {"code": code, "message": message}}
    return JSONResponse(body, status_code=status, headers=headers)


# What the documented routes answer besides their success body (for OpenAPI).
ERROR_DESCRIPTIONS = {
    400: "Malformed request body (not JSON)",
    401: "Missing, invalid or expired credentials",
    403: "Not allowed",
    404: "Not found",
    409: "Busy with a concurrent change; nothing was written, send again",
    413: "The request body is too large; nothing was done",
    422: "The request does not have the expected shape (or its JSON nests too deep)",
    426: "This desk's version is too old for the server: update the desk",
    429: "Too many attempts",
    500: "Server error",
    503: "Busy (the account's database is being moved, or was out of reach); nothing was written, send again",
}


def error_responses(*statuses: int) -> dict[int | str, dict]:
    return {s: {"model": ErrorResponse, "description": ERROR_DESCRIPTIONS.get(s, "Error")} for s in statuses}


_HTTP_CODES = {400: "bad_request", 401: "auth", 403: "forbidden", 404: "not_found", 405: "method_not_allowed"}


def _validation_message(exc: RequestValidationError) -> tuple[int, str, str]:
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        return 400, "invalid_json", "The request body is not valid JSON."
    parts = []
    for e in errors[:3]:
        loc = [str(p) for p in e.get("loc", ())]
        if len(loc) > 1 and loc[0] in ("body", "query", "path", "header"):
            loc = loc[1:]  # "mutations.0.seq" reads better than "body.mutations.0.seq"
        where = ".".join(loc) or "request"
        parts.append(f"{where}: {e.get('msg', 'invalid')}")
    more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
    return 422, "invalid_request", "The request is not valid: " + "; ".join(parts) + more + "."


def _allowed(request: Request) -> str:
    """Every method the path takes, as the OpenAPI document lists them (Starlette's 405 names only
    the methods of the first route that matched the path)."""
    from server.api.openapi_doc import methods_of

    return ", ".join(sorted(m.upper() for m in methods_of(request.app, request.url.path)))


def _unreachable(exc: Exception) -> bool:
    """A database out of reach (a lost or refused connection, a busy SQLite file), not a bug."""
    if getattr(exc, "connection_invalidated", False):
        return True
    orig = getattr(exc, "orig", None)
    if type(orig).__module__.startswith("psycopg"):
        return True  # psycopg's OperationalError: connecting failed or the server ended the session
    return lock_contention(exc)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain_error(request: Request, exc: DomainError) -> JSONResponse:
        if status_of(exc) == 500:
            return await _unexpected(request, exc)  # logged with its traceback, like any other 500
        return domain_response(exc)

    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.message, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        status, code, message = _validation_message(exc)
        return error_response(status, code, message)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        message = exc.detail if isinstance(exc.detail, str) else "The request could not be handled."
        headers = getattr(exc, "headers", None)
        if exc.status_code == 405:  # OPTIONS too: no CORS preflight here (server.api.openapi_doc)
            headers = {**(headers or {}), "Allow": _allowed(request)}
        return error_response(exc.status_code, code, message, headers)

    @app.exception_handler(OperationalError)
    @app.exception_handler(InterfaceError)
    async def _database_error(request: Request, exc: Exception) -> JSONResponse:
        if not _unreachable(exc):
            return await _unexpected(request, exc)
        # The account's database went away mid-request: its server restarted, or `move-account`
        # closed the old copy's connections. Nothing half-written stays (the transaction rolled
        # back), so the desk may simply send again, which it does by itself on a 503.
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        log.warning("database unreachable in %s %s: %s", request.method, request.url.path, first)
        return error_response(503, "busy", UNREACHABLE, {"Retry-After": "2"})

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("unexpected error in %s %s", request.method, request.url.path, exc_info=exc)
        return error_response(500, "server_error", SERVER_ERROR)
