"""Feed-level rules with good and bad data: header (strict or any order, extra columns), row
count bounds, duplicate rows across chunks, a drop against the previous delivery, custom."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pvt_dagster.config.models import FeedConfig
from pvt_dagster.validation import CheckOutcome, render_markdown, validate_file

CUSTOM = "pvt_dagster_tests.validation.custom_rules"


def run(tmp_path: Path, text: str, rule: dict[str, Any], *, columns: tuple[str, ...] = ("a", "b"),
        chunk_rows: int = 100_000, previous_rows: int | None = None) -> CheckOutcome:
    """Validate ``text`` with one file rule over declared ``columns``; its outcome."""
    path = tmp_path / "f.csv"
    path.write_text(text, encoding="utf-8")
    config = FeedConfig.model_validate({
        "source": "s", "pattern": "*", "decrypt": "none",
        "columns": {c: {} for c in columns}, "file_checks": [rule]})
    report = validate_file(path, config, chunk_rows=chunk_rows, previous_rows=previous_rows)
    (outcome,) = report.outcomes
    assert outcome.column == "(file)" and outcome.check_name.startswith("file__")
    return outcome


@pytest.mark.parametrize(("header", "rule", "passed", "problem"), [
    ("a,b", {}, True, ""),
    ("b,a", {}, False, "out of order"),
    ("b,a", {"order": "any"}, True, ""),
    ("a,b,c", {}, False, "not declared: c"),
    ("a,c,b", {"extra_columns": True}, True, ""),
    ("a,x", {"order": "any"}, False, "missing: b"),
])
def test_header(tmp_path: Path, header: str, rule: dict[str, Any], passed: bool,
                problem: str) -> None:
    """The header against the declared columns, with the order and extra-columns options."""
    width = header.count(",") + 1
    out = run(tmp_path, f"{header}\n{','.join(['1'] * width)}\n", {"rule": "header", **rule})
    assert out.passed is passed and problem in out.message


def test_row_count(tmp_path: Path) -> None:
    """Fewer than min or more than max rows fail; within bounds passes."""
    text = "a,b\n1,2\n3,4\n5,6\n"
    assert run(tmp_path, text, {"rule": "row_count", "min": 3, "max": 3}).passed
    low = run(tmp_path, text, {"rule": "row_count", "min": 4})
    assert (low.passed, low.failures) == (False, 1) and "fewer than the minimum 4" in low.message
    high = run(tmp_path, text, {"rule": "row_count", "max": 2})
    assert not high.passed and "more than the maximum 2" in high.message


def test_duplicate_rows_across_chunks(tmp_path: Path) -> None:
    """Whole-row repeats are found across chunk boundaries; no values are shown."""
    text = "a,b\n1,x\n2,y\n1,x\n1,y\n2,y\n"
    out = run(tmp_path, text, {"rule": "duplicate_rows"}, chunk_rows=2)
    assert (out.passed, out.failures, out.rows, out.samples) == (False, 2, [3, 5], [])
    assert run(tmp_path, "a,b\n1,x\n1,y\n", {"rule": "duplicate_rows"}).passed


def test_row_count_drop(tmp_path: Path) -> None:
    """A drop of more than the limit against the previous delivered file fails."""
    text = "a,b\n" + "1,2\n" * 7
    rule = {"rule": "row_count_drop", "max_drop_percent": 25}
    assert run(tmp_path, text, rule, previous_rows=None).message.startswith("passed: no prev")
    assert run(tmp_path, text, rule, previous_rows=9).passed  # 22% drop
    out = run(tmp_path, text, rule, previous_rows=10)  # 30% drop
    assert not out.passed and "a drop of 30.0%, more than 25%" in out.message
    assert run(tmp_path, text, rule, previous_rows=3).passed  # growth is fine


def test_custom_file_rule(tmp_path: Path) -> None:
    """A module:function file rule gets the chunk DataFrame and returns a row mask."""
    text = "start,end\n2024-01-01,2024-02-01\n2024-03-01,2024-02-01\n2024-01-01,2023-01-01\n"
    out = run(tmp_path, text, {"rule": "custom", "function": f"{CUSTOM}:start_before_end"},
              columns=("start", "end"), chunk_rows=1)
    assert (out.failures, out.rows) == (2, [2, 3])
    assert "| file__custom | failure | failed | 2 | 2, 3 |" in render_markdown([out])
