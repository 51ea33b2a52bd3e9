"""``pvt config check`` on rules, formats and scrub steps: unknown rule names, bad regexes and
impossible options are rejected with the line they are on."""

from __future__ import annotations

from pathlib import Path

import pytest

from pvt_dagster.cli.config_check import check_config
from pvt_dagster_tests.config.samples import MINIMAL, write_config

#: MINIMAL has 14 lines; the feed's extra keys start at line 15.
FEED_KEYS = "        "


def report_for(tmp_path: Path, extra: str) -> list[tuple[int | None, str]]:
    """Check MINIMAL with ``extra`` (indented YAML lines) added to the feed: (line, message)."""
    text = MINIMAL + "".join(FEED_KEYS + line + "\n" for line in extra.strip("\n").split("\n"))
    report = check_config(write_config(tmp_path, text))
    return [(i.line, i.message) for i in report.errors]


def one_error(tmp_path: Path, extra: str) -> tuple[int | None, str]:
    """The single error a config with ``extra`` gets."""
    errors = report_for(tmp_path, extra)
    assert len(errors) == 1, errors
    return errors[0]


def test_good_rules_formats_and_steps_pass(tmp_path: Path) -> None:
    """Every rule, file rule and scrub action with sensible options is accepted."""
    assert report_for(tmp_path, """
format:
  type: fixed_width
  columns: [{name: ssn, start: 1, width: 9}, {name: d, start: 10, end: 17}]
file_checks:
  - {rule: header, order: any, extra_columns: true}
  - {rule: row_count, min: 1, max: 100}
  - {rule: duplicate_rows, severity: warning}
  - {rule: row_count_drop, max_drop_percent: 50}
  - {rule: custom, function: "pvt_dagster_tests.validation.custom_rules:start_before_end"}
columns:
  ssn:
    checks:
      - {rule: not_null}
      - {rule: unique}
      - {rule: length, min: 9, max: 11}
      - {rule: pattern, regex: "[0-9-]+"}
      - {rule: custom, function: "pvt_dagster_tests.validation.custom_rules:even"}
    scrub:
      - trim
      - title
      - {replace: {pattern: "-", with: ""}}
      - {format: {as: ssn}}
      - {null_if_invalid: {rule: pattern}}
  d:
    checks:
      - {rule: type, type: date, format: "%Y%m%d"}
      - {rule: range, min: "1900-01-01", max: "2100-12-31", format: "%Y%m%d"}
    scrub: [{date: {formats: ["%Y%m%d", "%m/%d/%Y"]}}, {map: {values: {a: b}}}]
""") == []


@pytest.mark.parametrize(("extra", "line", "text"), [
    ("columns:\n  a:\n    checks: [{rule: sometimes}]", 17, "must be 'required', 'not_null'"),
    ("columns:\n  a:\n    checks: [{rule: pattern, regex: '[a-'}]", 17, "regex does not compile"),
    ("columns:\n  a:\n    checks:\n      - {rule: length, min: 5, max: 2}", 18,
     "min 5 is greater than max 2"),
    ("columns:\n  a:\n    checks: [{rule: range, min: 9, max: 1}]", 17, "greater than max"),
    ("columns:\n  a:\n    checks: [{rule: type, type: money}]", 17, "must be 'integer'"),
    ("columns:\n  a:\n    checks: [{rule: type, type: date, format: 'YYYY-MM-DD'}]", 17,
     "has no % directive"),
    ("columns:\n  a:\n    checks: [{rule: range, min: '2024-13-01'}]", 17,
     "is not a YYYY-MM-DD date"),
    ("columns:\n  a:\n    checks: [{rule: custom, function: 'nowhere_mod_zz:f'}]", 17,
     "cannot import nowhere_mod_zz"),
    ("columns:\n  a:\n    checks: [{rule: length}]", 17, "needs min, max or both"),
    ("columns:\n  a:\n    scrub: [{map: {values: {}}}]", 17, "at least 1"),
    ("columns:\n  a:\n    scrub: [{replace: {pattern: '(x'}}]", 17, "regex does not compile"),
    ("columns:\n  a:\n    scrub: [{date: {formats: ['%Q']}}]", 17, "not valid"),
    ("columns:\n  a:\n    scrub: [{null_if_invalid: {rule: pattern}}]", 17,
     "column a has no such rule"),
    ("columns:\n  a:\n    checks: [{rule: unique}]\n    scrub: [{null_if_invalid: {rule: unique}}]",
     18, "does not judge one value"),
    ("format: {type: fixed_width, columns: [{name: a, start: 1, width: 0}]}", 15,
     "width must be at least 1"),
    ("file_checks:\n  - {rule: row_count, min: 10, max: 1}", 16, "greater than max"),
    ("file_checks:\n  - {rule: row_count_drop}", 16, "max_drop_percent"),
    ("file_checks:\n  - {rule: sideways}", 16, "must be 'header'"),
])
def test_bad_options_are_rejected_with_their_line(tmp_path: Path, extra: str, line: int,
                                                  text: str) -> None:
    """Each impossible option is one error on the right line."""
    got_line, message = one_error(tmp_path, extra)
    assert got_line == line and text in message, (got_line, message)
