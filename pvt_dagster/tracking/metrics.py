"""Per-file, per-stage metrics (after the mysimbdp notes): every stage contributes seconds,
bytes and/or rows, and a throughput, to the file's ``metrics`` in the ledger (``pvt files
--json``) and to its asset's Dagster metadata (plotted over partitions)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pvt_dagster.domain import Stage
from pvt_dagster.ledger import Ledger

METRIC_KEYS = ("seconds", "bytes", "rows", "throughput_bytes_per_s", "throughput_rows_per_s")


def stage_metrics(seconds: float, *, bytes_: int | None, rows: int | None) -> dict[str, Any]:
    """Seconds, bytes, rows and throughputs (per second) of one stage of one file."""
    seconds = max(seconds, 0.0)
    out: dict[str, Any] = {"seconds": round(seconds, 3)}
    if bytes_ is not None:
        out["bytes"] = bytes_
        out["throughput_bytes_per_s"] = round(bytes_ / seconds) if seconds > 0 else None
    if rows is not None:
        out["rows"] = rows
        out["throughput_rows_per_s"] = round(rows / seconds, 1) if seconds > 0 else None
    return {k: v for k, v in out.items() if v is not None}


def add_stage_metrics(ledger: Ledger, key: str, stage: Stage, started: datetime, *,
                      bytes_: int | None, rows: int | None) -> dict[str, Any]:
    """Fill in the metrics a stage did not report itself (its own values are kept)."""
    record = ledger.get_file(key)
    metrics = dict(record.metrics or {})
    current = dict(metrics.get(stage) or {})
    measured = stage_metrics((datetime.now(UTC) - started).total_seconds(),
                             bytes_=bytes_, rows=rows)
    merged = {**measured, **current}
    if merged != current:
        metrics[stage] = merged
        ledger.update_file(key, metrics=metrics)
    return merged


def plottable(metrics: dict[str, Any]) -> dict[str, float | int]:
    """The numeric metrics of one stage (what Dagster plots over partitions)."""
    return {k: metrics[k] for k in METRIC_KEYS
            if isinstance(metrics.get(k), int | float) and not isinstance(metrics.get(k), bool)}
