"""Helpers that drive processing jobs the way Dagster does: evaluate a job's inputs sensor
(applying its partition requests, as the daemon does) and execute each run it requests in
process on the same instance."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from pvt_dagster.config.models import JobRef
from pvt_dagster.defs.names import job_partition_of, job_sensor_name, processing_job_name
from pvt_dagster.defs.resources import PvtIntakeResource
from pvt_dagster.pipeline import Intake


@dataclass(frozen=True)
class JobRunOutcome:
    """One run a job sensor requested, and how it ended."""

    job: str
    partition: str
    success: bool
    result: dg.ExecuteInProcessResult


def tick_job(defs: dg.Definitions, instance: dg.DagsterInstance, config_path: Path,
             job: JobRef) -> dg.SensorResult | dg.SkipReason:
    """Evaluate the job's inputs sensor once and apply its partition requests."""
    sensor = defs.resolve_sensor_def(job_sensor_name(job))
    resources = {"pvt": PvtIntakeResource(config_path=str(config_path))}
    with dg.build_sensor_context(instance=instance, resources=resources) as context:
        result = sensor(context)
    if isinstance(result, dg.SensorResult):
        for request in result.dynamic_partitions_requests or []:
            assert isinstance(request, dg.AddDynamicPartitionsRequest)
            instance.add_dynamic_partitions(request.partitions_def_name,
                                            list(request.partition_keys))
    assert isinstance(result, dg.SensorResult | dg.SkipReason)
    return result


def run_requested(defs: dg.Definitions, instance: dg.DagsterInstance, config_path: Path,
                  job: JobRef) -> list[JobRunOutcome]:
    """Tick the job's sensor and execute every run it requests (skipping run keys Dagster
    already ran, as the daemon does)."""
    result = tick_job(defs, instance, config_path, job)
    if not isinstance(result, dg.SensorResult):
        return []
    outcomes = []
    dagster_job = defs.resolve_job_def(processing_job_name(job))
    for request in result.run_requests or []:
        assert request.partition_key is not None
        if request.run_key and instance.get_runs(filters=dg.RunsFilter(
                tags={"dagster/run_key": request.run_key, "pvt/job": job.qualified_name})):
            continue
        tags = {**request.tags, **({"dagster/run_key": request.run_key}
                                   if request.run_key else {})}
        run = dagster_job.execute_in_process(partition_key=request.partition_key,
                                             instance=instance, tags=tags,
                                             raise_on_error=False)
        outcomes.append(JobRunOutcome(job.qualified_name,
                                      job_partition_of(job, request.partition_key),
                                      run.success, run))
    return outcomes


def run_all_jobs(defs: dg.Definitions, instance: dg.DagsterInstance, intake: Intake,
                 client: str, *, rounds: int = 6) -> list[JobRunOutcome]:
    """Tick every job sensor of ``client`` in config order until none requests a run."""
    assert intake.config.path is not None
    done: list[JobRunOutcome] = []
    jobs = [j for j in intake.config.jobs() if j.client == client]
    for _ in range(rounds):
        ran = [o for job in jobs
               for o in run_requested(defs, instance, intake.config.path, job)]
        if not ran:
            return done
        done += ran
    raise AssertionError(f"job sensors still request runs after {rounds} rounds: {done[-3:]}")
