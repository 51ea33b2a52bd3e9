"""Running one file's feed job against a Dagster instance from outside the daemon (``pvt
replay``, ``pvt ingest``): the partition is added if missing and the job runs in this process
on the same instance, so the UI shows every replay and ingest as a run, with its checks.
Dagster is the only executor of the stages."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from pvt_dagster.config import FeedRef, JobRef
from pvt_dagster.defs.names import (
    asset_key_path,
    job_dagster_partition,
    job_name,
    job_partitions_name,
    job_run_tags,
    partitions_name,
    processing_job_name,
    run_tags,
)
from pvt_dagster.domain import STAGES, Stage
from pvt_dagster.errors import InstanceNotFoundError
from pvt_dagster.naming import partition_key, stage_of

#: The terminal shows the run's warnings (transfer retries, refusals); the UI has every event.
QUIET_CONSOLE = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
_STEP_END = {"SUCCESS": "ok", "FAILURE": "error", "SKIPPED": "skipped"}


@dataclass(frozen=True)
class StepOutcome:
    """How one stage's step of a run ended: ``ok``, ``error`` or ``skipped``."""

    stage: str  # the last part of Dagster's step key, shown as is (not read back as a Stage)
    outcome: str
    seconds: float | None


@dataclass(frozen=True)
class FileRun:
    """A finished run of one file's job (or of one partition of a processing job)."""

    run_id: str
    success: bool
    steps: list[StepOutcome]


def dagster_instance() -> dg.DagsterInstance:
    """The instance in ``$DAGSTER_HOME`` (the one ``dagster dev`` and the daemon use);
    InstanceNotFoundError when it is not set or not a folder."""
    home = os.environ.get("DAGSTER_HOME")
    if not home:
        raise InstanceNotFoundError(
            "DAGSTER_HOME is not set: the stages run as a Dagster run in the instance the UI "
            "shows; set DAGSTER_HOME to that instance's folder (the demo's is .demo/dagster)")
    if not Path(home).is_dir():
        raise InstanceNotFoundError(f"DAGSTER_HOME={home} is not a folder")
    return dg.DagsterInstance.get()


def stage_selection(feed: FeedRef, from_stage: Stage) -> list[dg.AssetKey]:
    """The asset keys of ``from_stage`` and every later stage of ``feed``."""
    return [dg.AssetKey(asset_key_path(feed, stage))
            for stage in STAGES[STAGES.index(from_stage):]]


def run_file_job(defs: dg.Definitions, instance: dg.DagsterInstance, feed: FeedRef, key: str,
                 *, from_stage: Stage = "raw", tags: Mapping[str, str] | None = None) -> FileRun:
    """Run the feed's job for one file, from ``from_stage`` on, in this process."""
    partitions, partition = partitions_name(feed), partition_key(key)
    if not instance.has_dynamic_partition(partitions, partition):
        instance.add_dynamic_partitions(partitions, [partition])
    job = defs.resolve_job_def(job_name(feed))
    result = job.execute_in_process(
        partition_key=partition, instance=instance,
        asset_selection=stage_selection(feed, from_stage),
        tags={**run_tags(feed, key), **(tags or {})}, raise_on_error=False,
        run_config=QUIET_CONSOLE)
    return FileRun(result.run_id, result.success, _steps(instance, result.run_id))


def run_job_partition_run(defs: dg.Definitions, instance: dg.DagsterInstance, job: JobRef,
                          partition: str, *, tags: Mapping[str, str] | None = None) -> FileRun:
    """Run one partition of a processing job's Dagster job in this process: only the job's
    own asset, never the feed stages or other jobs (``partition``: a file key, a day or a
    folder file)."""
    partitions, shown = job_partitions_name(job), job_dagster_partition(job, partition)
    if not instance.has_dynamic_partition(partitions, shown):
        instance.add_dynamic_partitions(partitions, [shown])
    result = defs.resolve_job_def(processing_job_name(job)).execute_in_process(
        partition_key=shown, instance=instance, tags={**job_run_tags(job), **(tags or {})},
        raise_on_error=False, run_config=QUIET_CONSOLE)
    return FileRun(result.run_id, result.success, _steps(instance, result.run_id))


def _steps(instance: dg.DagsterInstance, run_id: str) -> list[StepOutcome]:
    """Each stage step's outcome and duration, in the order they started."""
    steps = []
    for stats in sorted(instance.get_run_step_stats(run_id),
                        key=lambda s: s.start_time or float("inf")):
        seconds = (stats.end_time - stats.start_time
                   if stats.start_time is not None and stats.end_time is not None else None)
        status = stats.status.value if stats.status is not None else "unknown"
        steps.append(StepOutcome(stage_of(stats.step_key),
                                 _STEP_END.get(status, status.lower()), seconds))
    return steps
