"""The engine's backoff stays a number of seconds however long a desk has been offline."""

from __future__ import annotations

from sync.engine import SyncEngine


def test_backoff_after_thousands_of_failed_rounds_is_still_bounded(tmp_path):
    engine = SyncEngine.__new__(SyncEngine)  # only the backoff's fields matter here
    engine.backoff_min, engine.backoff_max = 0.5, 60.0
    for failures in (0, 1, 5, 1025, 10**6):
        engine.failures = failures
        delay = engine._backoff()
        assert 0.5 <= delay <= 60.0
    assert 0.5 <= engine._backoff(5000) <= 60.0
