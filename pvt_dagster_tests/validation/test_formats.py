"""Formats: fixed-width (column specs, padding, too-long lines, encodings) and Excel (named or
first sheet, cell types, damaged workbooks), each through validate_file with good and bad data;
and CSV's BOM, Latin-1 and headerless variants."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from openpyxl import Workbook

from pvt_dagster.config.models import FeedConfig
from pvt_dagster.errors import ParseError
from pvt_dagster.formats import read_chunks
from pvt_dagster.validation import validate_file

FIXED = {"type": "fixed_width", "columns": [
    {"name": "id", "start": 1, "width": 4}, {"name": "ssn", "start": 5, "end": 13},
    {"name": "state", "start": 15, "width": 2}]}


def feed(fmt: dict[str, Any], columns: dict[str, Any] | None = None) -> FeedConfig:
    """A feed with this format."""
    return FeedConfig.model_validate({"source": "s", "pattern": "*", "decrypt": "none",
                                      "format": fmt, "columns": columns or {}})


def frame(path: Path, config: FeedConfig, chunk_rows: int = 100_000) -> pd.DataFrame:
    """Every chunk of a file, concatenated."""
    return pd.concat(list(read_chunks(path, config.format, chunk_rows=chunk_rows,
                                      columns_hint=list(config.columns))))


def test_fixed_width_reads_and_validates(tmp_path: Path) -> None:
    """Fields are cut by start/width/end and stripped; short trailing padding is fine."""
    path = tmp_path / "f.txt"
    path.write_text("0001123456789 CA\n  02000123456 ny\n\n0003987654321 T\n", encoding="utf-8")
    config = feed(FIXED, {"ssn": {"checks": [{"rule": "pattern", "pattern": "ssn"}]},
                          "state": {"checks": [{"rule": "in_list", "values": "us_states"}]}})
    data = frame(path, config, chunk_rows=2)
    assert data.to_dict("list") == {"id": ["0001", "02", "0003"],
                                    "ssn": ["123456789", "000123456", "987654321"],
                                    "state": ["CA", "ny", "T"]}
    assert list(data.index) == [1, 2, 3]
    report = validate_file(path, config)
    assert [(o.check_name, o.failures, o.rows) for o in report.outcomes] == [
        ("ssn__pattern", 2, [2, 3]), ("state__in_list", 2, [2, 3])]


def test_fixed_width_header_line_and_latin1(tmp_path: Path) -> None:
    """header: true skips the first line; Latin-1 text decodes."""
    path = tmp_path / "f.txt"
    path.write_bytes("ID  SSN       ST\n0001Müller    CA\n".encode("latin-1"))
    config = feed({**FIXED, "header": True, "encoding": "latin-1"})
    assert frame(path, config)["ssn"].tolist() == ["Müller"]


def test_fixed_width_errors_name_the_line(tmp_path: Path) -> None:
    """A line longer than the layout and undecodable bytes are parse errors with the line."""
    path = tmp_path / "f.txt"
    path.write_text("0001123456789 CA\n0002123456789 CAXX\n")
    report = validate_file(path, feed(FIXED))
    assert report.parse_error is not None and report.parse_error.line == 2
    assert "layout ends at 16" in str(report.parse_error)
    path.write_bytes(b"0001123456789 CA\n0002\xff23456789 CA\n")
    with pytest.raises(ParseError, match="line 2: the file is not valid utf-8"):
        frame(path, feed(FIXED))


def test_fixed_width_options_are_checked() -> None:
    """Overlaps, width < 1 and width-and-end are config errors."""
    for columns in ([{"name": "a", "start": 1, "width": 0}],
                    [{"name": "a", "start": 1, "width": 2, "end": 2}],
                    [{"name": "a", "start": 1, "width": 3}, {"name": "b", "start": 3, "width": 1}]):
        with pytest.raises(ValueError, match=r"width|overlap"):
            feed({"type": "fixed_width", "columns": columns})


def workbook(path: Path, sheets: dict[str, list[list[Any]]]) -> Path:
    """Write an .xlsx with these sheets."""
    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        ws = book.create_sheet(name)
        for row in rows:
            ws.append(row)
    book.save(path)
    return path


def test_excel_first_and_named_sheet(tmp_path: Path) -> None:
    """The first sheet by default, a named one on request; cells become readable text."""
    path = workbook(tmp_path / "f.xlsx", {
        "Cover": [["title"], ["not data"]],
        "Members": [["id", "ssn", "dob", "active", "amount"],
                    [1, "123-45-6789", datetime(1980, 5, 17), True, 12.5],
                    [None, None, None, None, None],
                    [2, "000-12-3456", date(2001, 1, 2), False, 3.0]]})
    assert frame(path, feed({"type": "excel"}))["title"].tolist() == ["not data"]
    config = feed({"type": "excel", "sheet": "Members"},
                  {"ssn": {"checks": [{"rule": "pattern", "pattern": "ssn"}]}})
    data = frame(path, config)
    assert data.to_dict("list") == {"id": ["1", "2"], "ssn": ["123-45-6789", "000-12-3456"],
                                    "dob": ["1980-05-17", "2001-01-02"],
                                    "active": ["true", "false"], "amount": ["12.5", "3"]}
    report = validate_file(path, config)
    assert [(o.failures, o.rows, o.samples) for o in report.outcomes] == [
        (1, [2], ["***-**-3456"])]


def test_excel_errors(tmp_path: Path) -> None:
    """A missing sheet, a damaged workbook and a too-wide row are parse errors."""
    path = workbook(tmp_path / "f.xlsx", {"A": [["x", "y"], [1, 2, 3]]})
    report = validate_file(path, feed({"type": "excel", "sheet": "B"}))
    assert report.parse_error is not None and "no sheet 'B'" in str(report.parse_error)
    report = validate_file(path, feed({"type": "excel"}))
    assert report.parse_error is not None and report.parse_error.line == 2
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    assert "not a readable .xlsx" in str(validate_file(bad, feed({"type": "excel"})).parse_error)


def test_csv_bom_latin1_and_headerless(tmp_path: Path) -> None:
    """UTF-8 with a BOM keeps the first name clean; Latin-1; no header takes declared names."""
    path = tmp_path / "f.csv"
    path.write_bytes("\ufeffname;city\nJosé;Köln\n".encode())
    data = frame(path, feed({"delimiter": ";"}))
    assert list(data.columns) == ["name", "city"] and data["city"].tolist() == ["Köln"]
    path.write_bytes("name,city\nJosé,Köln\n".encode("latin-1"))
    assert frame(path, feed({"encoding": "latin-1"}))["name"].tolist() == ["José"]
    path.write_text("1|a\n2|b\n")
    data = frame(path, feed({"delimiter": "|", "header": False}, {"id": {}, "code": {}}))
    assert data.to_dict("list") == {"id": ["1", "2"], "code": ["a", "b"]}
