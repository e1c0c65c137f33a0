from __future__ import annotations

import datetime as dt

import pytest

from sync.errors import AuthError, RejectedError
from sync.core.mutations import CHECK_IN, CheckInPayload
from sync.queries import NotFound
from sync.search import age_on
from sync.store import CACHE_FILE, OUTBOX_FILE, DeskStore
from sync.core.wire import MutationResult
from tests.sync.conftest import STAFF_ID
from tests.sync.data import CHICAGO, DAY, World


def names(hits) -> list[str]:
    return [h.full_name for h in hits]


def at(hour: int, minute: int = 0, day: dt.date = DAY) -> dt.datetime:
    """A moment at the Chicago gym, as the aware datetime a caller would pass."""
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=CHICAGO)


# -- search ------------------------------------------------------------------------------


def test_each_word_is_a_prefix_of_some_name(store: DeskStore):
    assert names(store.search_students("emm")) == ["Emma Lee", "Emmett Lee", "Noah Emmerson"]
    assert names(store.search_students("emm lee")) == ["Emma Lee", "Emmett Lee"]
    assert names(store.search_students("LEE")) == ["Amy Lee", "Emma Lee", "Emmett Lee"]
    assert names(store.search_students("nguy")) == ["Emily Nguyen", "Noah Emmerson"]  # by family name
    assert names(store.search_students("xyz")) == []


def test_first_name_matches_come_first_then_alphabetical(store: DeskStore):
    assert names(store.search_students("em")) == ["Emily Nguyen", "Emma Lee", "Emmett Lee", "Noah Emmerson"]
    # A whole first name beats a longer one, accents or not (byte order would put "Zoey" first).
    assert names(store.search_students("zoe")) == ["Zoë Müller", "Zoey Adams"]


def test_accents_apostrophes_and_case_do_not_matter(store: DeskStore):
    assert names(store.search_students("MÜLL")) == ["Zoë Müller"]
    assert names(store.search_students("muller zoe")) == ["Zoë Müller"]
    assert names(store.search_students("o'bri")) == ["Liam O'Brien"]
    assert names(store.search_students("obrien")) == ["Liam O'Brien"]
    assert names(store.search_students("brien")) == ["Liam O'Brien"]


@pytest.mark.parametrize("typed", ["", "   ", "'", '"', "-- ;", "*", "()", '"emm'])
def test_nothing_to_look_for_or_fts_syntax_is_harmless(store: DeskStore, typed: str):
    hits = store.search_students(typed)
    assert hits == [] or names(hits) == ["Emma Lee", "Emmett Lee", "Noah Emmerson"]  # '"emm' is just "emm"
    if typed.strip(" '\"-;*()") == "":
        assert hits == []


def test_operators_are_words_not_syntax(store: DeskStore, demo: World):
    assert store.search_students("AND") == []
    assert store.search_students("emm OR") == []
    assert store.search_students("NEAR(emm lee)") == []


def test_inactive_students_are_not_offered(store: DeskStore):
    assert "Emmanuel Lee" not in names(store.search_students("emmanuel"))


def test_limit(store: DeskStore):
    assert len(store.search_students("e", limit=2)) == 2
    assert store.search_students("e", limit=0) == []


def test_hits_carry_family_age_and_alerts_red_first(store: DeskStore, demo: World):
    [emma] = store.search_students("emma")
    assert (emma.id, emma.family_id, emma.family_name) == (demo.ids["emma"], demo.ids["fam_lee"], "Lee")
    assert emma.age == age_on(dt.date(2017, 3, 10), dt.date.today())
    assert [(a.kind, a.severity) for a in emma.alerts] == [("allergy", "red"), ("balance", "amber")]  # inactive gone
    [amy] = store.search_students("amy")
    assert [a.kind for a in amy.alerts] == ["balance"]  # the family's alert
    [liam] = store.search_students("liam")
    assert (liam.age, liam.alerts) == (None, ())


# -- sessions and the student card -------------------------------------------------------


def test_sessions_of_a_local_day_with_counts(store: DeskStore, demo: World):
    sessions = store.sessions_on(demo.ids["downtown"], DAY)
    assert [(s.name, s.starts_at.strftime("%H:%M")) for s in sessions] == [
        ("Tumbling", "16:00"), ("Ninja", "18:30"), ("Cheer", "19:30"),
    ]  # fmt: skip
    assert all(s.starts_at.tzinfo is not None and s.starts_at.utcoffset() == dt.timedelta(hours=-5) for s in sessions)
    tumbling = sessions[0]
    assert (tumbling.enrolled, tumbling.present, tumbling.coach, tumbling.level) == (2, 0, "Sam", "Level 2")
    assert [s.name for s in store.sessions_on(demo.ids["downtown"], DAY - dt.timedelta(days=1))] == ["Tumbling"]
    assert store.sessions_on(demo.ids["tokyo"], DAY) == []


def test_card_shows_today_in_the_location_time_zone(store: DeskStore, demo: World):
    # 8 PM in Chicago is already tomorrow in UTC: the 7:30 PM class is still "today".
    card = store.student_card(demo.ids["emma"], demo.ids["downtown"], now=at(20))
    assert [c.session.name for c in card.sessions_today] == ["Tumbling", "Ninja", "Cheer"]
    assert [c.enrolled for c in card.sessions_today] == [False, True, False]
    assert card.student.full_name == "Emma Lee" and card.student.age == 8
    assert card.birth_date == dt.date(2017, 3, 10)
    assert [g.name for g in card.guardians] == ["Grace Lee", "Adam Lee"]  # primary first
    assert [(a.kind, a.severity) for a in card.alerts] == [("allergy", "red"), ("balance", "amber"), ("birthday", "blue")]
    # The same moment in Tokyo is the 11th: no birthday there, and no classes.
    tokyo = store.student_card(demo.ids["emma"], demo.ids["tokyo"], now=at(20))
    assert "birthday" not in [a.kind for a in tokyo.alerts]
    assert tokyo.sessions_today == () and tokyo.suggested_session_id is None


def test_naive_now_is_utc(store: DeskStore, demo: World):
    naive_utc = at(18).astimezone(dt.UTC).replace(tzinfo=None)
    card = store.student_card(demo.ids["emma"], demo.ids["downtown"], now=naive_utc)
    assert card.suggested_session_id == demo.ids["sess_ninja"]


@pytest.mark.parametrize(
    ("student", "hour", "minute", "expected"),
    [
        ("emma", 15, 0, "sess_ninja"),  # enrolled class later today
        ("emma", 18, 45, "sess_ninja"),  # running now
        ("emma", 19, 40, None),  # her class is over and nothing else starts later
        ("emmett", 16, 30, "sess_tumbling"),
        ("emmett", 17, 30, "sess_ninja"),  # enrolled one is over: the next one to start
        ("emily", 15, 0, "sess_tumbling"),  # enrolled nowhere: the next one to start
        ("liam", 17, 0, "sess_ninja"),  # enrollment ended yesterday
    ],
)
def test_suggested_session(store: DeskStore, demo: World, student, hour, minute, expected):
    card = store.student_card(demo.ids[student], demo.ids["downtown"], now=at(hour, minute))
    assert card.suggested_session_id == (demo.ids[expected] if expected else None)


def test_unknown_student_or_location(store: DeskStore, demo: World):
    with pytest.raises(NotFound):
        store.student_card("nobody", demo.ids["downtown"])
    with pytest.raises(NotFound):
        store.student_card(demo.ids["emma"], "nowhere")


# -- writes ------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_check_in_shows_at_once_and_twice_says_already(store: DeskStore, demo: World):
    kicks: list[int] = []
    store.add_write_listener(lambda: kicks.append(1))
    first = await store.check_in(demo.ids["emmett"], demo.ids["downtown"], demo.ids["sess_tumbling"])
    assert (first.already, first.student_name, first.session_name) == (False, "Emmett Lee", "Tumbling")
    assert first.starts_at == at(16) and first.check_in_id
    assert store.pending_count() == 1 and kicks == [1]
    [mutation] = store.outbox.pending()
    assert (mutation.type, mutation.staff_id, mutation.desk_id) == (CHECK_IN, STAFF_ID, store.desk_id)
    payload = CheckInPayload.model_validate(mutation.payload)
    assert payload.check_in_id == first.check_in_id and payload.mark_id is not None

    card = store.student_card(demo.ids["emmett"], demo.ids["downtown"], now=at(16, 5))
    tumbling = card.sessions_today[0]
    assert (tumbling.checked_in, tumbling.status, tumbling.session.present) == (True, "present", 1)

    again = await store.check_in(demo.ids["emmett"], demo.ids["downtown"], demo.ids["sess_tumbling"])
    assert (again.already, again.check_in_id, again.session_name) == (True, None, "Tumbling")
    assert store.pending_count() == 1 and kicks == [1]
    # Another class the same day is a new check-in.
    other = await store.check_in(demo.ids["emmett"], demo.ids["downtown"], demo.ids["sess_ninja"])
    assert not other.already and store.pending_count() == 2


@pytest.mark.asyncio
async def test_check_in_without_a_class(store: DeskStore, demo: World):
    outcome = await store.check_in(demo.ids["emma"], demo.ids["downtown"], None)
    assert (outcome.already, outcome.session_name, outcome.starts_at) == (False, None, None)
    assert CheckInPayload.model_validate(store.outbox.pending()[0].payload).mark_id is None


@pytest.mark.asyncio
async def test_roster_has_enrolled_and_drop_ins_sorted_by_name(store: DeskStore, demo: World):
    await store.check_in(demo.ids["emily"], demo.ids["downtown"], demo.ids["sess_tumbling"])
    await store.mark_attendance(demo.ids["sess_tumbling"], demo.ids["zoe"], "absent")
    await store.mark_attendance(demo.ids["sess_tumbling"], demo.ids["amy"], "late")  # enrolled from tomorrow
    rows = store.roster(demo.ids["sess_tumbling"])
    assert [(r.full_name, r.status, r.checked_in, r.drop_in) for r in rows] == [
        ("Amy Lee", "late", False, True),
        ("Emmett Lee", None, False, False),
        ("Zoë Müller", "absent", False, False),
        ("Emily Nguyen", "present", True, True),
    ]
    assert [a.kind for a in rows[0].alerts] == ["balance"]
    [tumbling, *_] = store.sessions_on(demo.ids["downtown"], DAY)
    assert (tumbling.enrolled, tumbling.present) == (2, 2)  # Emily present, Amy late
    await store.mark_attendance(demo.ids["sess_tumbling"], demo.ids["zoe"], "present")
    assert {r.full_name: r.status for r in store.roster(demo.ids["sess_tumbling"])}["Zoë Müller"] == "present"
    assert store.pending_count() == 4
    with pytest.raises(NotFound):
        store.roster("no-such-session")


@pytest.mark.asyncio
async def test_writes_need_a_signed_in_staff_member(store: DeskStore, demo: World):
    store.staff_id = None
    with pytest.raises(AuthError):
        await store.check_in(demo.ids["emma"], demo.ids["downtown"], None)
    with pytest.raises(AuthError):
        await store.mark_attendance(demo.ids["sess_ninja"], demo.ids["emma"], "present")
    assert store.pending_count() == 0


@pytest.mark.asyncio
async def test_what_cannot_be_right_is_refused_before_it_is_recorded(store: DeskStore, demo: World):
    with pytest.raises(RejectedError, match="not on file"):
        await store.check_in("nobody", demo.ids["downtown"], None)
    with pytest.raises(RejectedError, match="another location"):
        await store.check_in(demo.ids["emma"], demo.ids["tokyo"], demo.ids["sess_ninja"])
    with pytest.raises(RejectedError, match="no longer on the schedule"):
        await store.mark_attendance("no-such-session", demo.ids["emma"], "present")
    with pytest.raises(ValueError):
        await store.mark_attendance(demo.ids["sess_ninja"], demo.ids["emma"], "sleeping")
    assert store.outbox.counts() == {"pending": 0, "applied": 0, "rejected": 0}
    assert not store.roster(demo.ids["sess_ninja"])[0].checked_in


@pytest.mark.asyncio
async def test_rejected_list_says_what_it_was(store: DeskStore, demo: World):
    await store.check_in(demo.ids["emmett"], demo.ids["downtown"], demo.ids["sess_tumbling"])
    await store.mark_attendance(demo.ids["sess_tumbling"], demo.ids["zoe"], "absent")
    first, second = store.outbox.pending()
    store.outbox.record_results([
        MutationResult(id=first.id, seq=first.seq, status="rejected", code="not_found", message="This class is gone."),
        MutationResult(id=second.id, seq=second.seq, status="rejected", code="forbidden", message="Not allowed."),
    ])  # fmt: skip
    views = store.rejected()
    assert [(v.seq, v.code, v.message, v.summary) for v in views] == [
        (1, "not_found", "This class is gone.", "Check-in of Emmett Lee"),
        (2, "forbidden", "Not allowed.", "Attendance of Zoë Müller (absent)"),
    ]
    assert views[0].mutation_id == first.id and views[0].made_at == first.made_at
    assert store.pending_count() == 0


def test_the_desk_keeps_two_files_and_restarts_from_them(tmp_path, demo: World):
    data_dir = tmp_path / "desk"
    desk = DeskStore(data_dir, staff_id=STAFF_ID)
    desk_id = desk.desk_id
    desk.cache.apply_pull(demo.changes(), cursor=99)
    # A crash after the outbox append and before the cache commit: only the outbox has it.
    payload = CheckInPayload(check_in_id="ci-1", student_id=demo.ids["emma"], location_id=demo.ids["downtown"],
                             session_id=demo.ids["sess_ninja"], mark_id="mk-1", checked_in_at=dt.datetime(2025, 3, 10, 23))  # fmt: skip
    desk.outbox.append(STAFF_ID, CHECK_IN, payload.model_dump(mode="json"))
    assert not desk.roster(demo.ids["sess_ninja"])[0].checked_in
    desk.close()
    assert sorted(p.name for p in data_dir.iterdir() if p.suffix == ".sqlite3") == sorted([CACHE_FILE, OUTBOX_FILE])

    again = DeskStore(data_dir)
    try:
        assert again.desk_id == desk_id and again.pending_count() == 1
        [row] = again.roster(demo.ids["sess_ninja"])
        assert (row.full_name, row.checked_in, row.status) == ("Emma Lee", True, "present")
        assert again.cache.cursor() == 99
    finally:
        again.close()


@pytest.mark.parametrize("typed", ["e", "em", "emm", "lee", "zoe", "z", "l", "emm lee", "n", "a"])
def test_walking_the_name_index_ranks_like_sorting(store: DeskStore, monkeypatch, typed: str):
    """Big tiers are read from the name index (sync.search.SORT_AT_MOST); the order must not change."""
    import sync.search

    sorted_hits = names(store.search_students(typed))
    monkeypatch.setattr(sync.search, "SORT_AT_MOST", 0)
    assert names(store.search_students(typed)) == sorted_hits
    assert names(store.search_students(typed, limit=2)) == sorted_hits[:2]


def test_a_cancelled_class_is_listed_but_never_suggested(store: DeskStore, demo: World):
    from sync.core.schema import ClassSession
    from tests.sync.data import change

    ninja = next(r for r in demo.records if r.id == demo.ids["sess_ninja"])
    cancelled = ClassSession.model_validate({**ninja.model_dump(), "cancelled": True})
    store.cache.apply_pull([change(cancelled, 500)], cursor=500)
    card = store.student_card(demo.ids["emma"], demo.ids["downtown"], now=at(15))
    assert [(c.session.name, c.session.cancelled) for c in card.sessions_today][1] == ("Ninja", True)
    assert card.suggested_session_id == demo.ids["sess_tumbling"]  # her class is off: the next one to start
