"""The register row's id: the same uuid5 on every desk and the server, computed the fast way."""

from __future__ import annotations

import uuid

from sync.core.ids import new_id
from sync.core.schema import _ATTENDANCE_NS, attendance_id


def test_attendance_id_is_uuid5_of_session_and_student():
    for session, student in [(new_id(), new_id()) for _ in range(500)] + [("", ""), ("é", "ß/ü")]:
        assert attendance_id(session, student) == str(uuid.uuid5(_ATTENDANCE_NS, f"{session}/{student}"))
    assert attendance_id("a", "b") != attendance_id("b", "a")
