"""The scrub engine: steps in order, change audit, atomic UTF-8 output and its round trip."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from pvt_dagster.config.models import FeedConfig
from pvt_dagster.errors import ParseError
from pvt_dagster.formats import read_chunks
from pvt_dagster.scrubbing import ScrubChange, scrub_file
from pvt_dagster.validation import validate_file


def feed(columns: dict[str, Any], **fmt: Any) -> FeedConfig:
    """A minimal feed with these columns and format options."""
    return FeedConfig.model_validate(
        {"source": "drop", "pattern": "*.csv", "decrypt": "none", "columns": columns,
         "format": fmt}
    )


MEMBERS = feed({
    "ssn": {"required": True, "checks": [{"rule": "pattern", "pattern": "ssn"}],
            "scrub": ["strip_hyphens"]},
    "phone": {"scrub": ["trim", "digits_only"]},
    "member_id": {"pii": False, "scrub": [{"pad_left": {"width": 6, "fill": "0"}}]},
    "absent": {"scrub": ["upper"]},
})
CSV = (
    "ssn,name,phone,member_id\n"
    "123-45-6789,\"Doe, Jane\",(555) 123-4567,42\n"
    "234567890,Bob,5551234567,123456\n"
    ",\"Multi\nLine\",  555.123.4567 ,7\n"
    "345-67-8901,Ann,,\n"
)


def change(changes: list[ScrubChange], column: str, step: int) -> ScrubChange:
    """The audit record of one column's step."""
    return next(c for c in changes if c.column == column and c.step == step)


def test_scrub_output_and_audit(tmp_path: Path) -> None:
    """Steps run in order, each counted against its own input; all columns are written."""
    src, dst = tmp_path / "in.csv", tmp_path / "out" / "out.csv"
    src.write_text(CSV, encoding="utf-8")
    report = scrub_file(src, dst, MEMBERS, chunk_rows=2)
    assert report.rows == 4
    assert [(c.column, c.action, c.step) for c in report.changes] == [
        ("ssn", "strip_hyphens", 1), ("phone", "trim", 1), ("phone", "digits_only", 2),
        ("member_id", "pad_left", 1),
    ]
    ssn = change(report.changes, "ssn", 1)
    assert (ssn.rows_changed, ssn.rows) == (2, [1, 4])
    assert ssn.samples == [("***-**-6789", "*****6789"), ("***-**-8901", "*****8901")]
    trim = change(report.changes, "phone", 1)
    assert (trim.rows_changed, trim.rows) == (1, [3])
    digits = change(report.changes, "phone", 2)
    assert (digits.rows_changed, digits.rows) == (2, [1, 3])
    assert digits.samples[1] == ("***.***.4567", "******4567")  # before = output of trim
    member = change(report.changes, "member_id", 1)
    assert (member.rows_changed, member.rows) == (2, [1, 3])
    assert member.samples == [("42", "000042"), ("7", "000007")]  # pii: false: clear

    with dst.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert rows == [
        ["ssn", "name", "phone", "member_id"],
        ["123456789", "Doe, Jane", "5551234567", "000042"],
        ["234567890", "Bob", "5551234567", "123456"],
        ["", "Multi\nLine", "5551234567", "000007"],
        ["345678901", "Ann", "", ""],
    ]
    assert b"\r\n" not in dst.read_bytes()
    assert [p.name for p in dst.parent.iterdir()] == ["out.csv"]


def test_round_trip_and_idempotence(tmp_path: Path) -> None:
    """The output reads back with the reader, validates, and scrubbing it again changes nothing."""
    src, out1, out2 = tmp_path / "in.csv", tmp_path / "o1.csv", tmp_path / "o2.csv"
    src.write_text(CSV, encoding="utf-8")
    scrub_file(src, out1, MEMBERS)
    back = pd.concat(list(read_chunks(out1, MEMBERS.format)))
    assert list(back.columns) == ["ssn", "name", "phone", "member_id"]
    assert list(back.index) == [1, 2, 3, 4]
    assert not validate_file(out1, feed({"ssn": {"checks": [
        {"rule": "pattern", "pattern": "ssn"}]}})).failed
    again = scrub_file(out1, out2, MEMBERS, chunk_rows=1)
    assert all(c.rows_changed == 0 for c in again.changes)
    assert out1.read_bytes() == out2.read_bytes()
    scrub_file(src, out2, MEMBERS, chunk_rows=3)
    assert out1.read_bytes() == out2.read_bytes()  # chunking does not change the output


def test_input_format_is_normalised(tmp_path: Path) -> None:
    """A Latin-1, ';'-delimited, headerless input becomes UTF-8 CSV with the declared header."""
    config = feed({"ssn": {"scrub": ["digits_only"]}, "city": {}},
                  delimiter=";", encoding="latin-1", header=False)
    src, dst = tmp_path / "in.csv", tmp_path / "out.csv"
    src.write_bytes("123-45-6789;Köln\n987-65-4321;\"Genève; CH\"\n".encode("latin-1"))
    report = scrub_file(src, dst, config)
    assert report.rows == 2
    assert dst.read_text(encoding="utf-8") == (
        "ssn,city\n123456789,Köln\n987654321,Genève; CH\n"
    )


def test_header_only_and_parse_error_leave_no_partial_output(tmp_path: Path) -> None:
    """A header-only file gives a header-only output; a parse error leaves dst untouched."""
    src, dst = tmp_path / "in.csv", tmp_path / "out.csv"
    src.write_text("ssn,phone\n", encoding="utf-8")
    report = scrub_file(src, dst, MEMBERS)
    assert report.rows == 0 and dst.read_text(encoding="utf-8") == "ssn,phone\n"
    src.write_text("ssn,phone\n" + "1-2,3\n" * 3 + "4,5,6\n", encoding="utf-8")
    with pytest.raises(ParseError):
        scrub_file(src, dst, MEMBERS, chunk_rows=1)
    assert dst.read_text(encoding="utf-8") == "ssn,phone\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv", "out.csv"]


def test_raw_ssn_never_in_audit(tmp_path: Path) -> None:
    """Audit samples of a PII column never hold the clear value."""
    src, dst = tmp_path / "in.csv", tmp_path / "out.csv"
    src.write_text(CSV, encoding="utf-8")
    text = repr(scrub_file(src, dst, MEMBERS))
    for secret in ("123-45-6789", "123456789", "345-67-8901", "345678901"):
        assert secret not in text
