"""The scrub actions added for production: title, replace, map, date, format and
null_if_invalid, each with good and bad data, and the engine's masked audit of their changes."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from pvt_dagster.config.models import FeedConfig, ScrubStep
from pvt_dagster.errors import ScrubError
from pvt_dagster.scrubbing import apply_action, apply_step, scrub_file


def series(*values: str) -> pd.Series:
    """A Series of strings."""
    return pd.Series(list(values), dtype=object)


def step(spec: Any) -> ScrubStep:
    """A validated scrub step."""
    return ScrubStep.model_validate(spec)


def test_title() -> None:
    """Title case; empties stay empty."""
    assert apply_step(series("mary ANN", "", "o'neil"), step("title")).tolist() == [
        "Mary Ann", "", "O'Neil"]


def test_replace_with_groups() -> None:
    """A regex with a replacement (groups allowed); non-matching values are kept."""
    spec = {"replace": {"pattern": r"^(\d{5})(\d{4})$", "with": r"\1-\2"}}
    assert apply_step(series("123456789", "12345", ""), step(spec)).tolist() == [
        "12345-6789", "12345", ""]
    assert apply_step(series("a  b"), step({"replace": {"pattern": r"\s+"}})).tolist() == ["ab"]
    with pytest.raises(ScrubError, match="invalid"):
        apply_action(series("x"), "replace", {"pattern": "(", "with": ""})


def test_map_values() -> None:
    """A value table, optionally ignoring case; values not in it are kept."""
    spec = {"map": {"values": {"M": "male", "F": "female"}}}
    assert apply_step(series("M", "F", "m", "X", ""), step(spec)).tolist() == [
        "male", "female", "m", "X", ""]
    spec = {"map": {"values": {"M": "male"}, "ignore_case": True}}
    assert apply_step(series("m", "M"), step(spec)).tolist() == ["male", "male"]
    with pytest.raises(ValueError, match="at least 1"):
        step({"map": {"values": {}}})


def test_date_to_iso() -> None:
    """Listed formats are tried in order; dates that match none are kept as they are."""
    spec = {"date": {"formats": ["%m/%d/%Y", "%Y%m%d", "%d %b %Y"]}}
    assert apply_step(series("01/02/2003", "20240229", "5 Mar 1999", "2023-02-30x", "", "9/9"),
                      step(spec)).tolist() == [
        "2003-01-02", "2024-02-29", "1999-03-05", "2023-02-30x", "", "9/9"]


def test_format_ssn_and_phone() -> None:
    """Digits that fit are laid out; other values (letters, wrong count) are kept."""
    ssn = step({"format": {"as": "ssn"}})
    assert apply_step(series("123456789", "123-45-6789", "12345678", "12345678A", ""),
                      ssn).tolist() == ["123-45-6789", "123-45-6789", "12345678",
                                        "12345678A", ""]
    phone = step({"format": {"as": "phone"}})
    assert apply_step(series("555.123.4567", "+1 555 123 4567", "123", "call me"),
                      phone).tolist() == ["(555) 123-4567", "(555) 123-4567", "123", "call me"]
    with pytest.raises(ValueError):
        step({"format": {"as": "zip"}})


def feed(columns: dict[str, Any]) -> FeedConfig:
    """A plain CSV feed."""
    return FeedConfig.model_validate({"source": "s", "pattern": "*", "decrypt": "none",
                                      "columns": columns})


def test_null_if_invalid_after_a_named_rule(tmp_path: Path) -> None:
    """Values failing the named rule (by kind or check name) are emptied, audited masked."""
    src = tmp_path / "in.csv"
    src.write_text("ssn,state\n123-45-6789,CA\n000-12-3456,XX\n,NY\n987-65-4321,ny\n")
    config = feed({
        "ssn": {"checks": [{"rule": "pattern", "pattern": "ssn"}],
                "scrub": [{"null_if_invalid": {"rule": "pattern"}}, "strip_hyphens"]},
        "state": {"pii": False,
                  "checks": [{"rule": "in_list", "values": "us_states", "severity": "warning"}],
                  "scrub": ["upper", {"null_if_invalid": {"rule": "state__in_list"}}]},
    })
    report = scrub_file(src, tmp_path / "out.csv", config, chunk_rows=2)
    with (tmp_path / "out.csv").open(newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows == [["ssn", "state"], ["123456789", "CA"], ["", ""], ["", "NY"],
                    ["", "NY"]]
    changes = {(c.column, c.action): c for c in report.changes}
    nulled = changes[("ssn", "null_if_invalid")]
    assert (nulled.rows_changed, nulled.rows) == (2, [2, 4])
    assert nulled.samples == [("***-**-3456", "(empty)"), ("***-**-4321", "(empty)")]
    assert changes[("state", "null_if_invalid")].samples == [("XX", "(empty)")]


def test_null_if_invalid_needs_a_rule_of_the_column(tmp_path: Path) -> None:
    """Naming a rule the column does not have, or a whole-column rule, is a ScrubError."""
    src = tmp_path / "in.csv"
    src.write_text("ssn\n1\n")
    for checks, name in (([], "pattern"), ([{"rule": "unique"}], "unique")):
        config = feed({"ssn": {"checks": checks, "scrub": [{"null_if_invalid": {"rule": name}}]}})
        with pytest.raises(ScrubError, match="null_if_invalid on ssn"):
            scrub_file(src, tmp_path / "out.csv", config)
