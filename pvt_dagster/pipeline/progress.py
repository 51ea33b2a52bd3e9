"""Moving a file's status and stage forward, and keeping its per-stage metrics."""

from __future__ import annotations

from typing import Any, TypedDict, Unpack

from pvt_dagster.domain import STAGES, Stage, Status
from pvt_dagster.ledger import FileRecord, Ledger

#: A file's status once a stage is done.
STATUS_AFTER: dict[Stage, Status] = {"raw": "received", "decrypted": "decrypted",
                                     "validated": "validated", "scrubbed": "scrubbed",
                                     "delivered": "delivered"}


class StageOutputs(TypedDict, total=False):
    """What a stage records of its output besides its metrics, in typed ledger columns."""

    rows: int | None
    decrypted_sha256: str | None
    scrubbed_sha256: str | None


def mark_done(ledger: Ledger, record: FileRecord, stage: Stage, *,
              metrics: dict[str, Any] | None = None,
              **outputs: Unpack[StageOutputs]) -> FileRecord:
    """Record that ``stage`` completed. A rerun of an earlier stage of a file that already got
    further does not move its status back; a failed or waiting file moves to ``stage``."""
    merged: dict[str, Any] = {stage: metrics} if metrics is not None else {}  # under a lock
    behind = record.stage is None or STAGES.index(stage) >= STAGES.index(record.stage)
    if behind or record.status not in STATUS_AFTER.values():
        return ledger.merge_file_metrics(record.key, merged, status=STATUS_AFTER[stage],
                                         stage=stage, error=None, **outputs)
    return ledger.merge_file_metrics(record.key, merged, **outputs)
