"""Rendering of check outcomes for Dagster metadata and messages (values arrive masked)."""

from __future__ import annotations

from collections.abc import Iterable

from pvt_dagster.validation.outcome import CheckOutcome


def _cell(text: str) -> str:
    """Text safe inside a markdown table cell."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _code(text: str) -> str:
    """A code span (so ``*`` of masked values is not read as emphasis)."""
    return "`" + _cell(text.replace("`", "'")) + "`"


MAX_SHOWN_ROWS = 5
MAX_SHOWN_SAMPLES = 3


def render_markdown(outcomes: Iterable[CheckOutcome]) -> str:
    """A narrow markdown table of outcomes (it must fit the UI's overview): check, severity,
    result, failures, the first data rows (1 = the first row after the header) and masked
    samples."""
    lines = [
        "| check | severity | result | failures | data rows | samples (masked) |",
        "|---|---|---|---:|---|---|",
    ]
    count = 0
    for o in outcomes:
        count += 1
        missing = not o.passed and o.message == f"column {o.column} is missing"
        result = "passed" if o.passed else ("missing" if missing else "failed")
        rows = ", ".join(str(r) for r in o.rows[:MAX_SHOWN_ROWS])
        if len(o.rows) > MAX_SHOWN_ROWS:
            rows += ", …"
        samples = ", ".join(_code(s[:20]) for s in o.samples[:MAX_SHOWN_SAMPLES])
        lines.append(f"| {_cell(o.check_name)} | {o.severity} | {result} | {o.failures} | "
                     f"{rows} | {samples} |")
    if not count:
        return "_No checks._"
    return "\n".join(lines) + "\n\n_Data rows count from 1, the first row after the header._\n"
