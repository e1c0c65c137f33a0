"""Live changes across server processes for an account in a SQLite file: a desk waiting on one
process hears of a change pushed through another within a moment (the file changed,
server.live_sqlite), not at its next look at the database."""

from __future__ import annotations

import threading
import time

import httpx

from tests.helpers.server_process import ServerProcess, make_account
from tests.server.api import check_in, login, pull_all, push
from tests.server.conftest import world_of

# The waiters' own looks at the database are 30 s apart here: only the file can answer within seconds.
SLOW_LOOKS = {"FRONTDESK_LIVE_RECHECK_SECONDS": "30"}


def test_a_change_through_one_process_wakes_a_desk_waiting_on_another(tmp_path):
    make_account(tmp_path, families=5)
    with ServerProcess(tmp_path, env=SLOW_LOOKS) as a, ServerProcess(tmp_path, env=SLOW_LOOKS) as b:
        with httpx.Client(base_url=a.url, timeout=30) as on_a, httpx.Client(base_url=b.url, timeout=30) as on_b:
            waiter, pusher = login(on_a), login(on_b)
            everything = pull_all(on_a, waiter["headers"])
            head = max(c["usn"] for c in everything)
            world = world_of(everything)
            answers: list[tuple[float, dict]] = []

            def wait(after: int) -> None:
                r = on_a.get("/v1/sync/wait", params={"after": after, "timeout": 20}, headers=waiter["headers"])
                answers.append((time.monotonic(), r.json()))

            for n in (1, 2):  # twice: the second commit lands on a file already looked at
                thread = threading.Thread(target=wait, args=(head,))
                thread.start()
                try:
                    time.sleep(1.0)  # the wait is in, and process a looks at the account's file
                    assert not answers
                    pushed_at = time.monotonic()
                    r = push(on_b, pusher, [check_in(pusher, n, world["student_ids"][n], world["location_id"])])
                    assert r.status_code == 200, r.text
                finally:
                    thread.join(25)
                answered_at, answer = answers.pop()
                assert answer["changed"] is True and answer["head"] == head + 1
                assert answered_at - pushed_at < 3.0, f"took {answered_at - pushed_at:.1f} s: not told, it looked by itself"
                head = answer["head"]
