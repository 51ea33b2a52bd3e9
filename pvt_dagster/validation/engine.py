"""The validation engine: a pandera schema per feed, run lazily on each chunk of a file.

pandera's error text contains data values, so it is never formatted: only the
``failure_cases`` frame is read, and only counts, row numbers and masked samples leave here.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field

import pandas as pd
import pandera.pandas as pa
from pandera.config import config_context

from pvt_dagster.config.models import CsvFormat, FeedConfig
from pvt_dagster.errors import ParseError
from pvt_dagster.validation.catalogue import PlannedCheck, planned_checks, rule_target
from pvt_dagster.validation.masking import show_value
from pvt_dagster.validation.reader import read_chunks
from pvt_dagster.validation.rules import predicate

MAX_ROWS = 10
MAX_SAMPLES = 5
SEVERITY_ORDER = ("failure", "warning", "information")


@dataclass(frozen=True)
class CheckOutcome:
    """The result of one planned check on one file: counts, first rows and masked samples."""

    check_name: str
    rule: str
    column: str
    severity: str
    passed: bool
    failures: int
    rows: list[int] = field(default_factory=list)
    samples: list[str] = field(default_factory=list)
    message: str = ""


@dataclass(frozen=True)
class ValidationReport:
    """What validating one file found: rows parsed, its columns, outcomes, or a parse error."""

    rows: int
    columns: list[str]
    outcomes: list[CheckOutcome]
    parse_error: ParseError | None = None

    @property
    def failed(self) -> bool:
        """True when the file could not be parsed or a failure-severity check did not pass."""
        return self.parse_error is not None or any(
            o.severity == "failure" and not o.passed for o in self.outcomes
        )

    def by_severity(self) -> dict[str, int]:
        """How many checks found something, per severity (all three keys present)."""
        counts = Counter(o.severity for o in self.outcomes if not o.passed)
        return {s: counts.get(s, 0) for s in SEVERITY_ORDER}


@dataclass
class _Tally:
    """Running totals of one check across chunks (only masked samples are kept)."""

    check: PlannedCheck
    pii: bool
    failures: int = 0
    rows: list[int] = field(default_factory=list)
    samples: list[str] = field(default_factory=list)

    def add(self, rows: list[int], values: list[str], count: int) -> None:
        """Add one chunk's failing rows (sorted) and their raw values (masked here)."""
        self.failures += count
        self.rows.extend(rows[: MAX_ROWS - len(self.rows)])
        for value in values[: max(MAX_SAMPLES - len(self.samples), 0)]:
            self.samples.append(show_value(str(value), pii=self.pii))


def build_schema(feed: FeedConfig, checks: list[PlannedCheck] | None = None) -> pa.DataFrameSchema:
    """A pandera schema with one vectorised ``pa.Check`` per planned check, named after it."""
    checks = planned_checks(feed) if checks is None else checks
    by_column: dict[str, list[pa.Check]] = {}
    for check in checks:
        by_column.setdefault(check.column, []).append(
            pa.Check(predicate(check), name=check.name, error=check.name, element_wise=False)
        )
    columns = {
        name: pa.Column(None, checks=column_checks, required=False, nullable=True, coerce=False)
        for name, column_checks in by_column.items()
    }
    return pa.DataFrameSchema(columns, strict=False, coerce=False)


def _run_schema(schema: pa.DataFrameSchema, chunk: pd.DataFrame) -> pd.DataFrame | None:
    """Validate one chunk lazily; the failure cases frame, or None when everything passed."""
    with config_context(validation_enabled=True, validation_depth="SCHEMA_AND_DATA"):
        try:
            schema.validate(chunk, lazy=True)
        except pa.errors.SchemaErrors as exc:
            return exc.failure_cases
    return None


def _record(tallies: dict[str, _Tally], cases: pd.DataFrame) -> None:
    """Fold one chunk's failure cases into the tallies, by check name."""
    cases = cases[cases["check"].isin(list(tallies))]
    for name, group in cases.groupby("check", sort=False):
        group = group.sort_values("index", kind="stable")
        head = group.head(MAX_ROWS)
        tallies[str(name)].add(
            [int(i) for i in head["index"]], list(head["failure_case"]), len(group)
        )


def _message(check: PlannedCheck, failures: int, rows: int) -> str:
    """A one-line summary of an outcome, without data values."""
    if failures == 0:
        return f"passed: {rows} rows checked"
    if check.rule == "required" or check.config is None:
        return f"{failures} of {rows} rows have an empty {check.column}"
    target = rule_target(check.config)
    if check.rule == "pattern":
        if check.config.regex is not None:
            target = "the regular expression"
        return f"{failures} of {rows} rows do not match {target}"
    return f"{failures} of {rows} rows are not in {target}"


def validate_file(
    path: str | os.PathLike[str],
    feed: FeedConfig,
    *,
    fmt: CsvFormat | None = None,
    chunk_rows: int = 100_000,
) -> ValidationReport:
    """Validate a file chunk by chunk against the feed's planned checks."""
    fmt = fmt or feed.format
    checks = planned_checks(feed)
    schema = build_schema(feed, checks)  # ConfigError here, before any reading
    pii = {name: column.pii for name, column in feed.columns.items()}
    tallies = {c.name: _Tally(check=c, pii=pii.get(c.column, True)) for c in checks}
    rows = 0
    columns: list[str] = []
    try:
        for chunk in read_chunks(path, fmt, chunk_rows=chunk_rows, columns_hint=list(pii)):
            if not columns:
                columns = list(chunk.columns)
            rows += len(chunk)
            if len(chunk):
                cases = _run_schema(schema, chunk)
                if cases is not None:
                    _record(tallies, cases)
    except ParseError as exc:
        return ValidationReport(rows=rows, columns=columns, outcomes=[], parse_error=exc)
    present = set(columns)
    outcomes: list[CheckOutcome] = []
    for check in checks:
        tally = tallies[check.name]
        if check.column not in present:
            outcomes.append(CheckOutcome(
                check.name, check.rule, check.column, check.severity, passed=False, failures=0,
                message=f"column {check.column} is missing",
            ))
            continue
        outcomes.append(CheckOutcome(
            check.name, check.rule, check.column, check.severity,
            passed=tally.failures == 0, failures=tally.failures, rows=list(tally.rows),
            samples=list(tally.samples), message=_message(check, tally.failures, rows),
        ))
    return ValidationReport(rows=rows, columns=columns, outcomes=outcomes)
