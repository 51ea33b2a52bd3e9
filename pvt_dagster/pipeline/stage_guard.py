"""Refusing to run a stage whose input is not there yet."""

from __future__ import annotations

from pvt_dagster.domain import STAGES
from pvt_dagster.errors import FileRejectedError, StageOrderError
from pvt_dagster.ledger import FileRecord, Ledger


def require_stage(ledger: Ledger, key: str, needed: str) -> FileRecord:
    """The file's record, if it has completed ``needed``; else a clear error."""
    record = ledger.get_file(key)
    if record.status == "rejected":
        raise FileRejectedError(f"{key} was rejected: {record.error}")
    if record.stage is None or STAGES.index(record.stage) < STAGES.index(needed):
        raise StageOrderError(
            f"{key} has not completed {needed} yet (its last stage is {record.stage or 'none'})")
    return record
