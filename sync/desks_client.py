"""The owner's desks at the desk (issue 19): /v1/desks over the desk's ApiClient."""

from __future__ import annotations

from sync.client import ApiClient
from sync.core.wire_desks import (
    DeskList,
    DeskPublic,
    EnrollmentCodeRequest,
    EnrollmentCodeResponse,
)


class DesksApi:
    def __init__(self, client: ApiClient):
        self.client = client

    async def desks(self) -> list[DeskPublic]:
        return (await self.client._call("GET", "/v1/desks", DeskList)).desks

    async def retire(self, desk_id: str) -> DeskPublic:
        return await self.client._call("POST", f"/v1/desks/{desk_id}/retire", DeskPublic)

    async def setup_code(self, uses: int = 1, hours: float = 24.0) -> EnrollmentCodeResponse:
        body = EnrollmentCodeRequest(uses=uses, hours=hours).model_dump(mode="json")
        return await self.client._call("POST", "/v1/desks/enrollment-codes", EnrollmentCodeResponse, json=body)
