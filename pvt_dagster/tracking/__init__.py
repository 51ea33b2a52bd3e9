"""Process tracking (after the ProcessTracker notes): a registry of processes derived from
config, process runs linked to Dagster run ids, holds after repeated operational failures,
and an error registry. Plain Python: no Dagster import."""

from __future__ import annotations

from pvt_dagster.tracking.classify import CATEGORIES, OPERATIONAL, categorize
from pvt_dagster.tracking.holds import (
    Released,
    active_hold,
    check_feed,
    feed_streak,
    hold_file,
    release,
)
from pvt_dagster.tracking.registry import process_specs, stage_process_name, sync_registry
from pvt_dagster.tracking.runs import (
    TrackedStage,
    discovery_failed,
    discovery_succeeded,
    track_stage,
)

__all__ = [
    "CATEGORIES",
    "OPERATIONAL",
    "Released",
    "TrackedStage",
    "active_hold",
    "categorize",
    "check_feed",
    "discovery_failed",
    "discovery_succeeded",
    "feed_streak",
    "hold_file",
    "process_specs",
    "release",
    "stage_process_name",
    "sync_registry",
    "track_stage",
]
