"""Turning the stages' plain results into Dagster metadata and asset-check results."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import dagster as dg

from pvt_dagster.domain import RuleSeverity
from pvt_dagster.masking import mask_pii
from pvt_dagster.validation import CheckOutcome, render_markdown

if TYPE_CHECKING:
    from pvt_dagster.scrubbing import ScrubChange

SEVERITY: dict[RuleSeverity, dg.AssetCheckSeverity] = {
    "failure": dg.AssetCheckSeverity.ERROR, "warning": dg.AssetCheckSeverity.WARN,
    "information": dg.AssetCheckSeverity.WARN}


def masked(value: Any) -> Any:
    """``value`` with every text in it PII-masked (a last line of defence: names of files and
    paths may hold SSN or phone shapes)."""
    if isinstance(value, str):
        return mask_pii(value)
    if isinstance(value, list):
        return [masked(v) for v in value]
    if isinstance(value, dict):
        return {k: masked(v) for k, v in value.items()}
    return value


def to_metadata(values: Mapping[str, Any]) -> dict[str, dg.MetadataValue]:
    """Dagster metadata from plain values (None dropped, lists and dicts as JSON, every text
    PII-masked)."""
    out: dict[str, dg.MetadataValue] = {}
    for name, value in values.items():
        if value is None:
            continue
        if isinstance(value, bool):
            out[name] = dg.MetadataValue.bool(value)
        elif isinstance(value, int):
            out[name] = dg.MetadataValue.int(value)
        elif isinstance(value, float):
            out[name] = dg.MetadataValue.float(value)
        elif isinstance(value, (list, dict)):
            out[name] = dg.MetadataValue.json(masked(value))
        else:
            out[name] = dg.MetadataValue.text(mask_pii(str(value)))
    return out


def check_result(asset_key: dg.AssetKey, outcome: CheckOutcome) -> dg.AssetCheckResult:
    """One rule's outcome as an asset-check result: failure -> ERROR, warning -> WARN,
    information -> passed with its count. Samples in it are already masked."""
    return dg.AssetCheckResult(asset_key=asset_key, check_name=outcome.check_name,
                               **_check_fields(outcome))


def check_evaluation(asset_key: dg.AssetKey, outcome: CheckOutcome,
                     partition: str) -> dg.AssetCheckEvaluation:
    """The same outcome as an evaluation an op logs for one partition (a batch run)."""
    return dg.AssetCheckEvaluation(asset_key=asset_key, check_name=outcome.check_name,
                                   partition=partition, **_check_fields(outcome))


def _check_fields(outcome: CheckOutcome) -> dict[str, Any]:
    """Whether the check passed, its severity and its metadata (with the markdown report)."""
    metadata = to_metadata({
        "column": outcome.column, "rule": outcome.rule, "severity": outcome.severity,
        "failures": outcome.failures,
        "first_data_rows_after_header": list(outcome.rows),
        "samples_masked": list(outcome.samples), "message": outcome.message,
    })
    metadata["report"] = dg.MetadataValue.md(mask_pii(render_markdown([outcome])))
    return {"passed": outcome.passed or outcome.severity == "information",
            "severity": SEVERITY[outcome.severity], "metadata": metadata}


def changes_table(changes: Sequence[ScrubChange]) -> str:
    """A markdown table of the scrub audit: every step, its rows changed, masked samples."""
    if not changes:
        return "No scrub actions configured."
    lines = ["| column | step | action | rows changed | data rows | samples (before → after, "
             "masked) |", "|---|---:|---|---:|---|---|"]
    for c in changes:
        samples = "; ".join(f"{_code(b)} → {_code(a)}" for b, a in c.samples) or "-"
        rows = ", ".join(str(r) for r in c.rows) or "-"
        lines.append(f"| {_cell(c.column)} | {c.step} | {c.action} | {c.rows_changed} | "
                     f"{rows} | {samples} |")
    return "\n".join(lines) + "\n"


def validated_metadata(outcomes: Sequence[CheckOutcome]) -> dict[str, dg.MetadataValue]:
    """The whole failure report of ``validated`` as one markdown table."""
    return {"report": dg.MetadataValue.md(mask_pii(render_markdown(outcomes)))}


def scrubbed_metadata(changes: Sequence[ScrubChange],
                      recheck: Sequence[CheckOutcome]) -> dict[str, dg.MetadataValue]:
    """The scrub audit and the second validation (of the scrubbed output) as markdown."""
    problems = [o.check_name for o in recheck if not o.passed]
    return {"changes": dg.MetadataValue.md(mask_pii(changes_table(changes))),
            "recheck": dg.MetadataValue.md(mask_pii(render_markdown(recheck))),
            "recheck_failed_checks": dg.MetadataValue.json(problems)}


def _cell(text: str) -> str:
    """Text safe inside a markdown table cell."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _code(text: str) -> str:
    """A code span (so ``*`` of masked values is not read as emphasis)."""
    return "`" + _cell(text.replace("`", "'")) + "`"
