"""`frontdesk-server add-location`, `add-class`, `add-closure`, …: a school set up by a script, no seed-demo."""

from __future__ import annotations

import datetime as dt

from server import admin
from server.cli import main
from server.sessions import WINDOW_DAYS
from tests.helpers.server_process import account_db_path
from tests.server.api import query


def run(capsys, data_dir, *argv: str) -> tuple[int, str, str]:
    code = main([argv[0], "--data-dir", str(data_dir), *argv[1:]])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_a_school_set_up_from_the_command_line(tmp_path, capsys):
    admin.create_account(tmp_path, "acme", name="Acme Gym")
    admin.add_staff(tmp_path, "acme", "kim", "pw", group="coach", display_name="Kim Park")
    assert run(capsys, tmp_path, "add-location", "acme", "Downtown", "--code", "dt", "--timezone", "America/New_York",
               "--hours", "Mon 9:00-20:00; Sat 8am-2pm", "--phone", "(212) 555-0100")[0] == 0  # fmt: skip
    assert run(capsys, tmp_path, "add-program", "acme", "Swim Lessons")[0] == 0
    assert run(capsys, tmp_path, "add-room", "acme", "DT", "Pool", "--capacity", "20")[0] == 0
    code, out, _ = run(capsys, tmp_path, "add-class", "acme", "DT", "Guppies", "--times", "Sat 9:00 45, Sun 9:00 45",
                       "--program", "Swim Lessons", "--room", "Pool", "--ages", "3-5", "--instructor", "kim",
                       "--tuition-cents", "7500", "--capacity", "6")  # fmt: skip
    assert code == 0 and "sessions planned" in out
    db = account_db_path(tmp_path, "acme")
    assert query(db, "SELECT times, age_min, age_max, capacity, tuition_cents, coach FROM class_schedule") == [
        ("5 09:00 45;6 09:00 45", 3, 5, 6, 7500, "Kim Park")]
    saturday = query(db, "SELECT min(date) FROM class_session WHERE strftime('%w', date) = '6'")[0][0]
    code, out, _ = run(capsys, tmp_path, "add-closure", "acme", "DT", "Pool maintenance", saturday)
    assert code == 0 and "1 sessions cancelled" in out and "nobody enrolled" in out
    code, out, _ = run(capsys, tmp_path, "list-sessions", "acme", "DT", saturday)
    session_id = out.split("\t")[0]
    assert code == 0 and "cancelled: Closed: Pool maintenance" in out
    assert run(capsys, tmp_path, "change-session", "acme", session_id, "--restore", "--note", "Pool fixed early")[0] == 0
    assert query(db, "SELECT cancelled, changed, note FROM class_session WHERE id = ?", session_id) == [(0, 1, "Pool fixed early")]
    code, out, _ = run(capsys, tmp_path, "plan-sessions", "acme")
    assert code == 0 and out.startswith("Planned 'acme': 0 added")
    last = query(db, "SELECT max(date) FROM class_session")[0][0]
    assert dt.date.fromisoformat(last) >= dt.date.today() + dt.timedelta(days=WINDOW_DAYS - 7)


def test_set_up_mistakes_exit_1_with_words(tmp_path, capsys):
    admin.create_account(tmp_path, "acme", name="Acme Gym")
    code, _, err = run(capsys, tmp_path, "add-class", "acme", "XX", "Level 1", "--times", "Mon 16:00 60")
    assert code == 1 and "No location 'XX'" in err
    run(capsys, tmp_path, "add-location", "acme", "Downtown", "--code", "DT")
    code, _, err = run(capsys, tmp_path, "add-class", "acme", "DT", "Level 1", "--times", "Mon 16:00")
    assert code == 1 and "give day, start and minutes" in err
