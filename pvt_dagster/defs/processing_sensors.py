"""One sensor per processing job: it runs the job for every partition whose inputs changed
(a file delivered, an upstream job rebuilt, a folder file added or changed) or whose output
went missing, within one polling interval. The decision is the ledger's (``pipeline.
job_schedule``); the sensor turns it into run requests (``run_key`` = partition and input
fingerprint, so Dagster runs each state once) and adds new day or folder-file partitions.

The product's own sensor rather than declarative automation: a daily partition is made of
per-file partitions of other feeds (no partition mapping expresses "the files received that
day"), folder inputs are no assets, and "run again once file B arrives" is ledger knowledge.

No ``from __future__ import annotations``: Dagster inspects the sensor function."""

import dagster as dg

from pvt_dagster.config import JobRef
from pvt_dagster.defs.names import (
    job_dagster_partition,
    job_partitions_name,
    job_run_tags,
    job_sensor_name,
)
from pvt_dagster.defs.resources import PvtIntakeResource
from pvt_dagster.errors import PvtError, one_line, translated_errors
from pvt_dagster.pipeline import due_runs


def build_job_sensor(job: JobRef, interval_seconds: int,
                     target: dg.JobDefinition) -> dg.SensorDefinition:
    """The sensor that runs ``job`` when its inputs change."""
    partitions_name = job_partitions_name(job)
    partitions = dg.DynamicPartitionsDefinition(name=partitions_name)

    @dg.sensor(name=job_sensor_name(job), minimum_interval_seconds=interval_seconds,
               default_status=dg.DefaultSensorStatus.RUNNING, job=target,
               description=f"Runs {job.qualified_name} for each partition whose inputs changed "
                           "(or whose output is missing).")
    def job_inputs(context: dg.SensorEvaluationContext,
                   pvt: PvtIntakeResource) -> dg.SensorResult | dg.SkipReason:
        """Request a run per due partition; never fails the tick for one job's problem."""
        try:
            with translated_errors(job_sensor_name(job)):
                due = due_runs(pvt.get(), job)
        except PvtError as exc:
            context.log.warning(f"{job.qualified_name}: inputs not checked: {one_line(exc)}")
            return dg.SkipReason(f"inputs not checked: {one_line(exc)}")
        if not due:
            return dg.SkipReason(f"{job.qualified_name}: every partition is up to date")
        known = set(context.instance.get_dynamic_partitions(partitions_name))
        shown = {d.partition: job_dagster_partition(job, d.partition) for d in due}
        new = [shown[d.partition] for d in due if shown[d.partition] not in known]
        for run in due:
            context.log.info(f"{job.qualified_name} {shown[run.partition]}: {run.reason}")
        return dg.SensorResult(
            run_requests=[dg.RunRequest(partition_key=shown[d.partition], run_key=d.run_key,
                                        tags=job_run_tags(job)) for d in due],
            dynamic_partitions_requests=[partitions.build_add_request(new)] if new else [])

    return job_inputs
