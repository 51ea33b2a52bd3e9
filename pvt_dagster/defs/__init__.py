"""The thin Dagster layer: assets, checks, jobs, sensors and the resource, built from config."""

from __future__ import annotations

from pvt_dagster.defs.launch import dagster_instance, run_file_job, run_job_partition_run
from pvt_dagster.defs.location import build_location
from pvt_dagster.defs.names import TAG_FORCE, TAG_REPLAY

__all__ = [
    "TAG_FORCE",
    "TAG_REPLAY",
    "build_location",
    "dagster_instance",
    "run_file_job",
    "run_job_partition_run",
]
