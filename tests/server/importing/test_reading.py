"""Reading files from other software: encodings, separators, Excel quirks, and files that are not tables."""

from __future__ import annotations

import io
import zipfile

import pytest

from server.importing.reading import FileProblem, cell_text, decode, read_table, sniff_delimiter
from tests.fixtures import imports as fx


def test_a_clean_export_is_read_as_it_is():
    t = read_table(fx.clean_csv(), "clean.csv")
    assert t.format == "csv" and t.delimiter == "," and t.encoding == "UTF-8"
    assert t.headers == fx.CLEAN_HEADERS
    assert len(t.rows) == 8 and t.row_numbers == list(range(2, 10))
    assert t.rows[0][:3] == ["Okafor", "Ngozi", "Okafor"]


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_the_separator_is_found(delimiter):
    text = delimiter.join(["Family", "Email", "Note"]) + "\n" + delimiter.join(["Smith", "a@example.com", '"x, y; z"']) + "\n"
    assert sniff_delimiter(text) == delimiter
    t = read_table(text.encode(), "f.csv")
    assert t.rows == [["Smith", "a@example.com", "x, y; z"]]


def test_bom_utf16_and_windows_1252_are_decoded():
    assert decode("Family\nJosé\n".encode("utf-8-sig")) == ("Family\nJosé\n", "UTF-8 with BOM")
    assert decode("Family\tName\nZoë\tx\n".encode("utf-16"))[0].startswith("Family\tName")
    assert decode("Family\nRenée\n".encode("cp1252")) == ("Family\nRenée\n", "Windows-1252")


def test_mixed_encodings_are_read_line_by_line():
    t = read_table(fx.messy_csv(), "messy.csv")
    assert t.encoding == "UTF-8 and Windows-1252 mixed" and t.delimiter == ";"
    names = [r[0].strip() for r in t.rows]
    assert "Dubois" in names and "Müller" in names and "GARCÍA" in names
    dubois = next(r for r in t.rows if r[0] == "Dubois")
    assert dubois[1] == "Renée Dubois"


def test_quoted_newlines_blank_rows_and_trailing_columns():
    t = read_table(fx.messy_csv(), "messy.csv")
    assert t.headers[-1] == "Amount Due"  # Excel's two empty trailing header cells are dropped
    garcia = t.rows[0]
    assert garcia[4] == "18 Lake Shore Dr\nApt 4"
    assert 5 not in t.row_numbers  # the blank row keeps its number but is not a row
    assert t.row_numbers == [2, 3, 4, 6, 7, 8, 9]
    assert t.too_long == {}


def test_duplicate_and_empty_headers_get_names():
    t = read_table(b"Email,Email,,Name\na,b,c,d\n", "f.csv")
    assert t.headers == ["Email", "Email (2)", "Column C", "Name"]


def test_a_row_with_an_unquoted_separator_is_noted():
    t = read_table(fx.hostile_unquoted_comma(), "f.csv")
    assert t.too_long == {3: 17}


def test_xlsx_cells_read_as_text_without_float_maths():
    t = read_table(fx.clean_xlsx(), "clean.xlsx")
    assert t.format == "xlsx" and t.sheet == "Families" and t.sheets == ["Families"]
    okafor = t.rows[0]
    assert okafor[11] == "2016-04-12"  # a date cell
    assert okafor[15] == "45"  # 45.0 as Excel stores it
    assert t.rows[5][15] == "120.5"
    assert t.rows[2][4] == "7735550102"  # a phone typed as a number
    assert cell_text(0.29) == "0.29" and cell_text(1e-7) == "0.0000001"


def test_a_zip_export_reads_its_roster():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("families.csv", "x,y\n1,2\n")
        z.writestr("roster.csv", fx.clean_csv())
    assert read_table(buf.getvalue(), "export.zip").headers == fx.CLEAN_HEADERS


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "empty"),
        (b"\n\n  \n", "empty"),
        (b"Family,Email\n", "no rows"),
        (fx.hostile_garbage(), "binary data"),
        (fx.hostile_wrong_delimiter(), "Only one column"),
        (fx.old_xls(), "old Excel (.xls)"),
        (fx.damaged_xlsx(), "damaged"),
    ],
)
def test_what_is_not_a_table_is_refused_with_words(data, words):
    with pytest.raises(FileProblem) as info:
        read_table(data, "bad")
    assert words in info.value.message
