"""Offline sign-in against a cached Argon2 verifier, for a limited time; the PIN check; sign-out
revokes the refresh token on the server."""

from __future__ import annotations

import datetime as dt
import json

import httpx
import pytest

from server import admin
from sync.auth import DeskAuth
from sync.client import ApiClient
from sync.errors import AuthError, NetworkError
from sync.offline_signin import OfflineVerifiers
from sync.core.wire import Mutation
from tests.helpers.enrollment import code_for
from tests.helpers.server_process import free_port


class Clock:
    def __init__(self):
        self.now = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now


def _code(url: str) -> str | None:
    """alex may not set desks up: a desk's first sign-in brings a code (none for a dead address)."""
    try:
        return code_for(url, "acme")
    except KeyError:
        return None


def make_auth(http, url: str, store, verifiers: OfflineVerifiers | None) -> DeskAuth:
    auth = DeskAuth(ApiClient(http, url), url, "acme", store.desk_id, "Front 1", enrollment_code=_code(url),
                    desk_folder=store.data_dir)  # fmt: skip
    auth.offline_verifiers = verifiers
    return auth


@pytest.mark.asyncio
async def test_staff_who_signed_in_here_can_sign_in_offline_for_a_limited_time(
    live_server, server_account, desks, http, memory_keyring, tmp_path
):
    admin.set_pin(server_account["data_dir"], "acme", "alex", "2468")
    store = desks("a")
    clock = Clock()
    verifiers = OfflineVerifiers(tmp_path / "offline_signin.json", days=7, clock=clock)
    online = make_auth(http, live_server.url, store, verifiers)
    signed = await online.login("alex", "correct horse")
    assert not signed.offline and online.check_pin("2468") and not online.check_pin("1111")
    saved = (tmp_path / "offline_signin.json").read_text()
    assert "correct horse" not in saved and "2468" not in saved and "$argon2id$" in saved
    assert (tmp_path / "offline_signin.json").stat().st_mode & 0o077 == 0  # owner only

    dead = f"http://127.0.0.1:{free_port()}"  # the server is out of reach
    offline = make_auth(http, dead, store, verifiers)
    with pytest.raises(AuthError, match="can't check that password offline"):
        await offline.login("alex", "wrong")
    with pytest.raises(NetworkError):  # never signed in here: the server is needed, and that is what is said
        await offline.login("nobody", "correct horse")
    signed = await offline.login("ALEX", "correct horse")
    assert signed.offline and signed.staff.id == server_account["staff_id"] and "without the server" in signed.notice
    assert "check_in" in offline.permissions and "staff.manage" not in offline.permissions  # cached with it
    assert offline.check_pin("2468")  # the lock screen works offline too

    clock.now += dt.timedelta(days=8)  # too long ago
    with pytest.raises(NetworkError):
        await offline.login("alex", "correct horse")
    # Without a verifier cache (the old behaviour), an unreachable server is just that.
    with pytest.raises(NetworkError):
        await make_auth(http, dead, store, None).login("alex", "correct horse")


@pytest.mark.asyncio
async def test_the_server_rechecks_what_an_offline_sign_in_did(live_server, server_account, desks, http, memory_keyring, tmp_path):
    """Permissions cached at the desk steer the screens only: a change made offline by someone
    whose rights were taken away meanwhile is refused at push, with the reason."""
    store = desks("a")
    verifiers = OfflineVerifiers(tmp_path / "v.json")
    auth = make_auth(http, live_server.url, store, verifiers)
    await auth.login("alex", "correct horse")
    admin.edit_staff(server_account["data_dir"], "acme", "alex", group="coach")  # no check-in any more
    from sync.core.ids import new_id, utcnow

    m = Mutation(id=new_id(), desk_id=store.desk_id, seq=1, staff_id=server_account["staff_id"], made_at=utcnow(), type="check_in",
                 payload={"check_in_id": new_id(), "student_id": new_id(), "location_id": new_id(), "checked_in_at": utcnow().isoformat()})
    [result] = (await auth.client.push([m])).results
    assert (result.status, result.code) == ("rejected", "forbidden") and "not allowed to check students in" in result.message


@pytest.mark.asyncio
async def test_sign_out_revokes_the_refresh_token_on_the_server(live_server, server_account, desks, http, memory_keyring):
    store = desks("a")
    auth = make_auth(http, live_server.url, store, None)
    await auth.login("alex", "correct horse")
    [entry] = memory_keyring.sign_ins().values()
    token, secret = json.loads(entry)["refresh_token"], auth.credential.load()
    await auth.sign_out()
    async with httpx.AsyncClient() as raw:
        r = await raw.post(f"{live_server.url}/v1/auth/refresh", json={"refresh_token": token, "desk_id": store.desk_id,
                                                                        "desk_secret": secret})  # fmt: skip
    assert r.status_code == 401  # a copy of the token taken before sign-out is worthless now
    assert list(memory_keyring.items.values()) == [secret]  # the sign-in is gone; the desk stays enrolled


@pytest.mark.asyncio
async def test_sign_out_while_offline_still_forgets_the_sign_in(desks, http, memory_keyring):
    auth = make_auth(http, f"http://127.0.0.1:{free_port()}", desks("a"), None)
    auth._refresh_token = "a token the server never hears about"
    await auth.sign_out()
    assert auth._refresh_token is None and not auth.signed_in
