"""Moving a file's status and stage forward, and keeping its per-stage metrics."""

from __future__ import annotations

from typing import Any

from pvt_dagster.domain import STAGES
from pvt_dagster.ledger import FileRecord, Ledger

STATUS_AFTER = {"raw": "received", "decrypted": "decrypted", "validated": "validated",
                "scrubbed": "scrubbed", "delivered": "delivered"}


def mark_done(ledger: Ledger, record: FileRecord, stage: str, *,
              metrics: dict[str, Any] | None = None, **fields: Any) -> FileRecord:
    """Record that ``stage`` completed. A rerun of an earlier stage of a file that already got
    further does not move its status back; a failed or waiting file moves to ``stage``."""
    merged = dict(record.metrics or {})
    if metrics is not None:
        merged[stage] = metrics
    behind = record.stage is None or STAGES.index(stage) >= STAGES.index(record.stage)
    if behind or record.status not in STATUS_AFTER.values():
        fields.update(status=STATUS_AFTER[stage], stage=stage, error=None)
    return ledger.update_file(record.key, metrics=merged, **fields)
