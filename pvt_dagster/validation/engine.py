"""The validation engine: a pandera schema per feed, run lazily on each chunk of a file.

pandera's error text contains data values, so it is never formatted: only the
``failure_cases`` frame is read, and only counts, row numbers and masked samples leave here.
"""

from __future__ import annotations

import gc
import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.config import config_context

from pvt_dagster.config import FeedConfig, FileFormat, FileRuleConfig
from pvt_dagster.domain import RULE_SEVERITIES, RuleSeverity
from pvt_dagster.errors import ParseError, RuleError, one_line
from pvt_dagster.formats import ARROW_CHUNK_ROWS, read_arrow_chunks
from pvt_dagster.masking import show_value
from pvt_dagster.validation.catalogue import FILE_COLUMN, PlannedCheck, planned_checks
from pvt_dagster.validation.filerules import (
    ROW_RULES,
    drop_problem,
    header_problems,
    looks_like_column_name,
    row_count_problem,
    row_predicate,
)
from pvt_dagster.validation.messages import outcome_message
from pvt_dagster.validation.outcome import CheckOutcome
from pvt_dagster.validation.rules import predicate

MAX_ROWS = 10
MAX_SAMPLES = 5


@dataclass(frozen=True)
class ValidationReport:
    """What validating one file found: rows parsed, its columns, outcomes, or a parse error.
    (``rows`` and ``columns`` are what was read before a parse error, if any.)"""

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

    def by_severity(self) -> dict[RuleSeverity, int]:
        """How many checks found something, per severity (all three keys present)."""
        counts = Counter(o.severity for o in self.outcomes if not o.passed)
        return {s: counts.get(s, 0) for s in RULE_SEVERITIES}


@dataclass
class _Tally:
    """Running totals of one check across chunks (only masked samples are kept)."""

    check: PlannedCheck
    pii: bool
    failures: int = 0
    rows: list[int] = field(default_factory=list)
    samples: list[str] = field(default_factory=list)

    def add(self, rows: list[int], values: list[str]) -> None:
        """Add one chunk's first failing rows (sorted) and their raw values (masked here)."""
        self.rows.extend(rows[: MAX_ROWS - len(self.rows)])
        for value in values[: max(MAX_SAMPLES - len(self.samples), 0)]:
            self.samples.append(show_value(str(value), pii=self.pii))


class _Guard:
    """Wraps rule predicates run by pandera. It counts each check's failing rows itself and
    shows pandera only the first ``MAX_ROWS`` of them per chunk: pandera's failure-case
    consolidation (sorting, NA checks) otherwise costs as much as the checks themselves, and
    the report keeps no more rows than that anyway. An exception inside a predicate (custom
    code) is not swallowed by pandera's lazy mode: it is kept and raised as a RuleError."""

    def __init__(self) -> None:
        self.errors: list[tuple[str, BaseException]] = []
        self.counts: Counter[str] = Counter()

    def wrap(self, name: str, function: Callable[[Any], pd.Series]) -> Callable[[Any], Any]:
        """``function`` counted, its failures beyond the first ``MAX_ROWS`` hidden."""

        def guarded(data: Any) -> Any:
            try:
                ok = np.asarray(function(data), dtype=bool)
            except Exception as exc:
                self.errors.append((name, exc))
                return pd.Series(True, index=data.index)
            failing = np.flatnonzero(~ok)
            if len(failing):
                self.counts[name] += len(failing)
                if len(failing) > MAX_ROWS:
                    ok = ok.copy()
                    ok[failing[MAX_ROWS:]] = True
            return pd.Series(ok, index=data.index)

        return guarded

    def raise_first(self) -> None:
        """Raise the first recorded error as a RuleError (our text, the cause chained)."""
        if self.errors:
            name, exc = self.errors[0]
            if isinstance(exc, RuleError):
                raise RuleError(f"check {name}: {exc}") from exc
            raise RuleError(f"check {name}: the rule raised {one_line(exc)}") from exc


def build_schema(feed: FeedConfig, checks: list[PlannedCheck] | None = None,
                 guard: _Guard | None = None) -> pa.DataFrameSchema:
    """A pandera schema with one vectorised ``pa.Check`` per planned check, named after it:
    column rules on their column, row-level file rules on the frame."""
    checks = planned_checks(feed) if checks is None else checks
    guard = guard or _Guard()
    by_column: dict[str, list[pa.Check]] = {}
    frame_checks: list[pa.Check] = []
    for check in checks:
        if isinstance(check.config, FileRuleConfig):
            if check.rule in ROW_RULES:
                frame_checks.append(pa.Check(guard.wrap(check.name, row_predicate(check.config)),
                                             name=check.name, error=check.name,
                                             element_wise=False))
            continue
        by_column.setdefault(check.column, []).append(
            pa.Check(guard.wrap(check.name, predicate(check)), name=check.name,
                     error=check.name, element_wise=False))
    columns = {
        name: pa.Column(None, checks=column_checks, required=False, nullable=True, coerce=False)
        for name, column_checks in by_column.items()
    }
    return pa.DataFrameSchema(columns, checks=frame_checks, strict=False, coerce=False)


def _run_schema(schema: pa.DataFrameSchema, chunk: pd.DataFrame) -> pd.DataFrame | None:
    """Validate one chunk lazily; the failure cases frame, or None when everything passed."""
    with config_context(validation_enabled=True, validation_depth="SCHEMA_AND_DATA"):
        try:
            schema.validate(chunk, lazy=True)
        except pa.errors.SchemaErrors as exc:
            return exc.failure_cases
    return None


def _record(tallies: dict[str, _Tally], cases: pd.DataFrame, counts: Counter[str]) -> None:
    """Fold one chunk's counts and failure cases into the tallies, by check name (a
    frame-level check lists each failing row once per column: no samples for it)."""
    for name, count in counts.items():
        tallies[name].failures += count
    cases = cases[cases["check"].isin(list(tallies))]
    for name, group in cases.groupby("check", sort=False):
        tally = tallies[str(name)]
        if tally.check.file_level:
            tally.add(sorted({int(i) for i in group["index"].dropna()})[:MAX_ROWS], [])
            continue
        group = group.sort_values("index", kind="stable")
        head = group.head(MAX_ROWS)
        tally.add([int(i) for i in head["index"]], list(head["failure_case"]))


def _whole_file(check: PlannedCheck, columns: list[str], rows: int, declared: list[str],
                previous_rows: int | None) -> CheckOutcome:
    """The outcome of a header, row_count or row_count_drop rule."""
    rule = check.config
    assert isinstance(rule, FileRuleConfig)
    passed, failures, message = True, 0, f"passed: {rows} rows checked"
    if rule.rule == "header":
        problems = header_problems(rule, declared, columns)
        if problems:
            passed, failures = False, len(problems)
            message = "header " + "; ".join(problems)
        else:
            message = "passed: the header has the declared columns"
    elif rule.rule == "row_count":
        problem = row_count_problem(rule, rows)
        if problem:
            passed, failures, message = False, 1, problem
    else:
        passed, message = drop_problem(rule, rows, previous_rows)
        failures = 0 if passed else 1
    return CheckOutcome(check.name, check.rule, FILE_COLUMN, check.severity, passed=passed,
                        failures=failures, message=message)


def check_header_line(columns: list[str], declared: list[str]) -> None:
    """ParseError when the first line names none of the declared columns and holds values
    that are not column names (numbers, SSNs, dates): the file has no header line, and its
    first row of data must not become column names that reach messages, check metadata or
    table columns."""
    if (declared and columns and not set(declared) & set(columns)
            and any(not looks_like_column_name(c) for c in columns)):
        raise ParseError(f"the first line names none of the declared columns "
                         f"({', '.join(declared[:10])}) and holds data: the file has no "
                         "header line", line=1)


def validate_file(
    path: str | os.PathLike[str],
    feed: FeedConfig,
    *,
    fmt: FileFormat | None = None,
    chunk_rows: int = ARROW_CHUNK_ROWS,
    previous_rows: int | None = None,
) -> ValidationReport:
    """Validate a file chunk by chunk against the feed's planned checks; ``previous_rows`` is
    the row count of the feed's previous delivered file (for ``row_count_drop``)."""
    fmt = fmt or feed.format
    checks = planned_checks(feed)
    guard = _Guard()
    schema = build_schema(feed, checks, guard)  # ConfigError here, before any reading
    pii = {name: column.pii for name, column in feed.columns.items()}
    tallies = {c.name: _Tally(check=c, pii=pii.get(c.column, True)) for c in checks}
    rows = 0
    columns: list[str] = []
    try:
        for chunk in read_arrow_chunks(path, fmt, chunk_rows=chunk_rows,
                                       columns_hint=list(pii)):
            if not columns:
                columns = list(chunk.columns)
                check_header_line(columns, list(pii))
            rows += len(chunk)
            if len(chunk):
                guard.counts.clear()
                cases = _run_schema(schema, chunk)
                guard.raise_first()
                if cases is not None:
                    _record(tallies, cases, guard.counts)
                del cases, chunk
                # pandera's SchemaErrors keep the chunk in a young reference cycle; collecting
                # generations 0-1 now (about 5 ms) keeps memory flat instead of growing until
                # a full collection.
                gc.collect(1)
    except ParseError as exc:
        return ValidationReport(rows=rows, columns=columns, outcomes=[], parse_error=exc)
    present = set(columns)
    outcomes: list[CheckOutcome] = []
    for check in checks:
        tally = tallies[check.name]
        if check.file_level and check.rule not in ROW_RULES:
            outcomes.append(_whole_file(check, columns, rows, list(pii), previous_rows))
            continue
        if not check.file_level and check.column not in present:
            outcomes.append(CheckOutcome(
                check.name, check.rule, check.column, check.severity, passed=False, failures=0,
                message=f"column {check.column} is missing",
            ))
            continue
        outcomes.append(CheckOutcome(
            check.name, check.rule, check.column, check.severity,
            passed=tally.failures == 0, failures=tally.failures, rows=list(tally.rows),
            samples=list(tally.samples), message=outcome_message(check, tally.failures, rows),
        ))
    return ValidationReport(rows=rows, columns=columns, outcomes=outcomes)
