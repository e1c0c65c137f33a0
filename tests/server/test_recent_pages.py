"""server.pull.RecentPages: a pull page asked for by several desks at once is read once."""

from __future__ import annotations

import time

import pytest

from server.pull import RecentPages
from sync.core.wire import Change, PullResponse
from tests.server.api import check_in, push

pytestmark = pytest.mark.timeout(60)


def page(n: int, cursor: int = 10) -> PullResponse:
    return PullResponse(changes=[Change(type="check_in", id=str(i), usn=i + 1) for i in range(n)], cursor=cursor, more=False)


def test_a_page_is_kept_for_its_seconds_only():
    pages = RecentPages(seconds=0.2)
    pages.put(("a", 1), page(3))
    assert pages.get(("a", 1)) == page(3)
    assert pages.get(("a", 2)) is None
    time.sleep(0.25)
    assert pages.get(("a", 1)) is None


def test_empty_and_large_pages_are_not_kept_and_the_oldest_go_first():
    pages = RecentPages(seconds=60, most=2, largest=5)
    pages.put(("empty",), page(0))
    pages.put(("large",), page(6))
    assert pages.get(("empty",)) is None and pages.get(("large",)) is None
    for key in ("one", "two", "three"):
        pages.put((key,), page(1))
    assert pages.get(("one",)) is None
    assert pages.get(("two",)) is not None and pages.get(("three",)) is not None


def test_desks_asking_for_one_range_get_one_read_and_a_new_change_is_a_new_range(client, session, world, monkeypatch):
    import server.api.routes.sync as routes

    reads = []
    real = routes.pull_changes
    monkeypatch.setattr(routes, "pull_changes", lambda *a, **k: reads.append(a[1:3]) or real(*a, **k))
    h = session["headers"]
    head = client.get("/v1/sync/pull", params={"after": 0, "limit": 1}, headers=h).json()["head"]
    push(client, session, [check_in(session, 1, world["student_ids"][0], world["location_id"])])
    answers = [client.get("/v1/sync/pull", params={"after": head}, headers=h).json() for _ in range(3)]
    assert answers[0] == answers[1] == answers[2] and [c["type"] for c in answers[0]["changes"]] == ["check_in"]
    assert len(reads) == 2  # the first pull above and one of these three
    push(client, session, [check_in(session, 2, world["student_ids"][1], world["location_id"])])
    again = client.get("/v1/sync/pull", params={"after": head}, headers=h).json()
    assert len(again["changes"]) == 2 and again["cursor"] > answers[0]["cursor"]
    assert len(reads) == 3
