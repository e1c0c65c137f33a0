"""The HTTP contract between desk and server: request and response bodies of /v1.

Errors are always `{"error": {"code": ..., "message": ...}}` with a 4xx/5xx status; the
message is written for a person at a front desk.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

PROTOCOL_VERSION = 1
# The oldest desk protocol this code still serves; an older desk is told "update required" (426)
# before anything is pushed, so its outbox stays as it is until the app is updated.
MIN_PROTOCOL_VERSION = 1
PROTOCOL_HEADER = "X-Frontdesk-Protocol"
UPDATE_REQUIRED_STATUS = 426
MAX_WAIT_SECONDS = 25.0
MAX_CURSOR = 2**63 - 1  # a change number is a SQLite/PostgreSQL BIGINT
MAX_PUSH_BATCH = 500
MAX_PULL_PAGE = 5000
DEFAULT_PULL_PAGE = 1000


def _naive_utc(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


# A datetime as stored everywhere: naive UTC. An offset on the wire is converted, not dropped.
UtcDateTime = Annotated[dt.datetime, AfterValidator(_naive_utc)]


class WireModel(BaseModel):
    """What a desk sends: an unknown field is a mistake, refused with a clear 422."""

    model_config = ConfigDict(extra="forbid")


class ResponseModel(BaseModel):
    """What the server answers: a desk ignores fields a newer server added, so adding one to an
    answer never strands the desks that have not updated yet."""

    model_config = ConfigDict(extra="ignore")


class ErrorBody(ResponseModel):
    code: str
    message: str


class ErrorResponse(ResponseModel):
    error: ErrorBody


class Health(ResponseModel):
    status: Literal["ok"] = "ok"
    protocol: int = PROTOCOL_VERSION
    version: str


class LoginRequest(WireModel):
    account: str = Field(min_length=1, max_length=64)
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)
    # The desk's id and, once enrolled, its credential (server.desks). No id: a new computer, the
    # server makes one. An id without its credential is refused once the desk is enrolled.
    desk_id: str | None = Field(default=None, min_length=1, max_length=36)
    desk_secret: str | None = Field(default=None, min_length=1, max_length=128)
    # A code the owner made, for someone who may not set desks up themselves.
    enrollment_code: str | None = Field(default=None, min_length=1, max_length=32)
    desk_name: str = Field(default="", max_length=64)


class RefreshRequest(WireModel):
    refresh_token: str = Field(min_length=1, max_length=512)
    desk_id: str = Field(min_length=1, max_length=36)
    desk_secret: str | None = Field(default=None, min_length=1, max_length=128)  # proved at every refresh


class StaffPublic(ResponseModel):
    id: str
    username: str
    display_name: str
    group: str
    permissions: list[str] = []  # effective (group + grants); the desk mirrors, the server decides


class AccountPublic(ResponseModel):
    slug: str
    name: str


class TokenResponse(ResponseModel):
    access_token: str
    refresh_token: str
    expires_in: int  # seconds the access token is good for
    staff: StaffPublic
    account: AccountPublic
    # Argon2 hash of the staff member's quick-unlock PIN, so a locked desk unlocks offline too.
    pin_verifier: str | None = None
    # The account's member-card key (sync.core.member_cards): desks hash swiped member cards with it.
    # Only for staff who may check in; None for others.
    card_key: str | None = None
    old_card_keys: list[str] = []  # the key before its last rotation (a lookup tries it too)
    # This desk's short code in the account ("D3"), for receipt numbers (sync.core.ledger.receipt_number).
    desk_code: str | None = None
    desk_id: str | None = None  # the desk the tokens are bound to (the server's, at enrollment)
    # The desk's credential, only in the answer that enrolled it: kept in the OS keyring, proved
    # at every sign-in and refresh from then on.
    desk_secret: str | None = None
    # This staff member's key at this desk (sync.core.staff_proof): the desk proves with it that
    # changes made offline, or while another's token pushes, are really theirs.
    staff_key: str | None = None


class Mutation(WireModel):
    """One change made at a desk, as it sits in the desk's outbox."""

    id: str = Field(min_length=1, max_length=36)  # UUIDv7 made at the desk
    desk_id: str = Field(min_length=1, max_length=36)
    seq: int = Field(ge=1)  # per desk, increasing, no gaps
    staff_id: str = Field(min_length=1, max_length=36)
    made_at: UtcDateTime  # desk clock, UTC; informative only, never used for order
    type: str = Field(min_length=1, max_length=64)
    payload: dict[str, Any]
    # Proof that staff_id signed in at this desk (sync.core.staff_proof); needed when it is not the
    # staff member whose token pushes the change.
    staff_proof: str | None = Field(default=None, max_length=128)


class PushRequest(WireModel):
    mutations: list[Mutation] = Field(min_length=1, max_length=MAX_PUSH_BATCH)


class MutationResult(ResponseModel):
    id: str
    seq: int
    status: Literal["applied", "rejected"]
    usn: int | None = None  # the account's change number of an applied mutation
    code: str | None = None  # why it was rejected: not_found, invalid, forbidden, seq_reused
    message: str | None = None  # the same for a person


class PushResponse(ResponseModel):
    results: list[MutationResult]


class Change(ResponseModel):
    """A row as it is now on the server, or its tombstone."""

    type: str  # a key of sync.core.schema.RECORD_TYPES
    id: str
    usn: int
    deleted: bool = False
    data: dict[str, Any] | None = None  # sync.core.schema.record_to_wire(row); None when deleted


class PullResponse(ResponseModel):
    changes: list[Change]
    cursor: int  # pass as `after` next time
    more: bool  # another page is waiting
    head: int | None = None  # the account's latest change number: how far a first pull has to go
    # The record types this answer covers: those asked for that the signed-in staff member may
    # see (sync.core.permissions.RECORD_VIEW). None from a server that sends every type.
    types: list[str] | None = None


class WaitResponse(ResponseModel):
    """The answer of a long-poll: `changed` when the account moved past `after` (pull now)."""

    head: int
    changed: bool
