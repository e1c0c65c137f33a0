"""Member-card swipe to check-in at the desk, over a cache of 100k students.

Measures the time from the last keystroke of a keyboard-mode swipe (the Enter after `?`) to the
student checked in and shown (their name on the card and in the toast): the real main window with
the KEM filter installed app-wide, the real DeskStore (keyed-hash lookup, outbox, cache) on a
qasync loop. The swipe's earlier keys are sent at a swiper's rate just before. The baseline,
in the same run on the same files, is DeskStore.check_in_by_card called directly: what the key
filter and the screen add on top is the ratio.

Goal (issue: card swipers): p99 under 50 ms.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from bench.dataset import account_changes  # noqa: E402
from bench.search_typing import PAGE, percentile  # noqa: E402
from sync.core.ids import new_id, utcnow  # noqa: E402
from sync.core.member_cards import card_hash, member_card_id, new_card_key  # noqa: E402
from sync.core.schema import ClassSchedule, ClassSession, Enrollment, MemberCard, Staff, record_to_wire  # noqa: E402
from sync.store import DeskStore  # noqa: E402
from sync.core.wire import Change  # noqa: E402

CARDS = 400


def _none_refcount_workaround() -> None:
    """PySide6 6.12's abi3 wheels return None from void methods without taking a reference, which
    is harmless where None is immortal (Python 3.12+) but on 3.11 takes one reference from None per
    call (QTimer.start, QKeyEvent.setTimestamp...): after a few thousand the interpreter aborts with
    "none_dealloc". Until the project runs on 3.12+ or a fixed PySide6, give None a head start."""
    if sys.version_info < (3, 12):
        import ctypes

        ctypes.c_ssize_t.from_address(id(None)).value += 1 << 40


def fill(store: DeskStore, students: int, key: str) -> list[tuple[str, str]]:
    """The 100k-student account, plus a class today and member cards for some students: (number, name)."""
    changes, _ = account_changes(students)
    usn = changes[-1].usn
    location_id = changes[0].id
    extra = []

    def add(type_name: str, record) -> None:
        nonlocal usn
        usn += 1
        record.usn = usn
        extra.append(Change(type=type_name, id=record.id, usn=usn, data=record_to_wire(record)))

    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    today = dt.datetime.now(dt.UTC).astimezone(__import__("zoneinfo").ZoneInfo("America/Chicago")).date()
    sched = ClassSchedule(id=new_id(), location_id=location_id, name="Open Gym", weekday=today.weekday(),
                          start_time=dt.time(23, 0), duration_minutes=60)
    add("class_schedule", sched)
    add("class_session", ClassSession(id=new_id(), schedule_id=sched.id, location_id=location_id, date=today,
                                      starts_at=now + dt.timedelta(minutes=30), ends_at=now + dt.timedelta(minutes=90)))
    add("staff", Staff(id="bench-staff", username="bench", display_name="Bench"))
    students_rows = [c for c in changes if c.type == "student"]
    cards = []
    step = max(1, len(students_rows) // CARDS)
    for i, row in enumerate(students_rows[::step][:CARDS]):
        number = f"{7_000_000 + i:08d}"
        hashed = card_hash(key, number)
        add("enrollment", Enrollment(id=new_id(), student_id=row.id, schedule_id=sched.id, start_date=today))
        add("member_card", MemberCard(id=member_card_id(hashed), card_hash=hashed, student_id=row.id,
                                      staff_id="bench-staff", assigned_at=utcnow()))
        cards.append((number, f"{row.data['first_name']} {row.data['last_name']}"))
    every = changes + extra
    for i in range(0, len(every), PAGE):
        page = every[i : i + PAGE]
        store.writer.run_sync(store.cache.apply_pull, page, page[-1].usn)
    return cards


def send_keys(text: str, gap_ms: float, start_ms: float) -> None:
    """Key presses and releases with window-system timestamps, to the focused widget, like a swiper."""
    from PySide6.QtCore import QEvent, Qt
    from PySide6.QtGui import QKeyEvent
    from PySide6.QtWidgets import QApplication

    at = start_ms
    for ch in text:
        target = QApplication.focusWidget()
        key = int(Qt.Key.Key_Return) if ch == "\r" else ord(ch.upper())
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            event = QKeyEvent(kind, key, Qt.KeyboardModifier.NoModifier, ch)
            event.setTimestamp(int(at))
            QApplication.sendEvent(target, event)
        at += gap_ms


async def swipes_ms(window, cards: list[tuple[str, str]]) -> list[float]:
    times = []
    clock = 1_000_000.0
    for number, name in cards:
        swipe = f";{number}?\r"
        clock += 5000
        send_keys(swipe[:-1], 3, clock)  # all but the Enter, at a swiper's rate
        started = time.perf_counter()
        send_keys("\r", 3, clock + 3 * (len(swipe) - 1))
        while not (window.toast.last_text.startswith(name) and window.checkin.card.name.text() == name):
            await asyncio.sleep(0.0005)
        times.append((time.perf_counter() - started) * 1000)
    return times


async def direct_ms(store: DeskStore, location_id: str, cards: list[tuple[str, str]]) -> list[float]:
    times = []
    for number, _ in cards:
        started = time.perf_counter()
        await store.check_in_by_card(number, location_id)
        times.append((time.perf_counter() - started) * 1000)
    return times


def run(students: int = 100_000) -> None:
    import qasync
    from PySide6.QtWidgets import QApplication

    from desk.swipe_handling import install_swiper
    from desk.widgets.main_window import MainWindow

    _none_refcount_workaround()
    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory() as tmp:
        store = DeskStore(Path(tmp), staff_id="bench-staff")
        store.card_key = new_card_key()
        try:
            started = time.perf_counter()
            cards = fill(store, students, store.card_key)
            print(f"swipe: cache of {students:,} students, {len(cards)} member cards, filled in "
                  f"{time.perf_counter() - started:.1f} s")
            window = MainWindow(store, staff_name="Bench", account_name="Bench")
            window.resize(1366, 768)
            install_swiper(window)
            window.show()
            window.activateWindow()
            app.processEvents()
            half = len(cards) // 2

            async def measure():
                ui = await swipes_ms(window, cards[:half])
                base = await direct_ms(store, window.location.id, cards[half:])
                return ui, base

            with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner:
                ui, base = runner.run(measure())
            window.close()
        finally:
            store.close()
    for label, values in (("last key -> checked in and shown", ui), ("baseline: check_in_by_card", base)):
        print(f"swipe: {label:33} n={len(values):4}  p50 {statistics.median(values):6.2f} ms"
              f"  p99 {percentile(values, 99):6.2f} ms  max {max(values):6.2f} ms")
    print(f"swipe: ratio screen/baseline  p50 {statistics.median(ui) / statistics.median(base):.1f}x"
          f"  p99 {percentile(ui, 99) / percentile(base, 99):.1f}x   (goal: screen p99 < 50 ms)")


if __name__ == "__main__":
    run(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
