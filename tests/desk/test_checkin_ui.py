"""Check-in on the real sync stack: type, pick with Enter, check in with Enter, and again."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from desk.presenters.formatting import clock, now_at
from tests.desk.desk_helpers import config_for, ops_done, signed_in_desk, until

pytestmark = [pytest.mark.gui, pytest.mark.asyncio(loop_factories=["qasync"])]


def a_child_with_a_class_today(store, location):
    """(student, session) from the real cache: someone enrolled in a class at this location today,
    in a class not over yet when there is one (the `account` fixture makes one running now)."""
    now = now_at(location.timezone, store.clock)
    for session in sorted(store.sessions_on(location.id, now.date()), key=lambda s: s.ends_at <= now):
        for row in store.roster(session.id):
            if not row.drop_in and not session.cancelled:
                return row, session
    raise AssertionError("no class with students at this desk's today (the `account` fixture makes one)")


async def test_type_pick_and_check_in_then_the_second_time_says_already(qtbot, live_server, account, tmp_path, memory_keyring):
    config = config_for(live_server.url, account, tmp_path / "desk")
    async with signed_in_desk(qtbot, config, account["password"]) as (session, window):
        screen = window.checkin
        assert screen.search.hasFocus() or window.focusWidget() is screen.search
        student, klass = a_child_with_a_class_today(session.store, window.location)

        qtbot.keyClicks(screen.search, f"{student.first_name[:3]} {student.last_name[:2]}")
        hits = screen.presenter.hits
        assert hits and screen.results.count() == len(hits)
        assert student.student_id in [h.id for h in hits]
        for _ in range([h.id for h in hits].index(student.student_id)):
            qtbot.keyClick(screen.search, Qt.Key.Key_Down)
        qtbot.keyClick(screen.search, Qt.Key.Key_Return)  # picks: the card opens
        card = screen.presenter.card
        assert card is not None and card.student.id == student.student_id
        assert screen.card.name.text() == student.full_name
        number = [c.session.id for c in card.sessions_today].index(klass.id) + 1
        qtbot.keyClick(screen.search, Qt.Key.Key_0 + number)  # 1..9 picks the class
        assert screen.presenter.chosen_session_id == klass.id

        pending_before = session.store.pending_count()
        qtbot.keyClick(screen.search, Qt.Key.Key_Return)  # checks in
        await ops_done()
        expected = f"{student.full_name} checked in · {klass.name} {clock(klass.starts_at)}"
        assert window.toast.last_text == expected and window.toast.isVisible()
        assert screen.search.text() == "" and screen.search.hasFocus()
        assert any(r.student_id == student.student_id and r.status == "present" and r.checked_in
                   for r in session.store.roster(klass.id))
        assert session.store.pending_count() in (pending_before, pending_before + 1)  # recorded (maybe sent already)
        qtbot.keyClick(screen.search, Qt.Key.Key_Return)  # a bouncing Enter records nothing more
        await ops_done()
        assert window.toast.last_text == expected

        qtbot.keyClicks(screen.search, student.first_name)
        for _ in range([h.id for h in screen.presenter.hits].index(student.student_id)):
            qtbot.keyClick(screen.search, Qt.Key.Key_Down)
        qtbot.keyClick(screen.search, Qt.Key.Key_Return)
        qtbot.keyClick(screen.search, Qt.Key.Key_0 + number)
        qtbot.keyClick(screen.search, Qt.Key.Key_Return)
        await ops_done()
        assert window.toast.last_text == f"{student.full_name} is already checked in · {klass.name} {clock(klass.starts_at)}"
        assert screen.search.text() == ""

        await until(lambda: session.engine.status.pending == 0 and session.engine.status.online, what="the check-in sent")


async def test_results_follow_the_typing_and_say_when_nothing_matches(qtbot, live_server, account, tmp_path, memory_keyring):
    async with signed_in_desk(qtbot, config_for(live_server.url, account, tmp_path / "desk"), account["password"]) as (
        _session, window,
    ):
        screen = window.checkin
        qtbot.keyClicks(screen.search, "zzqx")
        assert screen.results.count() == 0
        assert "No student matches" in screen.results_empty.text()
        qtbot.keyClick(screen.search, Qt.Key.Key_Escape)
        assert screen.search.text() == "" and screen.presenter.hits == []
