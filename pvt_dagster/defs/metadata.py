"""Turning the stages' plain results into Dagster metadata and asset-check results."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dagster as dg

from pvt_dagster.validation import CheckOutcome, render_markdown

SEVERITY = {"failure": dg.AssetCheckSeverity.ERROR, "warning": dg.AssetCheckSeverity.WARN,
            "information": dg.AssetCheckSeverity.WARN}


def to_metadata(values: Mapping[str, Any]) -> dict[str, dg.MetadataValue]:
    """Dagster metadata from plain values (None dropped, lists and dicts as JSON)."""
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
            out[name] = dg.MetadataValue.json(value)
        else:
            out[name] = dg.MetadataValue.text(str(value))
    return out


def check_result(asset_key: dg.AssetKey, outcome: CheckOutcome) -> dg.AssetCheckResult:
    """One rule's outcome as an asset-check result: failure -> ERROR, warning -> WARN,
    information -> passed with its count. Samples in it are already masked."""
    passed = outcome.passed or outcome.severity == "information"
    metadata = to_metadata({
        "column": outcome.column, "rule": outcome.rule, "severity": outcome.severity,
        "failures": outcome.failures, "first_rows": list(outcome.rows),
        "samples_masked": list(outcome.samples), "message": outcome.message,
    })
    metadata["report"] = dg.MetadataValue.md(render_markdown([outcome]))
    return dg.AssetCheckResult(asset_key=asset_key, check_name=outcome.check_name,
                               passed=passed, severity=SEVERITY[outcome.severity],
                               metadata=metadata)
