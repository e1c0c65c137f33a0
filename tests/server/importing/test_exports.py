"""Exporting everything (desk route and admin command), formula cells escaped, and the round trip:
an account exported and imported into an empty one holds the same families, people, notes,
classes and balances."""

from __future__ import annotations

import csv
import io
import zipfile

import openpyxl
from sqlmodel import select

from server import admin
from server.accounts import open_account
from server.account_db import next_usn
from server.cli import main as cli
from server.exporting import TABLE_NAMES
from sync.core.schema import ClassSchedule, Location
from tests.fixtures import imports as fx
from tests.server.api import query
from tests.server.importing.api import import_file, manager


def _zip(client, mgr, fmt: str) -> zipfile.ZipFile:
    r = client.get("/v1/exports", params={"format": fmt}, headers=mgr["headers"])
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/zip" and "-export-" in r.headers["content-disposition"]
    return zipfile.ZipFile(io.BytesIO(r.content))


def _rows(archive: zipfile.ZipFile, name: str) -> list[dict]:
    text = archive.read(f"{name}.csv").decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_a_csv_export_holds_every_table(client, mgr, db_path):
    archive = _zip(client, mgr, "csv")
    assert archive.namelist() == [f"{n}.csv" for n in TABLE_NAMES]
    families = _rows(archive, "families")
    assert len(families) == query(db_path, "SELECT count(*) FROM family")[0][0]
    assert len(_rows(archive, "students")) == query(db_path, "SELECT count(*) FROM student")[0][0]
    assert len(_rows(archive, "ledger")) == query(db_path, "SELECT count(*) FROM ledger_entry")[0][0]
    receipts = _rows(archive, "receipts")
    assert len(receipts) == query(db_path, "SELECT count(*) FROM ledger_entry WHERE receipt_no IS NOT NULL")[0][0]
    balance = {f["Family ID"]: f["Balance"] for f in families}
    fid, cents = query(db_path, "SELECT family_id, sum(amount_cents) FROM ledger_entry GROUP BY family_id LIMIT 1")[0]
    assert balance[fid] == f"{cents // 100}.{cents % 100:02d}"
    assert query(db_path, "SELECT count(*) FROM audit_event WHERE action = 'export.downloaded'") == [(1,)]


def test_formula_cells_are_escaped_and_import_back_as_text(client, mgr, db_path):
    _up, _seen, job = import_file(client, mgr, "evil.csv", fx.hostile_formula())
    assert job["state"] == "done"
    [(note,)] = query(db_path, "SELECT text FROM alert WHERE kind = 'medical' AND text LIKE '=HYPERLINK%'")
    assert note == fx.HYPERLINK  # stored as the plain text it is

    roster = {r["Family name"]: r for r in _rows(_zip(client, mgr, "csv"), "roster")}
    evil = roster["Evil"]
    assert evil["Medical notes"] == "'" + fx.HYPERLINK
    assert evil["Address"] == "'@SUM(1+1)" and evil["Guardian phone"] == "'+1 312 555 0177"
    assert evil["Balance"] == "-12.50"  # a number we wrote, not text: not escaped

    book = openpyxl.load_workbook(io.BytesIO(_zip(client, mgr, "xlsx").read("frontdesk-export.xlsx")))
    assert book.sheetnames[0] == "Roster" and len(book.sheetnames) == len(TABLE_NAMES)
    sheet = book["Roster"]
    headers = [c.value for c in sheet[1]]
    row = next(r for r in sheet.iter_rows(min_row=2) if r[headers.index("Family name")].value == "Evil")
    cell = row[headers.index("Medical notes")]
    assert cell.data_type == "s" and cell.value == "'" + fx.HYPERLINK  # text, never a formula
    assert not any(c.data_type == "f" for r in sheet.iter_rows() for c in r)

    # What was exported imports back as it was: nothing new.
    data = _zip(client, mgr, "csv")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("roster.csv", data.read("roster.csv"))
    _up, seen, _job = import_file(client, mgr, "export.zip", buf.getvalue())
    c = seen["counts"]
    assert seen["problems"] == [] and c["families_new"] == c["students_new"] == c["notes_new"] == c["balances_new"] == 0


def test_the_admin_command_writes_csv_files_or_a_workbook(server_account, tmp_path, capsys):
    data_dir = server_account["data_dir"]
    assert cli(["export", "acme", "--data-dir", str(data_dir), "--out", str(tmp_path / "csv")]) == 0
    assert sorted(p.name for p in (tmp_path / "csv").iterdir()) == sorted(f"{n}.csv" for n in TABLE_NAMES)
    assert cli(["export", "acme", "--data-dir", str(data_dir), "--out", str(tmp_path / "x"), "--format", "xlsx"]) == 0
    book = openpyxl.load_workbook(tmp_path / "x" / "frontdesk-export.xlsx", read_only=True)
    assert [s.lower() for s in book.sheetnames] == list(TABLE_NAMES)
    book.close()
    assert "frontdesk-export.xlsx" in capsys.readouterr().out
    assert cli(["export", "nope", "--data-dir", str(data_dir), "--out", str(tmp_path / "n")]) == 1


def _copy_set_up(data_dir, source: str, target: str) -> None:
    """What an owner sets up before importing people: the same locations and classes."""
    with open_account(data_dir, source) as (_a, adb), adb.read_session() as db:
        rows = [r.model_dump() for cls in (Location, ClassSchedule) for r in db.exec(select(cls))]
        kinds = [Location if "code" in r else ClassSchedule for r in rows]
    with open_account(data_dir, target) as (_a, adb), adb.write_session() as db:
        for cls, data in zip(kinds, rows, strict=True):
            db.add(cls(**{**data, "usn": next_usn(db)}))
        db.commit()


def _canonical(archive: zipfile.ZipFile) -> list[tuple]:
    """The roster without our ids (new ones are made on import), in a stable order."""
    rows = _rows(archive, "roster")
    return sorted(tuple(v for k, v in r.items() if k not in ("Family ID", "Student ID")) for r in rows)


def test_round_trip_export_then_import_into_an_empty_account(client, mgr, server_account):
    data_dir = server_account["data_dir"]
    source = _zip(client, mgr, "xlsx")
    admin.create_account(data_dir, "beta", name="Beta")
    _copy_set_up(data_dir, "acme", "beta")
    beta = manager(client, data_dir, slug="beta", username="bo")
    _up, seen, job = import_file(client, beta, "acme-export.zip", _zip(client, mgr, "csv").read("roster.csv"))
    assert seen["problems"] == [], seen["problems"][:3]
    assert job["state"] == "done", job
    assert _canonical(_zip(client, beta, "csv")) == _canonical(_zip(client, mgr, "csv"))
    # The workbook holds the same roster as the CSV files.
    sheet = openpyxl.load_workbook(io.BytesIO(source.read("frontdesk-export.xlsx")), read_only=True)["Roster"]
    assert sum(1 for _ in sheet.iter_rows(min_row=2)) == len(_rows(_zip(client, mgr, "csv"), "roster"))
