"""Builds the code location's Definitions from a loaded ``pvt.yaml``."""

from __future__ import annotations

import dagster as dg

from pvt_dagster.config import PvtConfig
from pvt_dagster.defs.assets import build_feed_assets
from pvt_dagster.defs.dispatch import build_dispatch_sensor, build_run_failure_sensor
from pvt_dagster.defs.holds import release_hold_job
from pvt_dagster.defs.jobs import build_feed_job
from pvt_dagster.defs.names import job_name
from pvt_dagster.defs.processing import (
    OUTPUTS_IO_MANAGER,
    JobOutputsIOManager,
    build_job_asset,
    build_processing_jobs,
)
from pvt_dagster.defs.processing_sensors import build_job_sensor
from pvt_dagster.defs.resources import PvtIntakeResource
from pvt_dagster.defs.sensors import build_discovery_sensor


def build_location(config: PvtConfig) -> dg.Definitions:
    """Every feed's assets and job, one discovery sensor per source, every processing job's
    asset, job and sensor, and the messaging sensors."""
    assert config.path is not None, "the loader sets the config path"
    resources = {"pvt": PvtIntakeResource(config_path=str(config.path)),
                 OUTPUTS_IO_MANAGER: JobOutputsIOManager()}
    assets: list[dg.AssetsDefinition] = []
    jobs: dict[str, dg.JobDefinition] = {}
    for feed in config.feeds():
        feed_assets = build_feed_assets(feed)
        assets.extend(feed_assets)
        jobs[job_name(feed)] = build_feed_job(feed, feed_assets, resources)
    sensors = []
    for client, client_config in config.clients.items():
        for source_name in client_config.sources:
            feeds = [f for f in config.feeds()
                     if f.client == client and f.config.source == source_name]
            sensors.append(build_discovery_sensor(
                client, source_name, feeds, client_config.polling.interval_seconds,
                [jobs[job_name(f)] for f in feeds]))
    assets += [build_job_asset(job) for job in config.jobs()]
    processing = build_processing_jobs(config.jobs(), assets, resources)
    for job, target in zip(config.jobs(), processing, strict=True):
        sensors.append(build_job_sensor(job, job.client_config.polling.interval_seconds,
                                        target))
    sensors.append(build_dispatch_sensor(config.notify.dispatch_seconds))
    if jobs:
        sensors.append(build_run_failure_sensor(list(jobs.values())))
    release = [release_hold_job] if jobs else []  # operations: release a feed on hold
    return dg.Definitions(assets=assets, jobs=[*jobs.values(), *processing, *release],
                          sensors=sensors, resources=resources)
