"""Process tracking (after the ProcessTracker notes): a registry of processes derived from
config, process runs linked to Dagster run ids, holds after repeated operational failures,
and an error registry. Plain Python: no Dagster import."""

from __future__ import annotations

from pvt_dagster.tracking.classify import CATEGORIES, DATA, OPERATIONAL, REJECTED, RETRY, categorize
from pvt_dagster.tracking.holds import (
    Released,
    active_hold,
    check_feed,
    feed_streak,
    hold_file,
    release,
)
from pvt_dagster.tracking.jobs import track_job
from pvt_dagster.tracking.logs import PiiFilter, configure_logging
from pvt_dagster.tracking.metrics import plottable, stage_metrics
from pvt_dagster.tracking.registry import process_specs, stage_process_name, sync_registry
from pvt_dagster.tracking.runs import (
    TrackedStage,
    actor_of,
    discovery_failed,
    discovery_succeeded,
    track_stage,
)

__all__ = [
    "CATEGORIES",
    "DATA",
    "OPERATIONAL",
    "REJECTED",
    "RETRY",
    "PiiFilter",
    "Released",
    "TrackedStage",
    "active_hold",
    "actor_of",
    "categorize",
    "check_feed",
    "configure_logging",
    "discovery_failed",
    "discovery_succeeded",
    "feed_streak",
    "hold_file",
    "plottable",
    "process_specs",
    "release",
    "stage_metrics",
    "stage_process_name",
    "sync_registry",
    "track_job",
    "track_stage",
]
