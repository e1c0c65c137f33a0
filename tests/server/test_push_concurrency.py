"""Concurrent requests serialize on the account database instead of failing with "locked"."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.server.api import check_in, count, login, pull_all, query


def _push(url: str, session: dict, mutations: list[dict]) -> tuple[int, list]:
    with httpx.Client(base_url=url, timeout=30) as c:
        r = c.post("/v1/sync/push", json={"mutations": mutations}, headers=session["headers"])
        return r.status_code, r.json().get("results", r.json())


def test_desks_pushing_at_once_all_apply_with_distinct_usns(live_server, client, world, db_path):
    desks = [login(client) for _ in range(3)]
    students = world["student_ids"]
    jobs = []
    for d in desks:
        seq = 0
        for _batch in range(4):
            batch = []
            for _ in range(5):
                seq += 1
                batch.append(check_in(d, seq, students[seq % len(students)], world["location_id"]))
            jobs.append((d, batch))
    def run_desk(d):
        # One desk's batches go in order, as a desk sends them; the desks run side by side.
        return [_push(live_server.url, d, b) for dd, b in jobs if dd is d]

    def run_pulls():
        with httpx.Client(base_url=live_server.url, timeout=30) as c:
            return [len(pull_all(c, d["headers"])) for d in desks for _ in range(3)]

    with ThreadPoolExecutor(max_workers=4) as pool:
        pulls = pool.submit(run_pulls)
        outcomes = list(pool.map(run_desk, desks))
        pulls = pulls.result()
    results = [r for desk_outcomes in outcomes for status, rs in desk_outcomes for r in rs]
    assert all(status == 200 for desk_outcomes in outcomes for status, _ in desk_outcomes)
    assert len(results) == 60 and all(r["status"] == "applied" for r in results)
    usns = [r["usn"] for r in results]
    assert len(set(usns)) == 60
    assert count(db_path, "check_in") == 60
    assert all(p > 0 for p in pulls)


def test_the_same_batch_pushed_at_once_applies_once(live_server, client, world, db_path):
    d = login(client)
    batch = [check_in(d, seq, world["student_ids"][seq], world["location_id"]) for seq in range(1, 6)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = list(pool.map(lambda _: _push(live_server.url, d, batch), range(4)))
    assert [status for status, _ in outcomes] == [200] * 4
    assert all(results == outcomes[0][1] for _, results in outcomes)
    assert count(db_path, "check_in") == 5
    assert query(db_path, "SELECT count(*), count(DISTINCT seq) FROM applied_mutation") == [(5, 5)]
