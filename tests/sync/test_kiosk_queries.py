"""The kiosk's cache reads: families by the last phone digits, a family's children with today's
classes here, and nothing private in what they answer."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from sync.core.ids import new_id
from sync.kiosk_queries import KioskData, phone_digits
from sync.core.member_cards import new_card_key
from sync.queries import NotFound
from sync.core.schema import Alert, Contact, Enrollment, Family, Student
from sync.store import DeskStore
from tests.sync.data import CHICAGO, DAY, World, world


def at(hour: int, minute: int = 0) -> dt.datetime:
    """A moment on the test day, Chicago time."""
    return dt.datetime(DAY.year, DAY.month, DAY.day, hour, minute, tzinfo=CHICAGO)


def kiosk_world() -> World:
    """tests.sync.data.world() plus families a kiosk tells apart by phone digits:

    - Lee (phone 555-0101; family balance alert) and Parker (guardian (312) 555-0101) share 0101;
    - Parker: Mia (Tumbling 4:00 PM), Leo (Ninja 6:30 PM), Ava (Tumbling, waiver missing);
    - Müller: a guardian's phone "+1 (773) 555-4242 ext. 9" (only Müller has 4242); Zoë in Tumbling.
    """
    w = world()
    parker = w.add("fam_parker", Family(id=new_id(), name="Parker"))
    w.add("dad_parker", Contact(id=new_id(), family_id=parker.id, first_name="Jordan", last_name="Parker",
                                phone="(312) 555-0101", is_primary=True))
    w.add("mom_muller", Contact(id=new_id(), family_id=w.ids["fam_muller"], first_name="Anna", last_name="Müller",
                                phone="+1 (773) 555-4242 ext. 9"))
    for key, first, klass in (("mia", "Mia", "tumbling"), ("leo", "Leo", "ninja"), ("ava", "Ava", "tumbling")):
        w.add(key, Student(id=new_id(), family_id=parker.id, first_name=first, last_name="Parker"))
        w.add(f"enr_{key}", Enrollment(id=new_id(), student_id=w.ids[key], schedule_id=w.ids[f"sched_{klass}"],
                                       start_date=DAY - dt.timedelta(days=7)))
    w.add("alert_ava", Alert(id=new_id(), student_id=w.ids["ava"], family_id=parker.id, kind="waiver",
                             text="Waiver not signed this season"))
    return w


def filled_store(folder: Path, w: World | None = None) -> tuple[DeskStore, World]:
    w = w or kiosk_world()
    store = DeskStore(folder, staff_id="staff-kiosk")
    store.card_key = new_card_key()
    changes = w.changes()
    store.cache.apply_pull(changes, cursor=len(changes))
    return store, w


@pytest.fixture
def desk(tmp_path):
    store, w = filled_store(tmp_path / "desk")
    try:
        yield KioskData(store), store, w
    finally:
        store.close()


def test_phone_digits_ignore_punctuation_and_extensions():
    assert phone_digits("(312) 555-0101") == "3125550101"
    assert phone_digits("+1 (773) 555-4242 ext. 9") == "17735554242"
    assert phone_digits("555 0101 x12") == "5550101"
    assert phone_digits("") == ""


def test_four_digits_find_every_family_whose_phone_ends_so(desk):
    data, _store, w = desk
    found = data.families_by_phone("0101")
    assert [(f.family_id, f.initial, f.first_names) for f in found] == [
        (w.ids["fam_lee"], "L", ("Amy", "Emma", "Emmett")),  # the inactive Emmanuel is not offered
        (w.ids["fam_parker"], "P", ("Ava", "Leo", "Mia")),
    ]
    [muller] = data.families_by_phone("4242")  # the extension does not count as the phone's end
    assert (muller.family_id, muller.initial, muller.first_names) == (w.ids["fam_muller"], "M", ("Zoë",))
    assert data.families_by_phone("0009") == [] and data.families_by_phone("555-") == []
    assert data.families_by_phone("0101", limit=1) == found[:1]
    assert data.families_by_phone("5550") == []  # digits in the middle of a number are not its end


def test_a_familys_answer_holds_nothing_private(desk):
    data, _store, w = desk
    family = data.family(w.ids["fam_lee"])
    children = data.children_today(w.ids["fam_lee"], w.ids["downtown"], at(15, 45))
    words = repr(family) + repr(children)
    for private in ("Lee", "555", "Balance due", "Peanut", "Grace", "adam@example.com"):
        assert private not in words
    assert data.family("no such family") is None


def test_children_today_with_their_classes_marks_and_alert_kinds(desk):
    data, store, w = desk
    children = {c.first_name: c for c in data.children_today(w.ids["fam_parker"], w.ids["downtown"], at(15, 45))}
    assert list(children) == ["Ava", "Leo", "Mia"]
    assert [c.name for c in children["Mia"].classes] == ["Tumbling"]
    assert [c.name for c in children["Leo"].classes] == ["Ninja"]
    tumbling = children["Mia"].classes[0]
    assert tumbling.starts_at == at(16) and tumbling.starts_at.tzinfo is not None
    assert (tumbling.checked_in, tumbling.status, tumbling.cancelled) == (False, None, False)
    assert children["Ava"].alert_kinds == frozenset({"waiver"}) and children["Mia"].alert_kinds == frozenset()
    lee = {c.first_name: c for c in data.children_today(w.ids["fam_lee"], w.ids["downtown"], at(15, 45))}
    assert lee["Emma"].alert_kinds == frozenset({"allergy", "balance"})  # her own and the family's
    assert lee["Amy"].classes == ()  # enrolled from tomorrow
    # Tokyo is another location: no classes there today, and an unknown location says so.
    assert all(c.classes == () for c in data.children_today(w.ids["fam_parker"], w.ids["tokyo"], at(15, 45)))
    with pytest.raises(NotFound):
        data.children_today(w.ids["fam_parker"], "nowhere", at(15, 45))


@pytest.mark.asyncio
async def test_a_check_in_made_at_the_front_desk_shows_on_the_kiosk(desk):
    data, store, w = desk
    # A drop-in the front desk recorded for Leo in Tumbling (he is not enrolled in it).
    await store.check_in(w.ids["leo"], w.ids["downtown"], w.ids["sess_tumbling"])
    leo = next(c for c in data.children_today(w.ids["fam_parker"], w.ids["downtown"], at(16, 5)) if c.first_name == "Leo")
    by_name = {c.name: c for c in leo.classes}
    assert set(by_name) == {"Tumbling", "Ninja"}
    assert by_name["Tumbling"].checked_in and by_name["Tumbling"].status == "present"
    assert not by_name["Ninja"].checked_in


@pytest.mark.asyncio
async def test_a_member_card_leads_to_its_students_family(desk):
    data, store, w = desk
    await store.assign_card("00423817", w.ids["mia"])
    assert data.family_of_card("00423817") == w.ids["fam_parker"]
    assert data.family_of_card("99999999") is None


def test_a_desk_without_a_card_key_says_so(desk):
    from sync.errors import AuthError

    data, store, _w = desk
    store.card_key = None
    with pytest.raises(AuthError):
        data.family_of_card("00423817")

