"""Live changes across server processes for an account in PostgreSQL: a desk waiting on one
process hears of a change pushed through another at once (LISTEN/NOTIFY), not at its next look."""

from __future__ import annotations

import threading
import time

import httpx

from server.secrets_box import KEY_ENV, new_key
from tests.helpers.pg_accounts import main_server_dsn, make_pg_account, placed_accounts
from tests.helpers.server_process import ServerProcess
from tests.server.api import check_in, login, pull_all, push
from tests.server.conftest import world_of

# The waiters' own looks are 30 s apart here: only a notification can answer within seconds.
SLOW_LOOKS = {"FRONTDESK_LIVE_RECHECK_SECONDS": "30"}


def test_a_change_through_one_process_wakes_a_desk_waiting_on_another(tmp_path, monkeypatch):
    key = new_key()
    monkeypatch.setenv(KEY_ENV, key)
    with placed_accounts(tmp_path, main_server_dsn()) as placement:
        make_pg_account(tmp_path, placement, families=5)
        env = {KEY_ENV: key, **SLOW_LOOKS}
        with ServerProcess(tmp_path, env=env) as a, ServerProcess(tmp_path, env=env) as b:
            with httpx.Client(base_url=a.url, timeout=30) as on_a, httpx.Client(base_url=b.url, timeout=30) as on_b:
                waiter, pusher = login(on_a), login(on_b)
                everything = pull_all(on_a, waiter["headers"])
                head = max(c["usn"] for c in everything)
                world = world_of(everything)

                answers: list[tuple[float, dict]] = []

                def wait() -> None:
                    r = on_a.get("/v1/sync/wait", params={"after": head, "timeout": 20}, headers=waiter["headers"])
                    answers.append((time.monotonic(), r.json()))

                thread = threading.Thread(target=wait)
                thread.start()
                try:
                    time.sleep(1.0)  # the wait is in, and process a listens on the account's database
                    assert not answers
                    pushed_at = time.monotonic()
                    r = push(on_b, pusher, [check_in(pusher, 1, world["student_ids"][0], world["location_id"])])
                    assert r.status_code == 200, r.text
                finally:
                    thread.join(25)
                answered_at, answer = answers[0]
                assert answer["changed"] is True and answer["head"] == head + 1
                assert answered_at - pushed_at < 3.0, f"took {answered_at - pushed_at:.1f} s: not told, it looked by itself"
