"""The audit log screen's words: each entry as a plain sentence on the location's clock, and what changed."""

from __future__ import annotations

import datetime as dt

import pytest

from desk.presenters.audit_log import day_start, details, row
from desk.presenters.audit_words import sentence
from sync.core.wire_staff import AuditEntry

CHICAGO = "America/Chicago"
AT = dt.datetime(2026, 11, 25, 22, 2, tzinfo=dt.UTC)  # 4:02 PM in Chicago


def entry(action: str, about: dict | None = None, staff_name: str | None = "Olive", detail=None, **fields) -> AuditEntry:  # noqa: ANN003
    return AuditEntry(id="e1", at=AT, staff_id="s1", staff_name=staff_name, desk_id="desk-0001-abcd", action=action,
                      record_type=None, record_id=None, detail=fields if detail is None else detail, about=about or {})  # fmt: skip


def test_a_check_in_reads_as_a_sentence_at_the_locations_time():
    e = entry("mutation.applied", {"student": "Emma Lee", "class": "Level 2 Gymnastics", "location": "Downtown"}, "Alex",
              type="check_in", made_at="2026-11-25T22:01:59.569972")  # fmt: skip
    assert sentence(e, CHICAGO) == "Alex checked Emma Lee in to Level 2 Gymnastics at 4:02 PM"
    assert sentence(e, "America/New_York") == "Alex checked Emma Lee in to Level 2 Gymnastics at 5:02 PM"
    assert row(e, CHICAGO) == ("Wed Nov 25", "Alex checked Emma Lee in to Level 2 Gymnastics at 4:02 PM", "type: check_in")
    assert "made_at" not in row(e, CHICAGO)[2] and "01a2" not in " ".join(row(e, CHICAGO))  # no ids, no raw timestamps


@pytest.mark.parametrize(("action", "about", "fields", "says"), [
    ("mutation.applied", {"student": "Emma Lee", "class": "Tots", "status": "late"}, {"type": "attendance.mark"},
     "Olive marked Emma Lee late in Tots at 4:02 PM"),
    ("mutation.applied", {"family": "Lee"}, {"type": "payment.record"}, "Olive recorded a payment from the Lee family at 4:02 PM"),
    ("mutation.applied", {}, {"type": "payment.record"}, "Olive recorded a payment from a family at 4:02 PM"),
    ("mutation.applied", {}, {"type": "check_in"}, "Olive checked a student in to a class at 4:02 PM"),
    ("mutation.applied", {}, {"type": "teleport"}, "Olive made a change (teleport) at 4:02 PM"),
    ("mutation.rejected", {}, {"type": "check_in", "code": "not_found"}, "The server refused Olive's check-in of a student (not_found) at 4:02 PM"),
    ("login.succeeded", {}, {"address": "10.0.0.1"}, "Olive signed in at 4:02 PM"),
    ("login.failed", {}, {"username": "alex"}, "Someone failed to sign in as “alex” at 4:02 PM"),
    ("staff.updated", {"staff": "Cora"}, {}, "Olive changed Cora's staff details at 4:02 PM"),
    ("account.restored", {}, {"source": "admin"}, "The account's data was restored from a backup at 4:02 PM"),
    ("something.new", {}, {}, "Olive: something.new at 4:02 PM"),
])  # fmt: skip
def test_each_kind_of_entry_reads_as_a_sentence(action, about, fields, says):
    assert sentence(entry(action, about, **fields), CHICAGO) == says


def test_an_admin_action_names_the_administrator():
    e = entry("staff.added", staff_name=None, username="cora", source="admin")
    assert sentence(e, CHICAGO) == "An administrator added cora to the staff at 4:02 PM"


def test_a_desk_settings_change_shows_each_setting_before_and_after():
    e = entry("mutation.applied", type="desk.settings", changes={
        "printer": {"before": None, "after": "TM-T20"}, "idle_lock_minutes": {"before": 5.0, "after": 9.0}})
    assert details(e) == "idle_lock_minutes: 5.0 → 9.0; printer: None → 'TM-T20'; type: desk.settings"
    assert row(e, CHICAGO)[1] == "Olive changed a desk's settings at 4:02 PM"


def test_a_family_edit_shows_the_value_it_overwrote():
    e = entry("mutation.applied", {"family": "Lee"}, type="family.update", changes={"name": {"before": "Lee", "after": "Lee-Park"}})
    assert details(e) == "Family changed; Name: Lee → Lee-Park"
    assert row(e, CHICAGO)[1] == "Olive edited the Lee family's file at 4:02 PM"
    e = entry("mutation.applied", type="contact.update", changes={
        "phone": {"before": "+13125550147", "after": "+13125550190"}, "is_primary": {"before": False, "after": True},
        "email": {"before": "", "after": "ngozi@example.com"}})
    assert details(e) == ("Guardian changed; Email: (empty) → ngozi@example.com; Primary contact: no → yes; "
                          "Phone: +1 312-555-0147 → +1 312-555-0190")
    e = entry("mutation.applied", type="family.create", written=[["family", "f"], ["contact", "c1"], ["contact", "c2"],
                                                                   ["student", "s1"], ["alert", "a1"]])
    assert details(e) == "New family; 2 guardians; 1 student; 1 note"
    e = entry("mutation.applied", type="student.move", changes={"family": {"before": "Okafor family", "after": "Eze family"}})
    assert details(e) == "Student moved to another family; Family: Okafor family → Eze family"


def test_a_staff_change_shows_only_what_differs():
    e = entry("staff.updated", before={"group": "coach", "active": True}, after={"group": "manager", "active": True})
    assert details(e) == "group: 'coach' → 'manager'"


@pytest.mark.parametrize("detail", [
    {"before": ["not", "a", "dict"], "after": 3, "changes": [1, 2], "type": {"x": 1}, "code": 7},
    {"changes": {"a": {"before": "x" * 10_000, "after": {"deep": [[[["…"]]]]}}}, "username": "y" * 500},
    {"before": {1: "one", "1": "uno"}, "after": {}},
])  # fmt: skip
def test_whatever_the_detail_holds_the_row_is_words(detail):
    e = entry("mutation.applied", detail=detail)
    day, said, shown = row(e, CHICAGO)
    assert said.startswith("Olive ") and said.endswith(" at 4:02 PM")
    assert all(len(part) < 200 for part in shown.split("; "))


def test_a_day_starts_on_the_locations_clock():
    assert day_start(dt.date(2026, 11, 25), CHICAGO) == dt.datetime(2026, 11, 25, 6, 0, tzinfo=dt.UTC)
