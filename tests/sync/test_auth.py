"""Desk sign-in against the real server, with an in-memory keyring or none at all."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from pathlib import Path

import httpx
import keyring.backend
import keyring.errors
import pytest
from keyring.backends import chainer, fail, null

from sync.auth import NO_STORE_MESSAGE, SERVICE, DeskAuth, SignedIn
from sync.client import ApiClient
from sync.errors import AuthError
from sync.store import DeskStore
from tests.helpers.enrollment import code_for
from tests.helpers.server_process import free_port
from tests.helpers.keyrings import MemoryKeyring


def desk_auth(http: httpx.AsyncClient, url: str, store: DeskStore, server_url: str | None = None) -> DeskAuth:
    """A desk's sign-in as the app builds it at start (a new one = a restarted desk); alex may
    not set desks up, so the desk has an enrollment code for its first sign-in."""
    return DeskAuth(ApiClient(http, url), server_url or url, "acme", store.desk_id, "Front 1",
                    enrollment_code=code_for(server_url or url, "acme"), desk_folder=store.data_dir)  # fmt: skip


def stored(backend: MemoryKeyring) -> dict:
    [(service, _key)] = backend.sign_ins().keys()
    assert service == SERVICE
    return json.loads(next(iter(backend.sign_ins().values())))


def expired_token(server_account: dict, desk_id: str) -> str:
    from server.tokens import AccessClaims, issue_access_token, load_signing_key

    claims = AccessClaims(server_account["account_id"], server_account["staff_id"], desk_id)
    return issue_access_token(load_signing_key(server_account["data_dir"]), claims, dt.timedelta(minutes=-1))


def files_containing(root: Path, *secrets: str) -> list[Path]:
    hits = []
    for path in root.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            if any(s.encode() in data for s in secrets):
                hits.append(path)
    return hits


@pytest.mark.asyncio
async def test_login_keeps_the_refresh_token_in_the_keyring_only(live_server, server_account, desks, http, memory_keyring):
    store = desks("a")
    auth = desk_auth(http, live_server.url, store)
    heard: list[SignedIn | None] = []
    auth.subscribe(heard.append)
    signed = await auth.login("alex", "correct horse")
    assert (signed.staff.id, signed.account.slug, signed.remembered, signed.notice) == (
        server_account["staff_id"], "acme", True, None)  # fmt: skip
    assert heard == [signed] and auth.signed_in
    [(_, key)] = memory_keyring.sign_ins().keys()
    assert "acme" in key and store.desk_id in key and "127.0.0.1" in key
    assert memory_keyring.items[(SERVICE, f"{key}/desk")] == auth.credential.load()  # the desk's proof, beside it
    entry = stored(memory_keyring)
    assert entry["staff"]["id"] == server_account["staff_id"]
    access = auth.client.access_token
    assert access and access not in json.dumps(entry)  # the access token lives in memory only
    assert (await auth.client.pull(0, limit=1)).changes


@pytest.mark.asyncio
async def test_the_next_start_signs_in_from_the_keyring_without_a_password(live_server, server_account, desks, http, memory_keyring):
    store = desks("a")
    await desk_auth(http, live_server.url, store).login("alex", "correct horse")
    first_refresh = stored(memory_keyring)["refresh_token"]

    restarted = desk_auth(http, live_server.url, store)  # a new process: nothing in memory
    signed = await restarted.resume()
    assert signed is not None and not signed.offline and signed.staff.username == "alex"
    assert (await restarted.client.pull(0, limit=1)).changes
    assert stored(memory_keyring)["refresh_token"] != first_refresh  # rotated, and the new one kept
    with pytest.raises(AuthError):
        await restarted.client.refresh(first_refresh, store.desk_id, restarted.credential.load())  # the server refuses a used one


@pytest.mark.asyncio
async def test_nothing_stored_or_a_refused_token_means_a_password_is_needed(live_server, desks, http, memory_keyring):
    store = desks("a")
    assert await desk_auth(http, live_server.url, store).resume() is None
    await desk_auth(http, live_server.url, store).login("alex", "correct horse")
    key = next(iter(memory_keyring.sign_ins()))
    entry = json.loads(memory_keyring.items[key])
    memory_keyring.items[key] = json.dumps({**entry, "refresh_token": "revoked-or-made-up"})
    heard: list[SignedIn | None] = []
    auth = desk_auth(http, live_server.url, store)
    auth.subscribe(heard.append)
    assert await auth.resume() is None
    assert memory_keyring.sign_ins() == {} and heard == [None]


@pytest.mark.asyncio
async def test_an_expired_access_token_is_renewed_once_on_401(live_server, server_account, desks, http, memory_keyring):
    store = desks("a")
    auth = desk_auth(http, live_server.url, store)
    await auth.login("alex", "correct horse")
    before = stored(memory_keyring)["refresh_token"]
    auth.client.access_token = expired_token(server_account, store.desk_id)
    # Two calls at once both get a 401: one refresh serves both (a second would use a spent token).
    pages = await asyncio.gather(auth.client.pull(0, limit=1), auth.client.pull(0, limit=2))
    assert [len(p.changes) for p in pages] == [1, 2]
    assert auth.client.access_token != expired_token(server_account, store.desk_id)
    after = stored(memory_keyring)["refresh_token"]
    assert after != before
    assert (await auth.client.pull(0, limit=1)).changes and stored(memory_keyring)["refresh_token"] == after


@pytest.mark.asyncio
async def test_when_the_server_refuses_the_refresh_the_desk_must_sign_in_again(live_server, server_account, desks, http, memory_keyring):
    store = desks("a")
    auth = desk_auth(http, live_server.url, store)
    await auth.login("alex", "correct horse")
    spent = stored(memory_keyring)["refresh_token"]
    await auth.refresh()  # rotates; now make the desk hold the spent one, as if another process had refreshed
    auth._refresh_token = spent
    auth.client.access_token = expired_token(server_account, store.desk_id)
    with pytest.raises(AuthError):
        await auth.client.pull(0)
    assert memory_keyring.sign_ins() == {} and auth.client.access_token is None


@pytest.mark.asyncio
async def test_a_desk_started_offline_works_as_the_stored_staff_and_catches_up(live_server, server_account, desks, http, memory_keyring):
    store = desks("a")
    await desk_auth(http, live_server.url, store).login("alex", "correct horse")
    dead = f"http://127.0.0.1:{free_port()}"
    offline = desk_auth(http, dead, store, server_url=live_server.url)  # same keyring entry, server unreachable
    signed = await offline.resume()
    assert signed is not None and signed.offline and signed.staff.id == server_account["staff_id"]
    assert offline.client.access_token is None
    offline.client.base_url = live_server.url  # the network is back
    assert (await offline.client.pull(0, limit=1)).changes  # tokens fetched on the way (the 401 path)
    assert offline.client.access_token is not None


@pytest.mark.asyncio
async def test_wrong_password_stores_nothing(live_server, desks, http, memory_keyring):
    auth = desk_auth(http, live_server.url, desks("a"))
    with pytest.raises(AuthError, match="Wrong account, username or password"):
        await auth.login("alex", "nope")
    assert memory_keyring.sign_ins() == {} and not auth.signed_in


@pytest.mark.asyncio
async def test_sign_out_forgets_everything(live_server, desks, http, memory_keyring):
    store = desks("a")
    auth = desk_auth(http, live_server.url, store)
    await auth.login("alex", "correct horse")
    secret = auth.credential.load()
    await auth.sign_out()
    assert memory_keyring.sign_ins() == {} and auth.client.access_token is None and not auth.signed_in
    assert list(memory_keyring.items.values()) == [secret]  # the desk stays enrolled: only its credential is left
    assert await desk_auth(http, live_server.url, store).resume() is None
    await auth.sign_out()  # twice is harmless


class _PlaintextLike(MemoryKeyring):
    """Stands in for keyrings.alt's file backends, which keep secrets in a file."""


_PlaintextLike.__module__ = "keyrings.alt.file"


class _Raising(keyring.backend.KeyringBackend):
    """A store that turns out to be unusable only when used (a locked or absent D-Bus service)."""

    priority = 1  # type: ignore[assignment]

    def get_password(self, service, username):
        raise keyring.errors.NoKeyringError("no backend")

    set_password = delete_password = get_password


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "backend",
    [fail.Keyring(), _Raising(), null.Keyring(), chainer.ChainerBackend(), _PlaintextLike()],
    ids=["no-keyring", "raises-no-keyring", "null", "empty-chain", "plaintext-file"],
)
async def test_without_a_password_store_the_sign_in_lasts_this_run_and_no_file_has_a_token(
    live_server, server_account, desks, http, keyring_backend, tmp_path, backend: keyring.backend.KeyringBackend
):
    keyring_backend(backend)
    store = desks("a")
    auth = desk_auth(http, live_server.url, store)
    signed = await auth.login("alex", "correct horse")
    assert (signed.remembered, signed.notice) == (False, NO_STORE_MESSAGE)
    assert (await auth.client.pull(0, limit=1)).changes  # signed in for this run
    await auth.refresh()  # the refresh token is kept in memory for the run
    assert (await auth.client.pull(0, limit=1)).changes
    if isinstance(backend, _PlaintextLike):
        assert backend.items == {}  # never handed a token, nor the desk's credential
    assert await desk_auth(http, live_server.url, store).resume() is None  # next start: password again
    store.close()
    assert files_containing(tmp_path, auth.client.access_token, auth._refresh_token) == []
