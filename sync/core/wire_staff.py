"""HTTP bodies of /v1/staff, /v1/audit and /v1/auth/logout (the rest of the contract is sync.core.wire)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import Field

from sync.core.wire import ResponseModel, WireModel

USERNAME = Field(min_length=1, max_length=64, pattern=r"^\S(.*\S)?$")
PIN = Field(min_length=4, max_length=8, pattern=r"^[0-9]+$")
GROUP_NAME = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9-]*$")


class StaffDetail(ResponseModel):
    id: str
    username: str
    display_name: str
    group: str
    active: bool
    grants: list[str]  # advanced permissions beyond the group
    permissions: list[str]  # effective: group + grants
    has_pin: bool


class StaffList(ResponseModel):
    staff: list[StaffDetail]


class StaffCreate(WireModel):
    username: str = USERNAME
    display_name: str = Field(default="", max_length=100)
    group: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=8, max_length=256)
    grants: list[str] = Field(default_factory=list, max_length=50)
    pin: str | None = Field(default=None, min_length=4, max_length=8, pattern=r"^[0-9]+$")


class StaffUpdate(WireModel):
    """Only the fields sent change."""

    display_name: str | None = Field(default=None, min_length=1, max_length=100)
    group: str | None = Field(default=None, min_length=1, max_length=64)
    grants: list[str] | None = Field(default=None, max_length=50)
    active: bool | None = None


class PasswordReset(WireModel):
    password: str = Field(min_length=8, max_length=256)


class PinSet(WireModel):
    pin: str = PIN


class GroupDetail(ResponseModel):
    name: str
    label: str
    permissions: list[str]
    built_in: bool


class GroupList(ResponseModel):
    groups: list[GroupDetail]
    permissions: dict[str, str]  # every permission name with its words, for the staff screen


class GroupCreate(WireModel):
    name: str = GROUP_NAME
    label: str = Field(min_length=1, max_length=100)
    permissions: list[str] = Field(default_factory=list, max_length=50)


class GroupUpdate(WireModel):
    label: str | None = Field(default=None, min_length=1, max_length=100)
    permissions: list[str] | None = Field(default=None, max_length=50)


class AuditEntry(ResponseModel):
    id: str
    at: dt.datetime  # server time, with its UTC offset
    staff_id: str | None
    staff_name: str | None
    desk_id: str | None
    action: str
    record_type: str | None
    record_id: str | None
    detail: dict[str, Any]
    # Names of what the entry is about (server.audit_about): student, class, location, status, family,
    # staff (the one a change was made to). Empty from a server before it.
    about: dict[str, str] = {}


class AuditPage(ResponseModel):
    events: list[AuditEntry]
    next_before: str | None  # pass as `before` for the older page; None at the start of the log


class LogoutRequest(WireModel):
    refresh_token: str = Field(min_length=1, max_length=512)
    desk_id: str = Field(min_length=1, max_length=36)
