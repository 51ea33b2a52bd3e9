"""One stage of one file, run for the Dagster layer: the stage's plain result turned into what
Dagster shows (metadata with metrics, rule outcomes, why a stage ended without its output,
how long a failed stage ran). Both the per-file assets and the batch op build their events
from a ``StageStep``, so a file looks the same in the UI whichever run took it."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import dagster as dg

from pvt_dagster import pipeline
from pvt_dagster.config import FeedRef
from pvt_dagster.defs.metadata import scrubbed_metadata, to_metadata, validated_metadata
from pvt_dagster.defs.metrics import with_metrics
from pvt_dagster.defs.names import asset_key_path, file_key_of
from pvt_dagster.domain import Stage
from pvt_dagster.errors import ParseError, translated_errors
from pvt_dagster.masking import mask_pii
from pvt_dagster.pipeline import Blocked, Intake, NotDone, TransferAttempt
from pvt_dagster.validation import CheckOutcome, planned_checks


def stage_runner(stage: Stage) -> Callable[..., Any]:
    """The pipeline function of ``stage`` (``run_<stage>``), imported on first use: a run
    worker loads the validation and scrubbing engines (pandas, pandera, pyarrow) only when a
    file gets that far."""
    return getattr(pipeline, f"run_{stage}")  # type: ignore[no-any-return]


@dataclass
class StageStep:
    """What one stage did for one file: its metadata (it produced its output), why it did
    not (``not_done``), or the error it failed with; and, for ``validated``, every rule's
    outcome and the failure rules that block the file."""

    feed: FeedRef
    stage: Stage
    partition: str
    seconds: float = 0.0
    metadata: dict[str, dg.MetadataValue] | None = None
    not_done: NotDone | None = None
    error: Exception | None = None
    checks: list[CheckOutcome] = field(default_factory=list)
    blocked: Blocked | None = None

    @property
    def asset_key(self) -> dg.AssetKey:
        """``[client, feed, <feed>_<stage>]``."""
        return dg.AssetKey(asset_key_path(self.feed, self.stage))

    @property
    def file_key(self) -> str:
        """The file this step ran for."""
        return file_key_of(self.feed, self.partition)

    @property
    def carries_on(self) -> bool:
        """The next stage of the file runs: this one produced its output, unblocked."""
        return self.metadata is not None and self.blocked is None

    def observations(self) -> Iterator[dg.AssetObservation]:
        """Observations of a stage that ended without its output (why) or failed (how long it
        ran, so plots over partitions do not skip the file), and of the stages a block stops."""
        if self.not_done is not None:
            yield dg.AssetObservation(
                asset_key=self.asset_key, partition=self.partition,
                metadata={"outcome": self.not_done.outcome,
                          "reason": mask_pii(self.not_done.reason)})
        if self.error is not None:
            yield dg.AssetObservation(asset_key=self.asset_key, partition=self.partition,
                                      metadata={"outcome": "failed",
                                                "seconds": round(self.seconds, 3)})
        if self.blocked is not None:
            names = ", ".join(self.blocked.checks)
            for stage in ("scrubbed", "delivered"):
                yield dg.AssetObservation(
                    asset_key=dg.AssetKey(asset_key_path(self.feed, stage)),
                    partition=self.partition,
                    metadata={"outcome": "blocked", "blocked_by": names,
                              "reason": f"not run: blocked by {names} at validated"})

    def not_done_line(self) -> str:
        """The log line of a stage that ended without its output: why (PII-masked)."""
        assert self.not_done is not None
        return f"{self.partition} {self.not_done.outcome}: {mask_pii(self.not_done.reason)}"


def run_stage(intake: Intake, feed: FeedRef, stage: Stage, partition: str, *, run_id: str,
              on_attempt: Callable[[TransferAttempt], None] | None = None) -> StageStep:
    """Run ``stage`` for the partition's file; errors are kept on the step, not raised."""
    step = StageStep(feed, stage, partition)
    kwargs: dict[str, Any] = {"on_attempt": on_attempt} if stage == "raw" and on_attempt else {}
    started = time.monotonic()
    try:
        with translated_errors(stage):
            result = stage_runner(stage)(intake, step.file_key, run_id=run_id, **kwargs)
    except Exception as exc:  # the caller fails the step (asset) or the file (batch)
        step.seconds = time.monotonic() - started
        step.error = exc
        if isinstance(exc, ParseError):  # every rule still gets an outcome
            step.checks = pipeline.unparsed_outcomes(planned_checks(feed.config), exc)
        return step
    step.seconds = time.monotonic() - started
    if isinstance(result, NotDone):
        step.not_done = result
        return step
    metadata = to_metadata(result.metadata())
    if stage == "validated":
        step.checks, step.blocked = list(result.outcomes), result.blocked
        if result.blocked is not None:
            metadata.update(to_metadata({"blocked_by": ", ".join(result.blocked.checks)}))
        metadata.update(validated_metadata(result.outcomes))
    elif stage == "scrubbed":
        metadata.update(scrubbed_metadata(result.changes, result.recheck))
    step.metadata = with_metrics(metadata, intake, step.file_key, stage)  # plotted per file
    return step
