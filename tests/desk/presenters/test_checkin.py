import asyncio
import datetime as dt

from desk.presenters.checkin import CheckInPresenter
from sync.views import CheckInOutcome
from tests.desk.fakes import DOWNTOWN, NORTH, FakeStore, at


def presenter(store=None) -> CheckInPresenter:
    return CheckInPresenter(store or FakeStore(), DOWNTOWN)


def test_typing_gives_results_best_first_with_the_first_highlighted():
    p = presenter()
    assert [h.first_name for h in p.search("emm")] == ["Emma", "Emmet"]
    assert p.highlighted == 0
    assert p.search("  ") == [] and p.highlighted == -1


def test_arrows_move_within_the_results_and_stop_at_the_ends():
    p = presenter()
    p.search("emm")
    assert p.move(1) == 1
    assert p.move(1) == 1
    assert p.move(-5) == 0


def test_enter_picks_the_highlighted_student_with_the_suggested_class_chosen():
    p = presenter()
    p.search("emm")
    p.move(1)
    card = p.pick()
    assert card.student.first_name == "Emmet"
    assert p.chosen_session_id == "ses-tumble"
    lines = p.class_lines()
    assert [(line.key, line.time, line.chosen) for line in lines] == [
        ("1", "4:00 PM", True), ("2", "5:00 PM", False), ("3", "6:00 PM", False)]
    assert p.ready()


def test_digits_choose_another_class_but_not_a_cancelled_or_missing_one():
    p = presenter()
    p.search("emma")
    p.pick()
    assert p.choose(2) and p.chosen_session_id == "ses-cheer"
    assert not p.choose(3) and p.chosen_session_id == "ses-cheer"  # Ninja is cancelled
    assert not p.choose(7)


def test_check_in_goes_to_the_chosen_class_and_the_card_then_waits_for_the_next_child():
    store = FakeStore()
    p = presenter(store)
    p.search("emma")
    p.pick()
    p.choose(2)
    outcome = asyncio.run(p.check_in())
    assert store.calls == [("check_in", "s-emma", DOWNTOWN.id, "ses-cheer")]
    assert p.toast_text(outcome) == "Emma Lee checked in · Cheer Basics 5:00 PM"
    p.after_check_in()
    assert p.query == "" and p.hits == []
    assert not p.ready()  # a second Enter must not record the child again
    assert [line.done for line in p.class_lines()] == [False, True, False]


def test_the_toast_says_when_the_child_was_already_checked_in():
    p = presenter()
    outcome = CheckInOutcome("Emma Lee", "Level 2 Tumbling", at(16), already=True, check_in_id=None)
    assert p.toast_text(outcome) == "Emma Lee is already checked in · Level 2 Tumbling 4:00 PM"
    plain = CheckInOutcome("Emma Lee", None, None, already=False, check_in_id="x")
    assert p.toast_text(plain) == "Emma Lee checked in · Downtown"


def test_no_classes_at_the_location_says_so_and_nothing_is_chosen():
    store = FakeStore()
    p = CheckInPresenter(store, NORTH)
    p.search("noah")
    card = p.pick()
    assert card.sessions_today == () and p.chosen_session_id is None
    assert p.empty_classes_text().startswith("No classes today at Northside")
    assert p.ready()  # still checks in, without a class


def test_the_only_class_of_the_day_is_chosen_even_when_the_student_is_not_enrolled():
    store = FakeStore()
    store.sessions = store.sessions[:1]
    store.suggested = None
    p = presenter(store)
    p.search("emmet")
    p.pick()
    assert p.chosen_session_id == "ses-tumble"


def test_typing_again_closes_the_card():
    p = presenter()
    p.search("emma")
    p.pick()
    p.search("noa")
    assert p.card is None and not p.ready()


def test_formatting_helpers():
    from desk.presenters.formatting import age_text, clock, initials, session_title

    assert clock(dt.datetime(2025, 1, 1, 9, 5)) == "9:05 AM"
    assert clock(dt.datetime(2025, 1, 1, 16, 0)) == "4:00 PM"
    assert initials("emma", "Lee") == "EL" and initials("", "") == "?"
    assert age_text(1) == "1 year old" and age_text(None) == ""
    assert session_title("Tumbling", "Level 2") == "Level 2 Tumbling"
    assert session_title("Level 2 Tumbling", "Level 2") == "Level 2 Tumbling"


def test_arrows_after_picking_go_back_to_the_results():
    p = presenter()
    p.search("emm")
    p.pick()
    assert p.move(1) == 1 and p.card is None and not p.ready()


def test_a_failed_check_in_can_be_tried_again():
    store = FakeStore()
    store.fail_with = ConnectionError("bug-like failure")
    p = presenter(store)
    p.search("emma")
    p.pick()
    assert p.begin_check_in() == "s-emma" and not p.ready()
    try:
        asyncio.run(p.check_in())
    except ConnectionError:
        p.check_in_failed()
    assert p.ready()
