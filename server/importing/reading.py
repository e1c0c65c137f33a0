"""A file as a table: headers and rows of text, whatever the software that wrote it.

CSV comes comma, semicolon, tab or pipe separated, in UTF-8 (with or without the BOM Excel adds),
UTF-16 (Excel's "Unicode text") or Windows-1252, sometimes both in one file when two exports were
pasted together: each line is then read in the encoding it is in. Quoted values may hold newlines
and separators (Excel writes addresses that way). XLSX is read with openpyxl, cells turned into
the same text a CSV would hold (a date cell as 2015-03-05, a number as written, never a float).

What cannot be read as a table is a FileProblem, said in words for the person importing.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import warnings
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal

MAX_BYTES = 30 * 1024 * 1024
MAX_ROWS = 100_000
MAX_COLUMNS = 200
DELIMITERS = (",", ";", "\t", "|")
DELIMITER_WORDS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "vertical bar"}
_XLSX_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # an old .xls (or .doc) file


class FileProblem(ValueError):
    """The file is not a table we can read; the message says what to do."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class Table:
    headers: list[str]
    rows: list[list[str]]  # each as long as `headers`
    row_numbers: list[int]  # the row number a spreadsheet shows for each (the header row is 1)
    format: str  # "csv" or "xlsx"
    encoding: str = ""  # csv: in words, e.g. "UTF-8 with BOM"
    delimiter: str = ""  # csv
    sheet: str = ""  # xlsx: the sheet read
    sheets: list[str] = field(default_factory=list)
    too_long: dict[int, int] = field(default_factory=dict)  # row number -> cells beyond the header (not empty)


def read_table(data: bytes, file_name: str = "", *, delimiter: str | None = None, sheet: str | None = None) -> Table:
    """The table in a file. `delimiter` and `sheet` override what would be detected."""
    if not data:
        raise FileProblem("The file is empty.")
    if len(data) > MAX_BYTES:
        raise FileProblem(f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB. Split it into smaller files.")
    if data.startswith(_OLE_MAGIC):
        raise FileProblem("This is an old Excel (.xls) file. In Excel choose Save As, then “Excel Workbook (.xlsx)” "
                          "or “CSV UTF-8”, and import that file.")  # fmt: skip
    if data.startswith(_XLSX_MAGIC):
        return _read_zip(data, sheet=sheet, delimiter=delimiter)
    text, encoding = decode(data)
    return read_csv_text(text, encoding=encoding, delimiter=delimiter)


def decode(data: bytes) -> tuple[str, str]:
    """The text of a CSV file and its encoding in words."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError:
            raise FileProblem(_NOT_A_TABLE) from None
    encoding = "UTF-8"
    if data.startswith(b"\xef\xbb\xbf"):
        data, encoding = data[3:], "UTF-8 with BOM"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        # Line by line: a file pasted together from two exports has both encodings.
        lines, kinds = [], set()
        for line in data.split(b"\n"):
            try:
                lines.append(line.decode("utf-8"))
                if any(b > 0x7F for b in line):
                    kinds.add("utf-8")
            except UnicodeDecodeError:
                lines.append(_cp1252(line))
                kinds.add("cp1252")
        text = "\n".join(lines)
        encoding = "UTF-8 and Windows-1252 mixed" if "utf-8" in kinds else "Windows-1252"
    _refuse_binary(text)
    return text, encoding


def _cp1252(line: bytes) -> str:
    try:
        return line.decode("cp1252")
    except UnicodeDecodeError:  # the five bytes cp1252 leaves undefined: read them as Latin-1
        return line.decode("latin-1")


_NOT_A_TABLE = ("This file is not a spreadsheet or CSV file (it holds binary data). "
                "Export the list from your previous software as CSV or Excel (.xlsx) and choose that file.")  # fmt: skip


def _refuse_binary(text: str) -> None:
    sample = text[:200_000]
    controls = sum(1 for c in sample if c < " " and c not in "\t\r\n\x0c")
    if "\x00" in sample or controls > max(3, len(sample) // 200):
        raise FileProblem(_NOT_A_TABLE)


def read_csv_text(text: str, *, encoding: str = "", delimiter: str | None = None) -> Table:
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip():
        raise FileProblem("The file is empty.")
    if delimiter is None:
        delimiter = sniff_delimiter(text)
    elif delimiter not in DELIMITERS:
        raise FileProblem("Choose comma, semicolon, tab or vertical bar as the separator.")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"', doublequote=True, strict=False)
    try:
        records = list(_limited(reader))
    except csv.Error:
        raise FileProblem("The file could not be read as CSV: a quote is not closed. Open it in a spreadsheet, "
                          "save it again as CSV and import that file.") from None  # fmt: skip
    table = _table(records, "csv")
    table.encoding, table.delimiter = encoding, delimiter
    return table


def _limited(reader):
    for i, record in enumerate(reader):
        if i > MAX_ROWS:
            raise FileProblem(f"The file has more than {MAX_ROWS:,} rows. Split it into smaller files.")
        yield record


def sniff_delimiter(text: str) -> str:
    """The separator that splits the first lines into the same number of columns (more than one)."""
    sample = text[:65_536]
    best, best_score = None, 0.0
    for candidate in DELIMITERS:
        try:
            records = [r for r in csv.reader(io.StringIO(sample, newline=""), delimiter=candidate) if any(c.strip() for c in r)]
        except csv.Error:
            continue
        records = records[:-1] if len(records) > 2 else records  # the sample may cut the last line
        if not records or len(records[0]) < 2:
            continue
        width = len(records[0])
        same = sum(1 for r in records[1:31] if len(r) == width) / max(1, min(30, len(records) - 1))
        score = same * 10 + min(width, 30) / 30  # rows agreeing with the header first, then more columns
        if score > best_score:
            best, best_score = candidate, score
    if best is None:
        raise FileProblem("Only one column was found: the file does not use comma, semicolon, tab or vertical bar "
                          "between values. Export it again as CSV (comma separated) and import that file.")  # fmt: skip
    return best


def _table(records: list[list[str]], fmt: str) -> Table:
    """Headers from the first row that is not blank; blank rows dropped, numbers kept as a spreadsheet shows them."""
    number = 0
    headers: list[str] | None = None
    rows: list[list[str]] = []
    numbers: list[int] = []
    too_long: dict[int, int] = {}
    width = 0
    for record in records:
        number += 1
        if not any(str(c).strip() for c in record):
            continue
        if headers is None:
            headers, width = _headers(record), len(record)
            continue
        cells = [str(c) for c in record]
        # More cells than the header row had (its trailing empty names count: Excel writes them), or
        # a value beyond the named columns: a separator inside a value without quotes.
        if len(cells) > width or any(c.strip() for c in cells[len(headers):]):
            too_long[number] = len(cells)
        rows.append((cells + [""] * len(headers))[: len(headers)])
        numbers.append(number)
    if headers is None:
        raise FileProblem("The file is empty.")
    if not rows:
        raise FileProblem("The file has column names but no rows below them.")
    return Table(headers=headers, rows=rows, row_numbers=numbers, format=fmt, too_long=too_long)


def _headers(record: list) -> list[str]:
    cells = [" ".join(str(c).replace("\ufeff", "").split()).strip().strip('"') for c in record]
    while cells and not cells[-1]:
        cells.pop()  # Excel's trailing empty columns
    if len(cells) > MAX_COLUMNS:
        raise FileProblem(f"The file has more than {MAX_COLUMNS} columns; is the first row really the column names?")
    seen: dict[str, int] = {}
    out = []
    for i, name in enumerate(cells):
        name = name or f"Column {_letters(i)}"
        key = name.casefold()
        seen[key] = seen.get(key, 0) + 1
        out.append(name if seen[key] == 1 else f"{name} ({seen[key]})")
    return out


def _letters(index: int) -> str:
    out = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        out = chr(65 + rest) + out
    return out


# --- XLSX, and a ZIP holding an export ------------------------------------------------------
def _read_zip(data: bytes, *, sheet: str | None, delimiter: str | None) -> Table:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = archive.namelist()
    except (zipfile.BadZipFile, ValueError):
        raise FileProblem("This file looks like an Excel or ZIP file but it is damaged. Save it again and import that file.") from None
    if "[Content_Types].xml" in names:
        return _read_xlsx(data, sheet)
    # A Frontdesk export (or any ZIP with one table in it): read the roster inside.
    inner = [n for n in names if n.rsplit("/", 1)[-1].lower() in ("roster.csv", "frontdesk-export.xlsx")]
    inner = inner or [n for n in names if n.lower().endswith((".csv", ".xlsx")) and not n.startswith("__MACOSX")]
    if len(inner) != 1:
        raise FileProblem("This ZIP file does not hold one table to import. Unpack it and import the roster file.")
    with archive.open(inner[0]) as f:
        body = f.read(MAX_BYTES + 1)
    return read_table(body, inner[0], delimiter=delimiter, sheet=sheet)


def _read_xlsx(data: bytes, sheet: str | None) -> Table:
    import openpyxl  # the server's extra: only the import needs it

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "no default style" and similar: harmless in files from other software
        try:
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception:  # openpyxl raises many kinds for a damaged file
            raise FileProblem("This Excel file could not be opened: it may be damaged or protected with a password. "
                              "Save it again in Excel and import that file.") from None  # fmt: skip
        try:
            sheets = list(book.sheetnames)
            chosen = sheet or _first_sheet_with_data(book, sheets)
            if chosen not in sheets:
                raise FileProblem(f"The workbook has no sheet named “{chosen}”.")
            records = []
            for i, row in enumerate(book[chosen].iter_rows(values_only=True)):
                if i > MAX_ROWS:
                    raise FileProblem(f"The sheet has more than {MAX_ROWS:,} rows. Split it into smaller files.")
                records.append([cell_text(v) for v in row[:MAX_COLUMNS + 1]])
        finally:
            book.close()
    table = _table(records, "xlsx")
    table.sheet, table.sheets = chosen, sheets
    return table


def _first_sheet_with_data(book, sheets: list[str]) -> str:
    for name in sheets:
        for row in book[name].iter_rows(max_row=5, values_only=True):
            if any(v not in (None, "") for v in row):
                return name
    return sheets[0] if sheets else ""


def cell_text(value: object) -> str:
    """A spreadsheet cell as the text a CSV export would hold (a number never passes through float maths)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = format(Decimal(repr(value)), "f")  # repr: the shortest text that reads back as this number
        return text[:-2] if text.endswith(".0") else text
    return str(value)
