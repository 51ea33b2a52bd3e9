"""The asset factory: one graph per feed, ``[client, feed, raw|decrypted|validated|scrubbed|
delivered]``, partitioned by file, with the feed's rules as asset checks on ``validated``.

No ``from __future__ import annotations`` here: Dagster reads the annotations of ``context``
and of resources when the assets are defined."""


import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import dagster as dg

from pvt_dagster.config import FeedRef
from pvt_dagster.defs.failures import QuietFailure
from pvt_dagster.defs.metadata import check_result
from pvt_dagster.defs.names import TAG_FORCE, asset_key_path, file_key_of, partitions_name
from pvt_dagster.defs.resources import PvtIntakeResource
from pvt_dagster.defs.stage_step import StageStep, run_stage
from pvt_dagster.domain import STAGES, Stage
from pvt_dagster.masking import mask_pii
from pvt_dagster.pipeline import Blocked, Held, Intake, TransferAttempt, hold_refusal
from pvt_dagster.validation import planned_checks


def feed_partitions(feed: FeedRef) -> dg.DynamicPartitionsDefinition:
    """One partition per delivered file of the feed, keyed by file key."""
    return dg.DynamicPartitionsDefinition(name=partitions_name(feed))


@dataclass(frozen=True)
class _FeedAssets:
    """What every asset of one feed shares."""

    feed: FeedRef
    parts: dg.DynamicPartitionsDefinition

    def key(self, stage: Stage) -> dg.AssetKey:
        """``[client, feed, stage]``."""
        return dg.AssetKey(asset_key_path(self.feed, stage))

    def stage_asset(self, stage: Stage, *, deps: list[dg.AssetsDefinition], kind: str,
                    description: str, check_specs: Sequence[dg.AssetCheckSpec] = (),
                    ) -> dg.AssetsDefinition:
        """An asset that runs one pipeline stage for the partition's file."""
        feed = self.feed

        # output_required=False: a file that is refused, waits (changed at its source) or is
        # blocked by failure rules is not a failure of the stage: it says why in an
        # observation, yields no materialization, and later stages skip.
        @dg.asset(key=self.key(stage), deps=deps, kinds={kind}, partitions_def=self.parts,
                  check_specs=check_specs, group_name=feed.client,
                  tags={"pvt/feed": feed.name}, description=description,
                  output_required=False)
        def stage_asset(context: dg.AssetExecutionContext, pvt: PvtIntakeResource,
                        ) -> Iterator[dg.MaterializeResult[Any] | dg.AssetCheckResult
                                      | dg.AssetObservation]:
            """Run the stage for one file and report its metadata (and rule outcomes)."""
            held = held_at_start(context, pvt, feed, stage)
            if held is not None:
                step = StageStep(feed, stage, context.partition_key, not_done=held)
            else:
                step = run_stage(pvt.get(), feed, stage, context.partition_key,
                                 run_id=context.run.run_id,
                                 on_attempt=attempt_logger(context.log, context.partition_key))
            if step.not_done is not None:
                context.log.warning(step.not_done_line())
            if step.metadata is not None:
                yield dg.MaterializeResult(metadata=step.metadata)
            for outcome in step.checks:
                yield check_result(step.asset_key, outcome)
            yield from step.observations()
            if step.error is not None:
                raise step.error
            if step.blocked is not None:
                raise blocked_failure(step.blocked)

        return stage_asset


def held_at_start(context: dg.AssetExecutionContext, pvt: PvtIntakeResource, feed: FeedRef,
                  stage: Stage) -> Held | None:
    """At the run's first stage (a launch from the UI, a sensor or the CLI): a clear failure
    for a partition no file has, or the hold that refuses the run unless it is forced (tag
    ``pvt/force``)."""
    if context.run.tags.get(TAG_FORCE) == "true":
        return None
    selected = context.run.asset_selection  # empty or None: the whole job
    stages = [s for s in STAGES if not selected
              or dg.AssetKey(asset_key_path(feed, s)) in selected]
    if not stages or stages[0] != stage:
        return None
    key = file_key_of(feed, context.partition_key)
    if pvt.get().ledger.find_file(key) is None:
        raise unknown_partition(pvt.get(), feed, context.partition_key, stage,
                                run_id=context.run.run_id)
    return hold_refusal(pvt.get(), key)


def unknown_partition(intake: Intake, feed: FeedRef, partition: str, stage: Stage, *,
                      run_id: str) -> dg.Failure:
    """The clear, recorded end of a run for a partition no file has (one added by hand in
    the UI): an error in the registry, and a failure without a stack trace."""
    text = (f"partition {partition!r} of {feed.qualified_name} is not a file the ledger "
            "knows: partitions are added by discovery (use `pvt ingest` to take in a file "
            "handed over by other means)")
    intake.ledger.record_error(error_class="UnknownFileError", category="usage",
                               message=text, client=feed.client, feed=feed.name,
                               stage=stage, file_key=file_key_of(feed, partition),
                               run_id=run_id)
    return QuietFailure(mask_pii(text))


def attempt_logger(log: Any, partition: str) -> Callable[[TransferAttempt], None]:
    """What ``raw`` calls on each failed transfer attempt: a warning in the run's log as it
    happens, so retries show in the UI."""

    def on_attempt(attempt: TransferAttempt) -> None:
        then = (f"retrying in {attempt.retry_in:.1f} s" if attempt.retry_in is not None
                else "giving up")
        log.warning(f"transfer attempt {attempt.attempt} of {attempt.of} for {partition} "
                    f"failed: {attempt.error}; {then}")

    return on_attempt


def build_feed_assets(feed: FeedRef) -> list[dg.AssetsDefinition]:
    """The five stage assets of one feed."""
    shared = _FeedAssets(feed, feed_partitions(feed))
    name = feed.qualified_name
    raw = shared.stage_asset(
        "raw", deps=[], kind="file",
        description=f"Raw bytes of each {name} file (source {feed.config.source}, pattern "
                    f"{feed.config.pattern}) in the write-once vault, sha256-verified, then "
                    "cleaned up at the source.")
    decrypted = shared.stage_asset(
        "decrypted", deps=[raw], kind="pgp",
        description=f"Each {name} file decrypted with the feed's key (streamed; "
                    "byte-identical on rerun).")
    validated = _validated_asset(shared, decrypted)
    scrubbed = shared.stage_asset(
        "scrubbed", deps=[validated], kind="csv",
        description=f"Each {name} file with its scrub actions applied, every change audited, "
                    "and validated again.")
    delivered = shared.stage_asset(
        "delivered", deps=[scrubbed], kind="csv",
        description=f"Each {name} file's rows in every delivery target (a rerun replaces "
                    "them, never doubles them).")
    return [raw, decrypted, validated, scrubbed, delivered]


def _validated_asset(shared: _FeedAssets, decrypted: dg.AssetsDefinition) -> dg.AssetsDefinition:
    """``validated``, with one asset check per planned rule check (failure ones blocking)."""
    key = shared.key("validated")
    with warnings.catch_warnings():
        # Partitioned checks give per-file history; a preview feature in the pinned 1.13.27.
        warnings.filterwarnings("ignore", category=dg.PreviewWarning,
                                message=".*partitions_def on an AssetCheckSpec.*")
        # Not Dagster-blocking: a failure rule ends the step with our own clear failure
        # ("blocked by ssn__pattern"), after telling the later stages why they do not run.
        specs = [dg.AssetCheckSpec(p.name, asset=key, description=p.description,
                                   blocking=False, partitions_def=shared.parts,
                                   metadata={"column": p.column, "rule": p.rule,
                                             "severity": p.severity})
                 for p in planned_checks(shared.feed.config)]
    return shared.stage_asset(
        "validated", deps=[decrypted], kind="csv", check_specs=specs,
        description=f"Each {shared.feed.qualified_name} file parsed and checked against its "
                    "rules; failure rules block scrubbing and delivery.")


def blocked_failure(blocked: Blocked) -> dg.Failure:
    """The clear failure that ends a blocked file's step: "blocked by ssn__pattern" (no stack
    trace in the UI)."""
    names = ", ".join(f"`{name}`" for name in blocked.checks)
    return QuietFailure(f"blocked by {names}: {mask_pii(blocked.reason)}; scrubbing and "
                        "delivery did not run", metadata={"blocked_by": ", ".join(blocked.checks)})
