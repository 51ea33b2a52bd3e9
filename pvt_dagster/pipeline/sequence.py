"""Running a file's stages in order outside Dagster (replay, ingest, previews and tests): the
same stage code the assets run, stopping where a stage fails or a failure rule blocks."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from pvt_dagster.domain import STAGES
from pvt_dagster.errors import PvtError
from pvt_dagster.pipeline.decrypted import run_decrypted
from pvt_dagster.pipeline.delivered import run_delivered
from pvt_dagster.pipeline.intake import Intake
from pvt_dagster.pipeline.raw import run_raw
from pvt_dagster.pipeline.recording import one_line
from pvt_dagster.pipeline.scrubbed import run_scrubbed
from pvt_dagster.pipeline.validated import ValidatedResult, run_validated

RUNNERS: dict[str, Callable[..., Any]] = {
    "raw": run_raw, "decrypted": run_decrypted, "validated": run_validated,
    "scrubbed": run_scrubbed, "delivered": run_delivered,
}


#: Told after each stage: the stage, "ok" or "error", seconds taken and the one-line error.
StageCallback = Callable[[str, str, float, str | None], None]


def run_stages(intake: Intake, key: str, *, run_id: str, from_stage: str = "raw",
               on_stage: StageCallback | None = None) -> str:
    """Run ``from_stage`` and every later stage for ``key``; returns the file's final status.
    Stage errors are already recorded in the ledger, so they end the sequence quietly."""
    for stage in STAGES[STAGES.index(from_stage):]:
        started = time.monotonic()
        try:
            result = RUNNERS[stage](intake, key, run_id=run_id)
        except PvtError as exc:
            if on_stage is not None:
                on_stage(stage, "error", time.monotonic() - started, one_line(exc))
            break
        blocked = isinstance(result, ValidatedResult) and bool(result.failed_checks)
        if on_stage is not None:
            error = intake.ledger.get_file(key).error if blocked else None
            on_stage(stage, "error" if blocked else "ok", time.monotonic() - started, error)
        if blocked:
            break
    return intake.ledger.get_file(key).status
