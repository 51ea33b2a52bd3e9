"""Builds the code location's Definitions from a loaded ``pvt.yaml``."""

from __future__ import annotations

import dagster as dg

from pvt_dagster.config import PvtConfig
from pvt_dagster.defs.assets import build_feed_assets
from pvt_dagster.defs.batch import build_batch_job
from pvt_dagster.defs.dispatch import build_dispatch_sensor, build_run_failure_sensor
from pvt_dagster.defs.holds import release_hold_job
from pvt_dagster.defs.job_outputs import OUTPUTS_IO_MANAGER, JobOutputsIOManager
from pvt_dagster.defs.jobs import build_feed_job
from pvt_dagster.defs.names import batch_job_name, job_name
from pvt_dagster.defs.resources import PvtIntakeResource
from pvt_dagster.defs.retention import build_purge_schedule, purge_job
from pvt_dagster.defs.sensors import build_discovery_sensor
from pvt_dagster.defs.sla import build_freshness_checks, build_freshness_sensor, build_sla_sensor


def build_location(config: PvtConfig) -> dg.Definitions:
    """Every feed's assets and job, one discovery sensor per source, every processing job's
    asset, job and sensor, the messaging sensors, the arrival SLAs' freshness checks and
    sensors, and the daily purge when a client sets retention."""
    assert config.path is not None, "the loader sets the config path"
    resources = {"pvt": PvtIntakeResource(config_path=str(config.path)),
                 OUTPUTS_IO_MANAGER: JobOutputsIOManager()}
    assets: list[dg.AssetsDefinition] = []
    jobs: dict[str, dg.JobDefinition] = {}
    for feed in config.feeds():
        feed_assets = build_feed_assets(feed)
        assets.extend(feed_assets)
        jobs[job_name(feed)] = build_feed_job(feed, feed_assets, resources)
        if feed.config.batch_size > 1:  # several ready files in one run
            jobs[batch_job_name(feed)] = build_batch_job(feed)
    sensors = []
    for client, client_config in config.clients.items():
        for source_name in client_config.sources:
            feeds = [f for f in config.feeds()
                     if f.client == client and f.config.source == source_name]
            sensors.append(build_discovery_sensor(
                client, source_name, feeds, client_config.polling.interval_seconds,
                [jobs[name(f)] for f in feeds for name in (job_name, batch_job_name)
                 if name(f) in jobs]))
    processing: list[dg.JobDefinition] = []
    if config.jobs():  # dagster-pandas types: pandas is loaded only where jobs are defined
        from pvt_dagster.defs.processing import build_job_asset, build_processing_jobs
        from pvt_dagster.defs.processing_sensors import build_job_sensor

        assets += [build_job_asset(job) for job in config.jobs()]
        processing = build_processing_jobs(config.jobs(), assets, resources)
        for job, target in zip(config.jobs(), processing, strict=True):
            sensors.append(build_job_sensor(job, job.client_config.polling.interval_seconds,
                                            target))
    sensors.append(build_dispatch_sensor(config.notify.dispatch_seconds))
    if jobs:
        sensors.append(build_run_failure_sensor(list(jobs.values())))
    operations = [release_hold_job] if jobs else []  # release a feed on hold
    checks = build_freshness_checks(config.feeds(), config.timezone)  # arrival SLAs
    if checks:
        sensors += [build_freshness_sensor(checks), build_sla_sensor()]
    schedules: list[dg.ScheduleDefinition] = []
    if any(c.retention.is_set for c in config.clients.values()):
        schedules.append(build_purge_schedule(config.timezone))
        operations.append(purge_job)
    return dg.Definitions(assets=assets, asset_checks=checks,
                          jobs=[*jobs.values(), *processing, *operations],
                          sensors=sensors, schedules=schedules, resources=resources)
