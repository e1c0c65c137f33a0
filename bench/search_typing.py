"""Search as you type at the check-in screen over a cache of 100k students.

Measures, per keystroke, the time from the key event to the results shown: the real
CheckInScreen on the real DeskStore and cache, a QTest key click, then the event loop run until
the list is laid out and painted (offscreen). The baseline, measured in the same run on the same
file, is the bare FTS5 lookup of the same words through the sqlite3 module: what the screen adds
on top of the database is the ratio.

Goal (issue: vertical slice): p99 under 30 ms per keystroke.
"""

from __future__ import annotations

import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from bench.dataset import account_changes  # noqa: E402
from sync.store import DeskStore  # noqa: E402

PAGE = 5000


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def fill(store: DeskStore, students: int) -> float:
    changes, _ = account_changes(students)
    started = time.perf_counter()
    for i in range(0, len(changes), PAGE):
        page = changes[i : i + PAGE]
        store.writer.run_sync(store.cache.apply_pull, page, page[-1].usn)
    return time.perf_counter() - started


def typed_queries(students: int, count: int, seed: int = 11) -> list[str]:
    """What staff type: a first name letter by letter, then a space and the start of the family name."""
    _, names = account_changes(students)
    rnd = random.Random(seed)
    queries = []
    for first, last in rnd.sample(names, count):
        text = first[: rnd.randint(2, len(first))] + " " + last[: rnd.randint(1, 3)]
        queries.append(text)
    return queries


def raw_lookup_ms(db_path: Path, queries: list[str]) -> list[float]:
    conn = sqlite3.connect(db_path)
    times = []
    for text in queries:
        for n in range(1, len(text) + 1):
            words = text[:n].split()
            if not words:
                continue
            match = " ".join('"' + w.replace('"', '""') + '"*' for w in words)
            started = time.perf_counter()
            conn.execute("SELECT rowid FROM student_fts WHERE student_fts MATCH ? LIMIT 12", (match,)).fetchall()
            times.append((time.perf_counter() - started) * 1000)
    conn.close()
    return times


def store_search_ms(store: DeskStore, queries: list[str]) -> list[float]:
    times = []
    for text in queries:
        for n in range(1, len(text) + 1):
            if not text[:n].strip():
                continue
            started = time.perf_counter()
            store.search_students(text[:n], limit=12)
            times.append((time.perf_counter() - started) * 1000)
    return times


def screen_keystrokes_ms(store: DeskStore, queries: list[str]) -> list[float]:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from desk.presenters.checkin import CheckInPresenter
    from desk.widgets.checkin_screen import CheckInScreen

    app = QApplication.instance() or QApplication([])
    presenter = CheckInPresenter(store, store.locations()[0])
    screen = CheckInScreen(presenter, notify=lambda text, tone: None)
    screen.resize(1366, 768)
    screen.show()
    app.processEvents()
    times = []
    for text in queries:
        screen.clear()
        app.processEvents()
        for ch in text:
            started = time.perf_counter()
            QTest.keyClick(screen.search, ch if ch != " " else Qt.Key.Key_Space)
            app.processEvents()  # layout and paint of the new results
            times.append((time.perf_counter() - started) * 1000)
        assert screen.search.text() == text, (screen.search.text(), text)
    screen.close()
    return times


def run(students: int = 100_000, queries: int = 200) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = DeskStore(Path(tmp))
        try:
            fill_s = fill(store, students)
            print(f"search: cache of {students:,} students filled through apply_pull in {fill_s:.1f} s")
            typed = typed_queries(students, queries)
            raw = raw_lookup_ms(store.cache.path, typed)
            ranked = store_search_ms(store, typed)
            ui = screen_keystrokes_ms(store, typed)
        finally:
            store.close()
    for name, values in (
        ("keystroke -> results shown", ui),
        ("DeskStore.search_students", ranked),
        ("baseline: bare FTS5 lookup", raw),
    ):
        print(
            f"search: {name:28} n={len(values):5}  p50 {statistics.median(values):6.2f} ms"
            f"  p99 {percentile(values, 99):6.2f} ms  max {max(values):6.2f} ms"
        )
    print(
        f"search: ratio screen/baseline  p50 {statistics.median(ui) / statistics.median(raw):.1f}x"
        f"  p99 {percentile(ui, 99) / percentile(raw, 99):.1f}x   (goal: screen p99 < 30 ms)"
    )


if __name__ == "__main__":
    run(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
