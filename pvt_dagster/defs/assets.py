"""The asset factory: one graph per feed, ``[client, feed, raw|decrypted|validated|scrubbed|
delivered]``, partitioned by file, with the feed's rules as asset checks on ``validated``.

No ``from __future__ import annotations`` here: Dagster reads the annotations of ``context``
and of resources when the assets are defined."""


import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import dagster as dg

from pvt_dagster.config import FeedRef
from pvt_dagster.defs.failures import QuietFailure
from pvt_dagster.defs.metadata import (
    check_result,
    scrubbed_metadata,
    to_metadata,
    validated_metadata,
)
from pvt_dagster.defs.metrics import with_metrics
from pvt_dagster.defs.names import TAG_FORCE, asset_key_path, file_key_of, partitions_name
from pvt_dagster.defs.resources import PvtIntakeResource
from pvt_dagster.domain import STAGES, Stage
from pvt_dagster.errors import ParseError, translated_errors
from pvt_dagster.masking import mask_pii
from pvt_dagster.pipeline import (
    Blocked,
    Held,
    NotDone,
    TransferAttempt,
    hold_refusal,
    run_decrypted,
    run_delivered,
    run_raw,
    run_scrubbed,
    run_validated,
    unparsed_outcomes,
)
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
                    description: str, run: Callable[..., Any],
                    extra: Callable[[Any], dict[str, dg.MetadataValue]] | None = None,
                    ) -> dg.AssetsDefinition:
        """An asset that runs one pipeline stage for the partition's file."""

        key = self.key(stage)

        # output_required=False: a file that is refused, waits (changed at its source) or is
        # blocked by failure rules is not a failure of the stage: it says why in an
        # observation, yields no materialization, and later stages skip.
        @dg.asset(key=key, deps=deps, kinds={kind}, partitions_def=self.parts,
                  group_name=self.feed.client, tags={"pvt/feed": self.feed.name},
                  description=description, output_required=False)
        def stage_asset(context: dg.AssetExecutionContext, pvt: PvtIntakeResource,
                        ) -> Iterator[dg.MaterializeResult[Any] | dg.AssetObservation]:
            """Run the stage for one file and report its metadata."""
            key_of_file = file_key_of(self.feed, context.partition_key)
            held = held_at_start(context, pvt, self.feed, stage)
            if held is not None:
                yield not_done(context, key, held)
                return
            started = time.monotonic()
            try:
                with translated_errors(stage):
                    result = run(pvt.get(), key_of_file, run_id=context.run.run_id,
                                 **stage_kwargs(context, stage))
            except Exception:
                yield failed_timing(context, key, started)
                raise
            if isinstance(result, NotDone):
                yield not_done(context, key, result)
                return
            metadata = to_metadata(result.metadata())
            if extra is not None:
                metadata.update(extra(result))
            with_metrics(metadata, pvt.get(), key_of_file, stage)  # plotted per file
            yield dg.MaterializeResult(metadata=metadata)

        return stage_asset


def failed_timing(context: dg.AssetExecutionContext, key: dg.AssetKey,
                  started: float) -> dg.AssetObservation:
    """How long a stage ran before it failed (an observation with ``seconds``), so plots
    over partitions do not skip the failed file."""
    return dg.AssetObservation(asset_key=key, partition=context.partition_key,
                               metadata={"outcome": "failed",
                                         "seconds": round(time.monotonic() - started, 3)})


def not_done(context: dg.AssetExecutionContext, key: dg.AssetKey,
             result: NotDone) -> dg.AssetObservation:
    """The observation (and log line) of a stage that ended without its output: why."""
    reason = mask_pii(result.reason)
    context.log.warning(f"{context.partition_key} {result.outcome}: {reason}")
    return dg.AssetObservation(asset_key=key, partition=context.partition_key,
                               metadata={"outcome": result.outcome, "reason": reason})


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
        raise unknown_partition(context, pvt, feed, stage)
    return hold_refusal(pvt.get(), key)


def unknown_partition(context: dg.AssetExecutionContext, pvt: PvtIntakeResource,
                      feed: FeedRef, stage: Stage) -> dg.Failure:
    """The clear, recorded end of a run for a partition no file has (one added by hand in
    the UI): an error in the registry, and a failure without a stack trace."""
    key = file_key_of(feed, context.partition_key)
    text = (f"partition {context.partition_key!r} of {feed.qualified_name} is not a file the "
            "ledger knows: partitions are added by discovery (use `pvt ingest` to take in a "
            "file handed over by other means)")
    pvt.get().ledger.record_error(error_class="UnknownFileError", category="usage",
                                  message=text, client=feed.client, feed=feed.name,
                                  stage=stage, file_key=key, run_id=context.run.run_id)
    return QuietFailure(mask_pii(text))


def stage_kwargs(context: dg.AssetExecutionContext, stage: Stage) -> dict[str, Any]:
    """What a stage takes from the Dagster layer: ``raw`` tells the run's log about each
    failed transfer attempt as it happens, so retries show in the UI."""
    if stage != "raw":
        return {}

    def on_attempt(attempt: TransferAttempt) -> None:
        then = (f"retrying in {attempt.retry_in:.1f} s" if attempt.retry_in is not None
                else "giving up")
        context.log.warning(f"transfer attempt {attempt.attempt} of {attempt.of} for "
                            f"{context.partition_key} failed: {attempt.error}; {then}")

    return {"on_attempt": on_attempt}


def build_feed_assets(feed: FeedRef) -> list[dg.AssetsDefinition]:
    """The five stage assets of one feed."""
    shared = _FeedAssets(feed, feed_partitions(feed))
    name = feed.qualified_name
    raw = shared.stage_asset(
        "raw", deps=[], kind="file", run=run_raw,
        description=f"Raw bytes of each {name} file (source {feed.config.source}, pattern "
                    f"{feed.config.pattern}) in the write-once vault, sha256-verified, then "
                    "cleaned up at the source.")
    decrypted = shared.stage_asset(
        "decrypted", deps=[raw], kind="pgp", run=run_decrypted,
        description=f"Each {name} file decrypted with the feed's key (streamed; "
                    "byte-identical on rerun).")
    validated = _validated_asset(shared, decrypted)
    scrubbed = shared.stage_asset(
        "scrubbed", deps=[validated], kind="csv", run=run_scrubbed,
        extra=lambda result: scrubbed_metadata(result.changes, result.recheck),
        description=f"Each {name} file with its scrub actions applied, every change audited, "
                    "and validated again.")
    delivered = shared.stage_asset(
        "delivered", deps=[scrubbed], kind="csv", run=run_delivered,
        description=f"Each {name} file's rows in every delivery target (a rerun replaces "
                    "them, never doubles them).")
    return [raw, decrypted, validated, scrubbed, delivered]


def _validated_asset(shared: _FeedAssets, decrypted: dg.AssetsDefinition) -> dg.AssetsDefinition:
    """``validated``, with one asset check per planned rule check (failure ones blocking)."""
    key = shared.key("validated")
    planned = planned_checks(shared.feed.config)
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
                 for p in planned]

    @dg.asset(key=key, deps=[decrypted], check_specs=specs, kinds={"csv"},
              partitions_def=shared.parts, group_name=shared.feed.client,
              tags={"pvt/feed": shared.feed.name},
              description=f"Each {shared.feed.qualified_name} file parsed and checked against "
                          "its rules; failure rules block scrubbing and delivery.")
    def validated(context: dg.AssetExecutionContext,
                  pvt: PvtIntakeResource,
                  ) -> Iterator[dg.MaterializeResult[Any] | dg.AssetCheckResult
                                | dg.AssetObservation]:
        """Parse and check one file; every check gets a result, even when parsing fails."""
        held = held_at_start(context, pvt, shared.feed, "validated")
        if held is not None:
            yield not_done(context, key, held)
            return
        started = time.monotonic()
        try:
            with translated_errors("validated"):
                result = run_validated(pvt.get(), file_key_of(shared.feed, context.partition_key),
                                       run_id=context.run.run_id)
        except Exception as exc:
            yield failed_timing(context, key, started)
            if isinstance(exc, ParseError):
                for outcome in unparsed_outcomes(planned, exc):
                    yield check_result(key, outcome)
            raise
        blocked = result.blocked
        extra = {"blocked_by": ", ".join(blocked.checks)} if blocked else {}
        yield dg.MaterializeResult(metadata=with_metrics(
            {**to_metadata({**result.metadata(), **extra}),
             **validated_metadata(result.outcomes)},
            pvt.get(), file_key_of(shared.feed, context.partition_key), "validated"))
        for outcome in result.outcomes:
            yield check_result(key, outcome)
        if blocked is not None:
            yield from blocked_observations(context, shared, blocked)
            raise blocked_failure(blocked)

    return validated


def blocked_observations(context: dg.AssetExecutionContext, shared: _FeedAssets,
                         blocked: Blocked) -> Iterator[dg.AssetObservation]:
    """Tell ``scrubbed`` and ``delivered`` that failure rules blocked the file."""
    names = ", ".join(blocked.checks)
    for stage in ("scrubbed", "delivered"):
        yield dg.AssetObservation(
            asset_key=shared.key(stage), partition=context.partition_key,
            metadata={"outcome": "blocked", "blocked_by": names,
                      "reason": f"not run: blocked by {names} at validated"})


def blocked_failure(blocked: Blocked) -> dg.Failure:
    """The clear failure that ends a blocked file's step: "blocked by ssn__pattern" (no stack
    trace in the UI)."""
    names = ", ".join(f"`{name}`" for name in blocked.checks)
    return QuietFailure(f"blocked by {names}: {mask_pii(blocked.reason)}; scrubbing and "
                        "delivery did not run", metadata={"blocked_by": ", ".join(blocked.checks)})
