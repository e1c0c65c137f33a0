"""The domain error tree (server.errors) as the desk and the admin see it: each kind's HTTP status,
body and headers (server.api.errors), what the desk's client makes of it (sync.client), and each
kind's exit code (server.cli)."""

from __future__ import annotations

import asyncio
import sqlite3

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from server.accounts import AdminError
from server.api.errors import install_error_handlers
from server.backup import BackupError
from server.cli import exit_code, main
from server.errors import (
    KINDS, Busy, Conflict, DomainError, Invalid, NotFound, NotSignedIn, OperatorError, Refused, TooManyAttempts,
    Unreachable,
)  # fmt: skip
from server.migrate import MigrationError, SchemaTooNew, SchemaUnknown
from server.mover import MoveError
from server.payments.cards import CardUnusable
from server.payments.gateway import GatewayUnreachable
from server.placement import PlacementError
from server.secrets_box import SecretKeyError
from server.sqlite import lock_contention
from server.tokens import InvalidToken
from sync.client import _error_of
from sync.errors import AuthError, ConflictError, RejectedError, ServerError

SERVER_ERROR = "The server had a problem. Please try again; if it keeps happening, call support."

# kind, its default code, HTTP status, extra headers, exit code
EXPECTED = [
    (NotSignedIn, "auth", 401, {"www-authenticate": "Bearer"}, 1),
    (Refused, "forbidden", 403, {}, 1),
    (NotFound, "not_found", 404, {}, 1),
    (Conflict, "conflict", 409, {}, 1),
    (Invalid, "invalid_request", 422, {}, 1),
    (TooManyAttempts, "too_many_attempts", 429, {}, 1),
    (Unreachable, "gateway_unreachable", 502, {}, 1),
    (Busy, "busy", 503, {}, 1),
    (OperatorError, "server_error", 500, {}, 1),
]


def test_every_kind_has_its_expectation():
    assert {row[0] for row in EXPECTED} == set(KINDS)


class _Raising:
    """An app with the server's error handlers and one route that raises `exc`."""

    def __init__(self, exc: Exception):
        self.app = FastAPI()
        install_error_handlers(self.app)

        @self.app.get("/fail")
        def fail() -> None:
            raise exc

    def get(self, path: str) -> httpx.Response:
        async def call() -> httpx.Response:
            transport = httpx.ASGITransport(self.app, raise_app_exceptions=False)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                return await client.get(path)

        return asyncio.run(call())


def _app_raising(exc: Exception) -> _Raising:
    return _Raising(exc)


@pytest.mark.parametrize(("kind", "code", "status", "headers", "_exit"), EXPECTED, ids=[row[0].__name__ for row in EXPECTED])
def test_each_kind_is_its_status_and_the_error_body(kind, code, status, headers, _exit):
    response = _app_raising(kind("Words for the person.")).get("/fail")
    assert response.status_code == status
    if status == 500:  # the operator's words stay in the server's log
        assert response.json() == {"error": {"code": "server_error", "message": SERVER_ERROR}}
    else:
        assert response.json() == {"error": {"code": code, "message": "Words for the person."}}
    for name, value in headers.items():
        assert response.headers[name] == value
    assert "retry-after" not in response.headers


def test_a_finer_code_and_a_retry_after_go_out_with_the_kind():
    response = _app_raising(Invalid("That key was used for another payment.", "key_reused")).get("/fail")
    assert (response.status_code, response.json()["error"]["code"]) == (422, "key_reused")
    response = _app_raising(Busy("Moved; try again.", retry_after=2)).get("/fail")
    assert (response.status_code, response.headers["retry-after"]) == (503, "2")
    response = _app_raising(TooManyAttempts("Wait a minute.", retry_after=60)).get("/fail")
    assert (response.status_code, response.headers["retry-after"]) == (429, "60")
    response = _app_raising(NotSignedIn()).get("/fail")
    assert response.json()["error"] == {"code": "auth", "message": "Your session has ended. Please sign in again."}


def test_a_domain_error_of_no_kind_is_a_server_error():
    response = _app_raising(DomainError("a bug: raise a kind")).get("/fail")
    assert response.status_code == 500
    assert response.json() == {"error": {"code": "server_error", "message": SERVER_ERROR}}


@pytest.mark.parametrize(
    ("exc", "desk_kind"),
    [
        (NotSignedIn(), AuthError),
        (Refused("This desk is not one of the account's.", "desk_refused"), AuthError),
        (Refused("You may not."), RejectedError),
        (NotFound("No such desk."), RejectedError),
        (Conflict("Busy with another change."), ConflictError),
        (Invalid("Not valid."), RejectedError),
        (Busy("Moved.", retry_after=1), ServerError),
        (Unreachable("The gateway did not answer."), ServerError),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, DomainError) else v.__name__,
)
def test_the_desk_reads_each_kind_as_before(exc, desk_kind):
    response = _app_raising(exc).get("/fail")
    error = _error_of(response)
    assert type(error) is desk_kind
    if desk_kind is not ServerError:
        assert (error.code, error.message) == (exc.code, exc.message)


@pytest.mark.parametrize(("kind", "_code", "_status", "_headers", "exit"), EXPECTED, ids=[row[0].__name__ for row in EXPECTED])
def test_each_kind_is_its_exit_code(kind, _code, _status, _headers, exit):
    assert exit_code(kind("words")) == exit


def test_the_admin_commands_errors_are_operator_errors_and_a_newer_schema_exits_2():
    for error in (AdminError, BackupError, MoveError, PlacementError, SecretKeyError, MigrationError, SchemaUnknown):
        assert issubclass(error, OperatorError), error
        assert exit_code(error("words")) == 1
    assert exit_code(SchemaTooNew("words")) == 2
    assert issubclass(MoveError, RuntimeError) and issubclass(SecretKeyError, RuntimeError)  # as callers catch them


def test_the_other_roots_are_kinds_of_the_tree():
    assert isinstance(InvalidToken("expired"), NotSignedIn)
    assert isinstance(CardUnusable("invalid_number", "Check the number."), Invalid)
    assert CardUnusable("invalid_number", "Check the number.").code == "invalid_number"
    assert isinstance(GatewayUnreachable(), Unreachable) and GatewayUnreachable().code == "gateway_unreachable"


def test_the_command_line_prints_the_words_and_exits_1(tmp_path, capsys):
    assert main(["list-staff", "nobody-here", "--data-dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("frontdesk-server: ") and "nobody-here" in err


def test_lock_contention_is_told_by_sqlites_result_code(tmp_path):
    path = tmp_path / "held.sqlite"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN IMMEDIATE")
    engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": 0})
    try:
        with pytest.raises(OperationalError) as busy, engine.connect() as conn:
            conn.execute(text("INSERT INTO t VALUES (1)"))
        assert lock_contention(busy.value)
        with pytest.raises(OperationalError) as other, engine.connect() as conn:
            conn.execute(text("SELECT * FROM no_such_table"))
        assert not lock_contention(other.value)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        engine.dispose()
