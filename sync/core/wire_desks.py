"""Wire models of /v1/desks: the account's desks, retiring one, enrollment codes (server.desks)."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from sync.core.wire import ResponseModel, WireModel


class DeskPublic(ResponseModel):
    id: str
    name: str
    code: str | None  # "D3": its short code in receipt numbers
    first_seen: dt.datetime  # UTC
    last_seen: dt.datetime  # UTC: its last sign-in or refresh
    last_address: str | None  # where it was last seen from
    enrolled_at: dt.datetime | None  # None: seen before enrollment existed, not proven yet
    retired_at: dt.datetime | None


class DeskList(ResponseModel):
    desks: list[DeskPublic]


class EnrollmentCodeRequest(WireModel):
    uses: int = Field(default=1, ge=1, le=100)  # how many computers it may set up
    hours: float = Field(default=24.0, gt=0, le=24 * 30)  # how long it is good for


class EnrollmentCodeResponse(ResponseModel):
    code: str  # shown once: only its hash is kept
    expires_at: dt.datetime
    uses: int
