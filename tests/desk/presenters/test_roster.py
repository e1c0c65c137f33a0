import asyncio

from desk.presenters.roster import Counts, RosterPresenter
from tests.desk.fakes import DOWNTOWN, NORTH, TODAY, FakeStore


def loaded(store=None) -> RosterPresenter:
    p = RosterPresenter(store or FakeStore(), DOWNTOWN, today=TODAY)
    p.load_sessions()
    p.select_session(0)
    return p


def test_sessions_show_time_class_coach_and_present_of_enrolled():
    p = loaded()
    first = p.session_lines()[0]
    assert (first.time, first.title, first.coach, first.counts) == ("4:00 PM", "Level 2 Tumbling", "Coach Sam", "0/3")


def test_keys_mark_the_row_at_once_and_say_what_to_record():
    store = FakeStore()
    p = loaded(store)
    mark = p.mark_key("p")
    assert (mark.session_id, mark.student_id, mark.status) == ("ses-tumble", "s-emma", "present")
    assert p.rows[0].status == "present"
    assert p.cursor == 1  # marked and moved on
    assert p.mark_key("A").status == "absent"
    late = p.mark_key("l")
    assert late.status == "late"
    assert p.mark_key("x") is None
    assert p.counts() == Counts(present=1, late=1, absent=1, unmarked=0)
    assert p.counts().text() == "2 of 3 here · 1 late · 1 absent"
    assert store.marks == {}  # nothing is recorded until the screen records it
    asyncio.run(p.record(late))
    assert store.marks == {("ses-tumble", "s-noah"): "late"}


def test_space_cycles_present_late_absent_on_the_same_row():
    p = loaded()
    assert [p.cycle().status for _ in range(4)] == ["present", "late", "absent", "present"]
    assert p.cursor == 0


def test_the_last_row_stays_put_after_a_mark():
    p = loaded()
    p.move(10)
    assert p.mark_key("P").student_id == "s-noah" and p.cursor == 2


def test_reloading_keeps_the_session_and_the_cursor_on_the_same_student():
    store = FakeStore()
    p = loaded(store)
    p.select_session(1)
    p.move(2)
    store.students = [store.students[2], *store.students[:2]]  # another desk's change reorders
    p.load_sessions()
    p.load_rows()
    assert p.current_session.id == "ses-cheer"
    assert p.rows[p.cursor].student_id == "s-noah"


def test_choosing_another_session_starts_at_the_top():
    p = loaded()
    p.move(2)
    p.select_session(1)
    assert p.cursor == 0 and p.current_session.name == "Cheer Basics"


def test_a_location_without_classes_says_so():
    p = RosterPresenter(FakeStore(), NORTH, today=TODAY)
    assert p.load_sessions() == []
    assert p.empty_sessions_text() == "No classes today at Northside."
    assert p.mark_key("P") is None and p.cycle() is None
    assert p.empty_roster_text().startswith("Pick a class")
