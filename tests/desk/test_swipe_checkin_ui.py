"""Swipes at the desk on the real sync stack: member cards check in with zero keys, nothing else
changes the screen, and no card data reaches any file or log (the PCI test)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from desk.presenters.formatting import now_at
from tests.desk.desk_helpers import config_for, ops_done, signed_in_desk, until
from tests.desk.swipe_helpers import SWIPER_GAP_MS, offline_desk, swipe
from tests.desk.test_checkin_ui import a_child_with_a_class_today
from tests.fixtures import cards as tc
from tests.helpers.keys import type_text

pytestmark = [pytest.mark.gui, pytest.mark.asyncio(loop_factories=["qasync"])]

MEMBER = "00423817"


def member_swipe(number: str = MEMBER) -> str:
    return f";{number}?\r"


def pick_student(qtbot, screen, student) -> None:
    qtbot.keyClicks(screen.search, student.first_name)
    ids = [h.id for h in screen.presenter.hits]
    for _ in range(ids.index(student.student_id)):
        qtbot.keyClick(screen.search, Qt.Key.Key_Down)
    qtbot.keyClick(screen.search, Qt.Key.Key_Return)  # the card opens
    assert screen.presenter.card is not None and screen.presenter.card.student.id == student.student_id


async def test_a_member_card_is_given_once_then_checks_in_with_zero_keys(qtbot, live_server, account, tmp_path, memory_keyring):
    config = config_for(live_server.url, account, tmp_path / "desk")
    async with signed_in_desk(qtbot, config, account["password"]) as (session, window):
        screen = window.checkin
        student, _klass = a_child_with_a_class_today(session.store, window.location)
        assert session.store.student_card(student.student_id, window.location.id).suggested_session_id is not None
        assert "Swiper" in window.status.swiper.text() and window.status.swiper.isVisible()

        # An unknown card: nothing is recorded, the desk offers to give it to a student.
        pending = session.store.pending_count()
        await swipe(window, member_swipe())
        assert screen.assign_banner.isVisible() and "New member card" in screen.assign_banner.text()
        assert screen.search.text() == "" and session.store.pending_count() == pending
        pick_student(qtbot, screen, student)
        qtbot.keyClick(screen.search, Qt.Key.Key_Return)  # Enter gives the card instead of checking in
        await ops_done()
        assert window.toast.last_text == f"Member card given to {student.full_name}. Swipe it to check them in."
        assert not screen.assign_banner.isVisible()

        # From another screen, with a name half typed elsewhere: the swipe checks in and shows who.
        qtbot.keyClick(window, Qt.Key.Key_F2)
        assert window.current_screen() is window.roster
        await swipe(window, member_swipe())
        assert window.current_screen() is screen
        assert window.toast.last_text.startswith(f"{student.full_name} checked in")
        assert screen.presenter.card is not None and screen.card.name.text() == student.full_name
        assert screen.search.text() == "" and screen.search.hasFocus()
        assert any(r.student_id == student.student_id and r.checked_in
                   for s in session.store.sessions_on(window.location.id, now_at(window.location.timezone, session.store.clock).date())
                   for r in session.store.roster(s.id))
        await swipe(window, member_swipe())
        assert window.toast.last_text.startswith(f"{student.full_name} is already checked in")


async def test_payment_cards_and_bad_reads_leave_the_screen_as_it_was(qtbot, tmp_path):
    async with offline_desk(qtbot, tmp_path / "desk") as (window, store, _demo):
        screen = window.checkin
        screen.search.setFocus()
        qtbot.keyClicks(screen.search, "Emm")
        hits = list(screen.presenter.hits)
        assert hits
        pending = store.pending_count()

        await swipe(window, tc.magtek(tc.VISA))
        assert window.toast.last_text.startswith("Visa ending 1111 is a payment card")
        assert "payment screen" in window.toast.last_text
        assert (screen.search.text(), screen.presenter.hits) == ("Emm", hits)

        type_text(tc.magtek(tc.AMEX)[:30], gap_ms=SWIPER_GAP_MS)  # the swipe stops halfway
        await until(lambda: window.toast.last_text.startswith("Swipe again"), what="the bad read said")
        assert (screen.search.text(), screen.presenter.hits) == ("Emm", hits)
        assert window.status.swiper.property("tone") == "amber"
        window.toast.last_text = ""
        await swipe(window, "%E?;E?\r")
        assert window.toast.last_text.startswith("Swipe again")
        assert store.pending_count() == pending and screen.search.text() == "Emm"

        # A child picked on check-in: a payment card swiped now opens the family's payment with it.
        qtbot.keyClick(screen.search, Qt.Key.Key_Return)
        await ops_done()
        family_id = screen.presenter.card.student.family_id
        await swipe(window, tc.magtek(tc.VISA))
        dialog = window.families.dialog
        assert window.current_screen() is window.families and window.families.presenter.view.id == family_id
        assert dialog is not None and dialog.isVisible() and dialog.swipe_prompt.text().startswith("Visa ending 1111")
        dialog.close()


def _written_files(*roots: Path) -> list[Path]:
    return [p for root in roots for p in root.rglob("*") if p.is_file()]


async def test_no_card_data_reaches_any_file_or_log(qtbot, live_server, account, tmp_path, memory_keyring, caplog):
    """PCI: swipe test cards through check-in (member and payment), sync, then search every file the
    desk and the server wrote (cache, outbox, account database with its audit log, registry, logs)
    and every log line for the card numbers and track data. Only brand and last four may show."""
    caplog.set_level(logging.DEBUG)
    log_file = tmp_path / "desk.log"
    handler = logging.FileHandler(log_file)
    handler.setLevel(logging.DEBUG)
    logging.getLogger().addHandler(handler)
    swipes = [tc.magtek(pan) for pan in tc.ALL_PANS] + [
        tc.magtek(tc.VISA)[:40],
        tc.magtek(tc.UNIONPAY_NO_LUHN),  # a card without a Luhn check digit
        tc.track1(tc.spaced(tc.AMEX, tc.AMEX_GROUPS)) + tc.track2(tc.AMEX) + "\r",  # a spaced number on track 1
        f"%B{tc.VISA_2}^DOE?" + tc.track2(tc.VISA_2) + "\r",  # an odd track 1 before a good track 2
        tc.LICENCE,  # a driver's licence: nothing of it may be kept
        member_swipe(),
    ]
    try:
        async with signed_in_desk(qtbot, config_for(live_server.url, account, tmp_path / "desk"), account["password"]) as (
            session, window,
        ):
            student, _ = a_child_with_a_class_today(session.store, window.location)
            screen = window.checkin
            for text in swipes:
                await swipe(window, text)
            await until(lambda: window.toast.last_text.startswith("Swipe again") or screen.assign_banner.isVisible())
            pick_student(qtbot, screen, student)
            qtbot.keyClick(screen.search, Qt.Key.Key_Return)  # give the member card
            await ops_done()
            await swipe(window, member_swipe())  # and check in with it
            assert window.toast.last_text.startswith(f"{student.full_name} ")
            await until(lambda: session.engine.status.pending == 0 and session.engine.status.online, what="all sent")
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()

    secrets = set(tc.ALL_PANS) | {MEMBER}
    secrets |= {s.strip() for s in swipes}  # whole swipes
    secrets |= {s.split("?")[0] for s in swipes}  # track 1 text alone
    secrets |= {pan[6:12] for pan in tc.ALL_PANS if len(set(pan[6:12])) > 2}  # the hidden middle digits
    secrets |= {tc.UNIONPAY_NO_LUHN, tc.spaced(tc.AMEX, tc.AMEX_GROUPS), "63601412345678", "ROE$CHERYL", "19850315"}
    files = _written_files(tmp_path / "desk", account["data_dir"], log_file.parent)
    assert any(f.name.startswith("outbox") for f in files) and any("registry" in f.name for f in files)
    assert len(files) >= 5
    found = {(str(f), s) for f in files for s in secrets if s.encode() in f.read_bytes()}
    assert found == set()
    logged = caplog.text + log_file.read_text()
    assert [s for s in secrets if s in logged] == []
