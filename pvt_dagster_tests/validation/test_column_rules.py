"""Every column rule with good and bad data: required (presence), not_null, unique across
chunks, length, range of numbers and dates, type (integer, decimal, date, boolean), custom."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pvt_dagster.config.models import FeedConfig
from pvt_dagster.errors import ConfigError, RuleError
from pvt_dagster.validation import CheckOutcome, ValidationReport, validate_file

CUSTOM = "pvt_dagster_tests.validation.custom_rules"


def feed(columns: dict[str, Any], **extra: Any) -> FeedConfig:
    """A plain CSV feed with these columns."""
    return FeedConfig.model_validate({"source": "drop", "pattern": "*.csv", "decrypt": "none",
                                      "columns": columns, **extra})


def check(tmp_path: Path, column: str, rule: dict[str, Any], values: list[str],
          chunk_rows: int = 100_000, pii: bool = True) -> CheckOutcome:
    """Validate one column holding ``values`` with one rule; its outcome."""
    path = tmp_path / "f.csv"
    path.write_text(column + "\n" + "".join(f'"{v}"\n' for v in values), encoding="utf-8")
    report = validate_file(path, feed({column: {"pii": pii, "checks": [rule]}}),
                           chunk_rows=chunk_rows)
    (outcome,) = report.outcomes
    return outcome


def failing(outcome: CheckOutcome) -> tuple[int, list[int]]:
    """(failures, first rows)."""
    return outcome.failures, outcome.rows


def test_required_is_presence(tmp_path: Path) -> None:
    """rule required passes with empty values and fails only when the column is missing."""
    assert check(tmp_path, "id", {"rule": "required"}, ["", "1"]).passed
    path = tmp_path / "g.csv"
    path.write_text("other\n1\n")
    report = validate_file(path, feed({"id": {"checks": [{"rule": "required"}]}}))
    assert not report.outcomes[0].passed and report.failed


def test_not_null(tmp_path: Path) -> None:
    """Empty and whitespace-only values fail not_null, with masked samples."""
    out = check(tmp_path, "id", {"rule": "not_null"}, ["1", "", "  ", "4"])
    assert failing(out) == (2, [2, 3]) and out.samples == ["(empty)", "(empty)"]
    assert out.check_name == "id__not_null"
    assert check(tmp_path, "id", {"rule": "not_null"}, ["1", "2"]).passed


def test_unique_across_chunks(tmp_path: Path) -> None:
    """A value repeated in a later chunk is found; empties are not duplicates; masked samples."""
    values = ["123456789", "222334444", "", "", "123456789", "555667777", "222334444"]
    out = check(tmp_path, "ssn", {"rule": "unique"}, values, chunk_rows=2)
    assert failing(out) == (2, [5, 7])
    assert out.samples == ["*****6789", "*****4444"]
    assert "123456789" not in out.message + "".join(out.samples)
    assert check(tmp_path, "ssn", {"rule": "unique"}, ["1", "2", "3"], chunk_rows=1).passed


def test_length(tmp_path: Path) -> None:
    """Values shorter than min or longer than max fail; empties pass."""
    rule = {"rule": "length", "min": 2, "max": 3}
    out = check(tmp_path, "code", rule, ["ab", "a", "abcd", "", "abc"], pii=False)
    assert failing(out) == (2, [2, 3]) and out.samples == ["a", "abcd"]
    assert check(tmp_path, "code", {"rule": "length", "max": 1}, ["a", ""]).passed


def test_range_of_numbers(tmp_path: Path) -> None:
    """Numbers out of range and non-numbers fail; bounds are inclusive."""
    rule = {"rule": "range", "min": 0, "max": 10.5}
    out = check(tmp_path, "n", rule, ["0", "10.5", "-1", "11", "x", " 3 ", ""], pii=False)
    assert failing(out) == (3, [3, 4, 5])


def test_range_of_dates(tmp_path: Path) -> None:
    """Date bounds compare dates, in the rule's format; unparseable dates fail."""
    rule = {"rule": "range", "min": "1900-01-01", "max": "2024-12-31", "format": "%m/%d/%Y"}
    out = check(tmp_path, "dob", rule, ["01/02/1950", "12/31/1899", "01/01/2025", "13/01/2000",
                                        "12/31/2024"])
    assert failing(out) == (3, [2, 3, 4])
    out = check(tmp_path, "dob", {"rule": "range", "min": "2000-01-01"},
                ["2000-01-01", "1999-12-31", "9999-12-31"])
    assert failing(out) == (1, [2])


@pytest.mark.parametrize(("kind", "good", "bad"), [
    ("integer", ["1", "-20", "+3", " 4 "], ["1.5", "x", "1e3"]),
    ("decimal", ["1", "-2.50", ".5", "3."], ["1,5", "abc", "1.2.3"]),
    ("boolean", ["true", "N", "0", "Yes"], ["maybe", "2"]),
    ("date", ["2024-02-29", "0001-01-01"], ["2023-02-29", "2024-13-01", "24-1-1x"]),
])
def test_type(tmp_path: Path, kind: str, good: list[str], bad: list[str]) -> None:
    """Each type accepts its good values and rejects its bad ones (empties pass)."""
    out = check(tmp_path, "v", {"rule": "type", "type": kind}, [*good, "", *bad])
    first_bad = len(good) + 2
    assert failing(out) == (len(bad), list(range(first_bad, first_bad + len(bad))))
    assert out.message.endswith(f"that is not a valid {kind}")


def test_type_date_with_format(tmp_path: Path) -> None:
    """A date format other than ISO."""
    out = check(tmp_path, "d", {"rule": "type", "type": "date", "format": "%d.%m.%Y"},
                ["31.12.1999", "1999-12-31"])
    assert failing(out) == (1, [2])


def test_custom_column_rule(tmp_path: Path) -> None:
    """A module:function rule gets each chunk's Series and returns the mask."""
    rule = {"rule": "custom", "function": f"{CUSTOM}:even"}
    out = check(tmp_path, "n", rule, ["2", "3", "", "8", "9"], chunk_rows=2, pii=False)
    assert failing(out) == (2, [2, 5]) and out.samples == ["3", "9"]


def test_custom_rule_errors_are_ours_without_data(tmp_path: Path) -> None:
    """A raising or mis-typed custom rule is a RuleError that never quotes data."""
    with pytest.raises(RuleError) as raised:
        check(tmp_path, "n", {"rule": "custom", "function": f"{CUSTOM}:explode"}, ["SECRET1"])
    assert "SECRET1" not in str(raised.value) and "ValueError" in str(raised.value)
    with pytest.raises(RuleError, match="one boolean per row"):
        check(tmp_path, "n", {"rule": "custom", "function": f"{CUSTOM}:not_a_mask"}, ["1"])
    with pytest.raises(ConfigError, match="cannot import"):
        check(tmp_path, "n", {"rule": "custom", "function": "no_such_module_x:f"}, ["1"])


def test_check_names_are_stable(tmp_path: Path) -> None:
    """Names are <column>__<rule>[_n] in config order, file rules file__<rule>."""
    config = feed({"Member ID": {"required": True, "checks": [
        {"rule": "unique"}, {"rule": "length", "max": 9}, {"rule": "length", "min": 1}]}},
        file_checks=[{"rule": "header"}, {"rule": "row_count", "min": 1},
                     {"rule": "row_count", "max": 9}])
    path = tmp_path / "f.csv"
    path.write_text("Member ID\n1\n")
    report: ValidationReport = validate_file(path, config)
    assert [o.check_name for o in report.outcomes] == [
        "member_id__required", "member_id__unique", "member_id__length",
        "member_id__length_2", "file__header", "file__row_count", "file__row_count_2"]
    assert all(o.passed for o in report.outcomes)
