"""The asset factory: one graph per feed, ``[client, feed, raw|decrypted|validated|scrubbed|
delivered]``, partitioned by file, with the feed's rules as asset checks on ``validated``.

No ``from __future__ import annotations`` here: Dagster reads the annotations of ``context``
and of resources when the assets are defined."""


import warnings
from collections.abc import Iterator

import dagster as dg

from pvt_dagster.config.models import FeedRef
from pvt_dagster.defs.metadata import check_result, to_metadata
from pvt_dagster.defs.names import asset_key_path, partitions_name
from pvt_dagster.defs.resources import PvtIntakeResource
from pvt_dagster.errors import ParseError
from pvt_dagster.pipeline import (
    run_decrypted,
    run_delivered,
    run_raw,
    run_scrubbed,
    run_validated,
)
from pvt_dagster.pipeline.validated import unparsed_outcomes
from pvt_dagster.scrubbing import ScrubChange
from pvt_dagster.validation import planned_checks


def feed_partitions(feed: FeedRef) -> dg.DynamicPartitionsDefinition:
    """One partition per delivered file of the feed, keyed by file key."""
    return dg.DynamicPartitionsDefinition(name=partitions_name(feed))


def build_feed_assets(feed: FeedRef) -> list[dg.AssetsDefinition]:
    """The five stage assets of one feed."""
    parts = feed_partitions(feed)
    keys = {stage: dg.AssetKey(asset_key_path(feed, stage))
            for stage in ("raw", "decrypted", "validated", "scrubbed", "delivered")}
    group, tags = feed.client, {"pvt/feed": feed.name}
    where = f"{feed.qualified_name} (source {feed.config.source}, pattern {feed.config.pattern})"

    @dg.asset(key=keys["raw"], kinds={"file"},
              partitions_def=parts, group_name=group, tags=tags,
              description=f"Raw bytes of each {where} file in the write-once vault, "
                          "sha256-verified, then cleaned up at the source.")
    def raw(context: dg.AssetExecutionContext, pvt: PvtIntakeResource) -> dg.MaterializeResult:
        """Raw bytes in the vault."""
        result = run_raw(pvt.get(), context.partition_key, run_id=context.run.run_id)
        return dg.MaterializeResult(metadata=to_metadata(result.metadata()))

    @dg.asset(key=keys["decrypted"], deps=[raw], kinds={"pgp"},
              partitions_def=parts, group_name=group, tags=tags,
              description=f"Each {feed.qualified_name} file decrypted with the feed's key "
                          "(streamed; byte-identical on rerun).")
    def decrypted(context: dg.AssetExecutionContext,
                  pvt: PvtIntakeResource) -> dg.MaterializeResult:
        """Decrypted file in the work folder."""
        result = run_decrypted(pvt.get(), context.partition_key, run_id=context.run.run_id)
        return dg.MaterializeResult(metadata=to_metadata(result.metadata()))

    planned = planned_checks(feed.config)
    with warnings.catch_warnings():
        # Partitioned checks give per-file history; a preview feature in the pinned 1.13.27.
        warnings.filterwarnings("ignore", category=dg.PreviewWarning,
                                message=".*partitions_def on an AssetCheckSpec.*")
        specs = [dg.AssetCheckSpec(p.name, asset=keys["validated"], description=p.description,
                                   blocking=p.severity == "failure", partitions_def=parts,
                                   metadata={"column": p.column, "rule": p.rule,
                                             "severity": p.severity})
                 for p in planned]

    @dg.asset(key=keys["validated"], deps=[decrypted], check_specs=specs,
              kinds={"csv"}, partitions_def=parts, group_name=group, tags=tags,
              description=f"Each {feed.qualified_name} file parsed and checked against its "
                          "rules; failure rules block scrubbing and delivery.")
    def validated(context: dg.AssetExecutionContext,
                  pvt: PvtIntakeResource) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
        """Parsed and checked file."""
        try:
            result = run_validated(pvt.get(), context.partition_key, run_id=context.run.run_id)
        except ParseError as exc:
            for outcome in unparsed_outcomes(planned, exc):
                yield check_result(keys["validated"], outcome)
            raise
        yield dg.MaterializeResult(metadata=to_metadata(result.metadata()))
        for outcome in result.outcomes:
            yield check_result(keys["validated"], outcome)

    @dg.asset(key=keys["scrubbed"], deps=[validated], kinds={"csv"},
              partitions_def=parts, group_name=group, tags=tags,
              description=f"Each {feed.qualified_name} file with its scrub actions applied, "
                          "every change audited, and validated again.")
    def scrubbed(context: dg.AssetExecutionContext,
                 pvt: PvtIntakeResource) -> dg.MaterializeResult:
        """Scrubbed CSV in the work folder."""
        result = run_scrubbed(pvt.get(), context.partition_key, run_id=context.run.run_id)
        metadata = to_metadata(result.metadata())
        metadata["changes"] = dg.MetadataValue.md(_changes_table(result.changes))
        return dg.MaterializeResult(metadata=metadata)

    @dg.asset(key=keys["delivered"], deps=[scrubbed], kinds={"csv"},
              partitions_def=parts, group_name=group, tags=tags,
              description=f"Each {feed.qualified_name} file's rows in every delivery target "
                          "(a rerun replaces them, never doubles them).")
    def delivered(context: dg.AssetExecutionContext,
                  pvt: PvtIntakeResource) -> dg.MaterializeResult:
        """Rows delivered to the feed's targets."""
        result = run_delivered(pvt.get(), context.partition_key, run_id=context.run.run_id)
        return dg.MaterializeResult(metadata=to_metadata(result.metadata()))

    return [raw, decrypted, validated, scrubbed, delivered]


def _changes_table(changes: list[ScrubChange]) -> str:
    """A markdown table of the scrub audit (masked samples)."""
    if not changes:
        return "No values changed."
    lines = ["| column | action | rows changed | samples (before → after, masked) |",
             "|---|---|---|---|"]
    for c in changes:
        samples = "; ".join(f"`{b}` → `{a}`" for b, a in c.samples) or "-"
        lines.append(f"| {c.column} | {c.action} | {c.rows_changed} | {samples} |")
    return "\n".join(lines)
