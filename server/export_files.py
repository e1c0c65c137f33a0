"""Export tables written as CSV files (UTF-8 with BOM, so Excel reads accents) or one XLSX workbook.

A text cell that starts with = + - @ (or a tab or carriage return) is written with a leading
apostrophe: a spreadsheet would otherwise run it as a formula (CSV/formula injection, OWASP).
Our import takes the apostrophe off again, so what is exported imports back as it was.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import warnings
import zipfile
from collections.abc import Callable, Iterable
from decimal import Decimal
from pathlib import Path
from typing import Literal

from server.exporting import ExportTable, Money

Format = Literal["csv", "xlsx"]
WORKBOOK = "frontdesk-export.xlsx"
_RISKY = ("=", "+", "-", "@", "\t", "\r")
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # not allowed in an XLSX cell at all


def escape(text: str) -> str:
    return "'" + text if text.startswith(_RISKY) else text


def csv_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, Money):
        return value.text()  # a number we wrote, not text from a person: never escaped
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, (dt.date, int)):
        return str(value) if isinstance(value, int) else value.isoformat()
    return escape(str(value))


def write_csv(table: ExportTable, out: io.TextIOBase, tick: Callable[[], None] = lambda: None) -> int:
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([escape(h) for h in table.headers])
    count = 0
    for row in table.rows:
        writer.writerow([csv_cell(v) for v in row])
        count += 1
        if count % 1000 == 0:
            tick()
    return count


def write_xlsx(tables: Iterable[ExportTable], out: io.BufferedIOBase | Path, tick: Callable[[], None] = lambda: None) -> dict[str, int]:
    import openpyxl
    from openpyxl.cell import WriteOnlyCell

    book = openpyxl.Workbook(write_only=True)  # rows go straight to the file: an account of any size fits
    counts: dict[str, int] = {}
    for table in tables:
        sheet = book.create_sheet(title=table.name.capitalize()[:31])
        sheet.append([escape(h) for h in table.headers])
        count = 0
        for row in table.rows:
            cells = []
            for value in row:
                if isinstance(value, Money):
                    cell = WriteOnlyCell(sheet, value=Decimal(value.cents).scaleb(-2))
                    cell.number_format = "0.00"
                elif isinstance(value, dt.datetime):
                    cell = WriteOnlyCell(sheet, value=value)
                    cell.number_format = "yyyy-mm-dd hh:mm:ss"
                elif isinstance(value, dt.date):
                    cell = WriteOnlyCell(sheet, value=value)
                    cell.number_format = "yyyy-mm-dd"
                elif isinstance(value, bool):
                    cell = WriteOnlyCell(sheet, value="Yes" if value else "No")
                elif value is None or isinstance(value, int):
                    cell = WriteOnlyCell(sheet, value=value)
                else:
                    cell = WriteOnlyCell(sheet, value=escape(_XML_ILLEGAL.sub("", str(value))))
                    cell.data_type = "s"  # text, whatever it looks like: never a formula
                cells.append(cell)
            sheet.append(cells)
            count += 1
            if count % 1000 == 0:
                tick()
        counts[table.name] = count
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        book.save(out)
    return counts


def write_files(tables: list[ExportTable], out_dir: Path, fmt: Format) -> list[Path]:
    """CSV: one file per table; XLSX: one workbook with a sheet per table (the roster first)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    if fmt == "xlsx":
        path = out_dir / WORKBOOK
        with open(path, "wb") as f:
            write_xlsx(tables, f)
        return [path]
    paths = []
    for table in tables:
        path = out_dir / f"{table.name}.csv"
        with open(path, "w", encoding="utf-8-sig", newline="") as f:
            write_csv(table, f)
        paths.append(path)
    return paths


def write_zip(tables: list[ExportTable], fmt: Format, out: io.BufferedIOBase, tick: Callable[[], None] = lambda: None) -> None:
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        if fmt == "xlsx":
            book = io.BytesIO()  # openpyxl writes a ZIP of its own: made whole, then stored
            write_xlsx(tables, book, tick)
            archive.writestr(WORKBOOK, book.getvalue())
            return
        for table in tables:
            with archive.open(f"{table.name}.csv", "w") as raw:
                text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
                write_csv(table, text, tick)
                text.flush()
                text.detach()


def export_account(data_dir: str | Path, slug: str, out_dir: Path, fmt: Format) -> list[Path]:
    """`frontdesk-server export ACCOUNT --out DIR --format csv|xlsx`: the files written, audited as an admin action."""
    from server.account_db import audit
    from server.accounts import open_account
    from server.exporting import TABLE_NAMES, export_tables

    with open_account(data_dir, slug) as (_account, adb):
        with adb.read_session() as db:
            paths = write_files(export_tables(db), Path(out_dir), fmt)
        with adb.write_session() as db:
            audit(db, "export.written", source="admin", format=fmt, out=str(out_dir), tables=list(TABLE_NAMES))
            db.commit()
    return paths
