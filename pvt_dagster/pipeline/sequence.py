"""Running a file's stages in order outside Dagster (replay, ingest, previews and tests): the
same stage code the assets run, stopping where a stage fails or a failure rule blocks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pvt_dagster.errors import PvtError
from pvt_dagster.pipeline.decrypted import run_decrypted
from pvt_dagster.pipeline.delivered import run_delivered
from pvt_dagster.pipeline.intake import Intake
from pvt_dagster.pipeline.layout import STAGES
from pvt_dagster.pipeline.raw import run_raw
from pvt_dagster.pipeline.scrubbed import run_scrubbed
from pvt_dagster.pipeline.validated import ValidatedResult, run_validated

RUNNERS: dict[str, Callable[..., Any]] = {
    "raw": run_raw, "decrypted": run_decrypted, "validated": run_validated,
    "scrubbed": run_scrubbed, "delivered": run_delivered,
}


def run_stages(intake: Intake, key: str, *, run_id: str, from_stage: str = "raw") -> str:
    """Run ``from_stage`` and every later stage for ``key``; returns the file's final status.
    Stage errors are already recorded in the ledger, so they end the sequence quietly."""
    for stage in STAGES[STAGES.index(from_stage):]:
        try:
            result = RUNNERS[stage](intake, key, run_id=run_id)
        except PvtError:
            break
        if isinstance(result, ValidatedResult) and result.failed_checks:
            break
    return intake.ledger.get_file(key).status
