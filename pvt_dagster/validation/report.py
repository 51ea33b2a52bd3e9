"""Rendering of check outcomes for Dagster metadata and messages (values arrive masked)."""

from __future__ import annotations

from collections.abc import Iterable

from pvt_dagster.validation.engine import CheckOutcome


def _cell(text: str) -> str:
    """Text safe inside a markdown table cell."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _code(text: str) -> str:
    """A code span (so ``*`` of masked values is not read as emphasis)."""
    return "`" + _cell(text.replace("`", "'")) + "`"


def render_markdown(outcomes: Iterable[CheckOutcome]) -> str:
    """A markdown table of outcomes: check, column, severity, result, failures, rows, samples."""
    lines = [
        "| check | column | severity | result | failures | first rows | samples |",
        "|---|---|---|---|---:|---|---|",
    ]
    count = 0
    for o in outcomes:
        count += 1
        missing = not o.passed and o.message == f"column {o.column} is missing"
        result = "passed" if o.passed else ("missing" if missing else "failed")
        rows = ", ".join(str(r) for r in o.rows)
        samples = ", ".join(_code(s) for s in o.samples)
        lines.append(
            f"| {_cell(o.check_name)} | {_cell(o.column)} | {o.severity} | {result} | "
            f"{o.failures} | {rows} | {samples} |"
        )
    if not count:
        return "_No checks._"
    return "\n".join(lines) + "\n"
