"""The desk's calls to /v1/staff, /v1/audit and /v1/auth/logout, on the same ApiClient as sync.

    api = StaffApi(session.client)
    people = await api.list_staff()                 # needs staff.manage; RejectedError(403) otherwise
    page = await api.audit(action="login.", limit=200)
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import httpx

from sync.client import ApiClient
from sync.errors import SyncError
from sync.core.wire_staff import (
    AuditPage,
    GroupCreate,
    GroupDetail,
    GroupList,
    GroupUpdate,
    LogoutRequest,
    PasswordReset,
    PinSet,
    StaffCreate,
    StaffDetail,
    StaffList,
    StaffUpdate,
)

log = logging.getLogger(__name__)
LOGOUT_TIMEOUT = httpx.Timeout(3.0, connect=2.0)  # signing out must not hang on a dead network


async def revoke_refresh_token(client: ApiClient, refresh_token: str, desk_id: str) -> bool:
    """Ask the server to revoke the token; False (and the desk forgets it anyway) when unreachable."""
    body = LogoutRequest(refresh_token=refresh_token, desk_id=desk_id).model_dump(mode="json")
    try:
        await client._send("POST", "/v1/auth/logout", False, json=body, timeout=LOGOUT_TIMEOUT)
    except SyncError as exc:
        log.info("sign-out could not reach the server (%s); the token expires on its own", exc.code)
        return False
    return True


class StaffApi:
    def __init__(self, client: ApiClient):
        self.client = client

    async def me(self) -> StaffDetail:
        return await self.client._call("GET", "/v1/staff/me", StaffDetail)

    async def list_staff(self) -> list[StaffDetail]:
        return (await self.client._call("GET", "/v1/staff", StaffList)).staff

    async def create(self, body: StaffCreate) -> StaffDetail:
        return await self.client._call("POST", "/v1/staff", StaffDetail, json=body.model_dump(mode="json"))

    async def update(self, staff_id: str, body: StaffUpdate) -> StaffDetail:
        return await self.client._call("PATCH", f"/v1/staff/{staff_id}", StaffDetail, json=body.model_dump(mode="json", exclude_none=True))

    async def reset_password(self, staff_id: str, password: str) -> StaffDetail:
        body = PasswordReset(password=password).model_dump(mode="json")
        return await self.client._call("POST", f"/v1/staff/{staff_id}/password", StaffDetail, json=body)

    async def set_pin(self, staff_id: str, pin: str) -> StaffDetail:
        return await self.client._call("PUT", f"/v1/staff/{staff_id}/pin", StaffDetail, json=PinSet(pin=pin).model_dump(mode="json"))

    async def groups(self) -> GroupList:
        return await self.client._call("GET", "/v1/staff/groups", GroupList)

    async def update_group(self, name: str, body: GroupUpdate) -> GroupDetail:
        """Change a custom group's words or permissions (built-in groups stay as they are)."""
        return await self.client._call("PATCH", f"/v1/staff/groups/{name}", GroupDetail,
                                       json=body.model_dump(mode="json", exclude_none=True))  # fmt: skip

    async def create_group(self, body: GroupCreate) -> GroupDetail:
        return await self.client._call("POST", "/v1/staff/groups", GroupDetail, json=body.model_dump(mode="json"))

    async def audit(
        self,
        *,
        staff_id: str | None = None,
        action: str | None = None,
        record_type: str | None = None,
        record_id: str | None = None,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
        before: str | None = None,
        limit: int = 100,
    ) -> AuditPage:
        params: dict[str, Any] = {"limit": limit}
        for name, value in (("staff_id", staff_id), ("action", action), ("record_type", record_type), ("record_id", record_id),
                            ("before", before)):
            if value:
                params[name] = value
        for name, when in (("since", since), ("until", until)):
            if when is not None:
                params[name] = when.isoformat()
        return await self.client._call("GET", "/v1/audit", AuditPage, params=params)
