"""The wire format: strict about what desks send, forgiving about what newer servers answer."""

from __future__ import annotations

import pydantic
import pytest

from sync.core.wire import PullResponse, PushRequest, TokenResponse
from sync.core.wire_staff import AuditPage


def test_an_answer_with_a_field_from_a_newer_server_still_reads():
    page = PullResponse.model_validate(
        {"changes": [{"type": "student", "id": "s1", "usn": 4, "data": {}, "shard": "b"}],
         "cursor": 4, "more": False, "head": 9, "added_later": {"x": 1}}
    )
    assert page.cursor == 4 and page.changes[0].id == "s1"
    assert not hasattr(page, "added_later")


def test_a_sign_in_answer_with_an_unknown_field_still_reads():
    body = {
        "access_token": "a", "refresh_token": "r", "expires_in": 900,
        "staff": {"id": "s", "username": "alex", "display_name": "Alex", "group": "front-desk", "badge": 1},
        "account": {"slug": "acme", "name": "Acme"}, "theme": "dark",
    }
    assert TokenResponse.model_validate(body).staff.username == "alex"
    assert AuditPage.model_config.get("extra") == "ignore"


def test_a_request_with_an_unknown_field_is_refused():
    mutation = {"id": "m", "desk_id": "d", "seq": 1, "staff_id": "s", "made_at": "2026-11-25T10:00:00",
                "type": "check_in", "payload": {}}
    PushRequest.model_validate({"mutations": [mutation]})
    with pytest.raises(pydantic.ValidationError):
        PushRequest.model_validate({"mutations": [mutation], "sneaky": True})
    with pytest.raises(pydantic.ValidationError):
        PushRequest.model_validate({"mutations": [dict(mutation, extra_field=1)]})
