"""sync.core.ids.new_id: RFC 9562 UUIDv7, unique and in the order made."""

from __future__ import annotations

import threading
import time
import uuid

from sync.core import ids


def test_ids_are_version_7_with_the_time_of_making():
    before = time.time_ns() // 1_000_000
    u = uuid.UUID(ids.new_id())
    after = time.time_ns() // 1_000_000
    assert u.version == 7 and u.variant == uuid.RFC_4122
    assert before <= u.int >> 80 <= after + 1


def test_ids_sort_in_the_order_made_and_never_repeat_even_across_threads():
    made = [ids.new_id() for _ in range(50_000)]
    assert made == sorted(made) and len(set(made)) == len(made)
    found: list[list[str]] = [[] for _ in range(4)]

    def work(out: list[str]) -> None:
        out.extend(ids.new_id() for _ in range(10_000))

    threads = [threading.Thread(target=work, args=(out,)) for out in found]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    every = [i for out in found for i in out]
    assert len(set(every)) == len(every)
    assert all(out == sorted(out) for out in found)


def test_a_clock_stepping_back_keeps_the_order(monkeypatch):
    first = ids.new_id()
    real = time.time_ns
    monkeypatch.setattr(ids.time, "time_ns", lambda: real() - 5_000_000_000)  # five seconds back
    later = [ids.new_id() for _ in range(5000)]  # more than one millisecond's counter
    assert [first, *later] == sorted([first, *later]) and len(set(later)) == 5000


def test_quicker_than_the_uuid_module_by_far():
    start = time.perf_counter()
    for _ in range(20_000):
        ids.new_id()
    ours = time.perf_counter() - start
    start = time.perf_counter()
    for _ in range(20_000):
        str(uuid.uuid4())
    stdlib = time.perf_counter() - start
    assert ours < stdlib * 4  # a guard against an accidental slow path, not a benchmark
