from __future__ import annotations

import json

import httpx
import pytest

from sync.client import ApiClient
from sync.errors import (
    OFFLINE_MESSAGE,
    AuthError,
    ConflictError,
    NetworkError,
    RejectedError,
    ServerError,
    SyncError,
)
from sync.core.ids import new_id, utcnow
from sync.core.wire import PROTOCOL_HEADER, Mutation
from tests.helpers.enrollment import code_for
from tests.helpers.server_process import free_port


def mock_client(handler) -> ApiClient:
    return ApiClient(httpx.AsyncClient(transport=httpx.MockTransport(handler)), "http://desk.test")


def error(status: int, code: str, message: str) -> httpx.Response:
    return httpx.Response(status, json={"error": {"code": code, "message": message}})


# -- against the real server -------------------------------------------------------------


@pytest.mark.asyncio
async def test_health_login_push_pull_over_loopback(live_server, server_account, http):
    client = ApiClient(http, live_server.url)
    assert (await client.health()).protocol == 1
    desk_id = new_id()
    tokens = await client.login("acme", "alex", "correct horse", desk_id, "Front 1", enrollment_code=code_for(live_server.url, "acme"))
    assert tokens.staff.id == server_account["staff_id"] and tokens.account.slug == "acme"
    assert tokens.desk_id == desk_id and tokens.desk_secret  # enrolled now: the credential the server made, once
    client.access_token = tokens.access_token

    page = await client.pull(0, limit=50)
    assert len(page.changes) == 50 and page.more and page.cursor == page.changes[-1].usn
    everything = [*page.changes]
    while page.more:
        page = await client.pull(page.cursor, limit=5000)
        everything += page.changes
    student = next(c for c in everything if c.type == "student")
    location = next(c for c in everything if c.type == "location")
    mutation = Mutation(
        id=new_id(), desk_id=desk_id, seq=1, staff_id=tokens.staff.id, made_at=utcnow(), type="check_in",
        payload={"check_in_id": new_id(), "student_id": student.id, "location_id": location.id,
                 "checked_in_at": utcnow().isoformat()},
    )  # fmt: skip
    [result] = (await client.push([mutation])).results
    assert (result.id, result.status) == (mutation.id, "applied") and result.usn
    [again] = (await client.push([mutation])).results  # the same (desk, seq) again: its first result
    assert again == result
    after = await client.pull(page.cursor)
    assert [c.type for c in after.changes] == ["check_in"] and not after.more


@pytest.mark.asyncio
async def test_in_process_through_asgi_transport(server_account):
    from server.main import create_app
    from server.settings import Settings

    app = create_app(Settings(data_dir=server_account["data_dir"]))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://frontdesk") as http:
        client = ApiClient(http)
        assert (await client.health()).status == "ok"
        with pytest.raises(AuthError, match="Wrong account, username or password"):
            await client.login("acme", "alex", "wrong", new_id())


@pytest.mark.asyncio
async def test_wrong_password_is_an_auth_error_in_the_servers_words(live_server, http):
    client = ApiClient(http, live_server.url)
    with pytest.raises(AuthError) as caught:
        await client.login("acme", "alex", "not it", new_id())
    assert caught.value.kind == "auth" and caught.value.status == 401
    assert caught.value.message == "Wrong account, username or password."


@pytest.mark.asyncio
async def test_nobody_listening_is_a_network_error(http):
    client = ApiClient(http, f"http://127.0.0.1:{free_port()}")
    with pytest.raises(NetworkError) as caught:
        await client.health()
    assert caught.value.kind == "network" and caught.value.message == OFFLINE_MESSAGE
    assert "saved on this computer" in str(caught.value)


@pytest.mark.asyncio
async def test_signed_calls_without_a_token_never_leave_the_desk():
    sent: list[httpx.Request] = []
    client = mock_client(lambda r: sent.append(r) or httpx.Response(200, json={}))
    with pytest.raises(AuthError):
        await client.pull(0)
    assert sent == []


# -- the error tree, with a stand-in transport -------------------------------------------


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("response", "kind", "message"),
    [
        (error(401, "auth", "Your session has ended. Please sign in again."), AuthError, "Your session has ended"),
        (error(409, "conflict", "The server is busy."), ConflictError, "The server is busy."),
        (error(500, "server_error", "Traceback?"), ServerError, "The server had a problem"),
        (httpx.Response(502, text="<html>Bad gateway</html>"), ServerError, "The server had a problem"),
        (error(422, "invalid_request", "The request is not valid: limit."), RejectedError, "The request is not valid"),
        (error(429, "too_many", "Too many attempts. Wait a minute."), RejectedError, "Too many attempts"),
        (httpx.Response(404, text="<html>not here</html>"), NetworkError, "could not be read"),
        (httpx.Response(200, text="<html>captive portal</html>"), NetworkError, "could not be read"),
        (httpx.Response(200, json={"status": "ok"}), NetworkError, "could not be read"),
    ],
)
async def test_answers_become_typed_errors(response, kind, message):
    client = mock_client(lambda r: response)
    with pytest.raises(kind, match=message) as caught:
        await client.health()
    assert isinstance(caught.value, SyncError) and caught.value.kind == kind.KIND


@pytest.mark.asyncio
@pytest.mark.parametrize("failure", [httpx.ConnectError("refused"), httpx.ReadTimeout("slow"), httpx.RemoteProtocolError("cut")])
async def test_transport_failures_are_network_errors(failure):
    def handler(request):
        raise failure

    with pytest.raises(NetworkError, match="Can't reach the server"):
        await mock_client(handler).health()


@pytest.mark.asyncio
async def test_every_request_says_its_protocol_and_signed_ones_their_token():
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/v1/health":
            return httpx.Response(200, json={"status": "ok", "protocol": 1, "version": "x"})
        return httpx.Response(200, json={"changes": [], "cursor": 7, "more": False})

    client = mock_client(handler)
    await client.health()
    client.access_token = "tok"
    page = await client.pull(7, limit=10)
    assert page.cursor == 7
    assert [r.headers[PROTOCOL_HEADER] for r in seen] == ["1", "1"]
    assert "authorization" not in seen[0].headers and seen[1].headers["authorization"] == "Bearer tok"
    assert (seen[1].url.params["after"], seen[1].url.params["limit"]) == ("7", "10")


@pytest.mark.asyncio
async def test_another_protocol_is_refused_with_advice():
    client = mock_client(lambda r: httpx.Response(200, json={"status": "ok", "protocol": 2, "version": "9"}))
    with pytest.raises(RejectedError, match="update the app"):
        await client.health()


@pytest.mark.asyncio
async def test_a_401_asks_for_new_tokens_once_and_sends_again():
    tokens = iter(["fresh", "fresher"])
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["authorization"])
        if request.headers["authorization"] != "Bearer fresh":
            return error(401, "auth", "expired")
        return httpx.Response(200, json={"changes": [], "cursor": 0, "more": False})

    client = mock_client(handler)
    client.access_token = "stale"
    refreshes: list[int] = []

    async def refresh() -> bool:
        refreshes.append(1)
        client.access_token = next(tokens)
        return True

    client.on_unauthorized = refresh
    await client.pull(0)
    assert seen == ["Bearer stale", "Bearer fresh"] and len(refreshes) == 1

    client.access_token = "stale"  # the next refresh hands out a token the server refuses too
    with pytest.raises(AuthError, match="expired"):
        await client.pull(0)
    assert len(refreshes) == 2  # once per call, never a loop


@pytest.mark.asyncio
async def test_push_sends_the_mutations_as_the_wire_says():
    bodies: list[dict] = []

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        bodies.append(body)
        m = body["mutations"][0]
        return httpx.Response(200, json={"results": [{"id": m["id"], "seq": m["seq"], "status": "applied", "usn": 5}]})

    client = mock_client(handler)
    client.access_token = "t"
    mutation = Mutation(id="m1", desk_id="d", seq=1, staff_id="s", made_at=utcnow(), type="check_in", payload={"a": 1})
    [result] = (await client.push([mutation])).results
    assert result.usn == 5
    assert bodies[0]["mutations"][0]["payload"] == {"a": 1} and bodies[0]["mutations"][0]["seq"] == 1
