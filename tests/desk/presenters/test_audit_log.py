"""The audit log screen's words: what each entry says changed."""

from __future__ import annotations

import datetime as dt

from desk.presenters.audit_log import details, row
from sync.wire_staff import AuditEntry


def entry(action: str, **detail) -> AuditEntry:
    return AuditEntry(id="e1", at=dt.datetime(2026, 11, 25, 15, 0, tzinfo=dt.UTC), staff_id="s1", staff_name="Olive",
                      desk_id="desk-0001-abcd", action=action, record_type=None, record_id=None, detail=detail)  # fmt: skip


def test_a_desk_settings_change_shows_each_setting_before_and_after():
    e = entry("mutation.applied", type="desk.settings", changes={
        "printer": {"before": None, "after": "TM-T20"}, "idle_lock_minutes": {"before": 5.0, "after": 9.0}})
    assert details(e) == "idle_lock_minutes: 5.0 → 9.0; printer: None → 'TM-T20'; type: desk.settings"
    assert row(e)[3] == "Change saved" and row(e)[1] == "Olive"


def test_a_family_edit_shows_the_value_it_overwrote():
    e = entry("mutation.applied", type="family.update", changes={"name": {"before": "Lee", "after": "Lee-Park"}})
    assert details(e) == "Family changed; Name: Lee → Lee-Park"
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
