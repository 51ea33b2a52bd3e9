"""Processing jobs in Dagster: one asset ``[client, job]`` per job in the client's group,
downstream of its inputs' assets (a feed's ``delivered``, other jobs), partitioned like its
input (per_file) or by day (daily), typed by a dagster-pandas DataFrame type built from its
``columns`` contract (the UI shows the type check and summary statistics), and one Dagster job
per processing job, so a rerun touches only that job and never the feed stages.

No ``from __future__ import annotations`` here: Dagster reads the annotations of ``context``
and of resources when the assets are defined."""

from typing import Any

import dagster as dg
import pandas as pd
from dagster_pandas import PandasColumn, create_dagster_pandas_dataframe_type
from dagster_pandas.constraints import ColumnDTypeFnConstraint, NonNullableColumnConstraint

from pvt_dagster.config import JobRef
from pvt_dagster.defs.job_outputs import OUTPUTS_IO_MANAGER
from pvt_dagster.defs.metadata import to_metadata
from pvt_dagster.defs.names import (
    TAG_JOB,
    job_asset_key_path,
    job_partition_of,
    job_partitions_name,
    job_run_tags,
    processing_job_name,
)
from pvt_dagster.defs.resources import PvtIntakeResource
from pvt_dagster.errors import translated_errors
from pvt_dagster.naming import stage_asset_path
from pvt_dagster.pipeline import run_job_partition
from pvt_dagster.processing import DTYPE_TESTS


#: The IO manager of job assets: a job writes its own outputs, Dagster keeps only metadata.
def job_partitions(job: JobRef) -> dg.DynamicPartitionsDefinition:
    """The job's partitions: its input feed's files, a folder's files, or days."""
    return dg.DynamicPartitionsDefinition(name=job_partitions_name(job))


def summary_statistics(frame: pd.DataFrame) -> dict[str, dg.MetadataValue]:
    """Rows and, per column, nulls and distinct values; mean, std, min and max of numbers
    only (no text value is ever shown: outputs may hold PII)."""
    lines = ["| column | dtype | nulls | distinct | mean | std | min | max |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    for name in frame.columns:
        series = frame[name]
        numbers = ["", "", "", ""]
        if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
            numbers = [f"{v:.6g}" for v in (series.mean(), series.std(), series.min(),
                                             series.max())]
        lines.append(f"| {name} | {series.dtype} | {int(series.isna().sum())} | "
                     f"{int(series.nunique(dropna=True))} | " + " | ".join(numbers) + " |")
    return {"rows": dg.MetadataValue.int(len(frame)),
            "columns": dg.MetadataValue.int(len(frame.columns)),
            "summary": dg.MetadataValue.md("\n".join(lines))}


def output_type(job: JobRef) -> dg.DagsterType:
    """The job's output as a dagster-pandas DataFrame type: each contract column required,
    of its dtype family (the same tests the job applies before writing), non-null if asked."""
    columns = []
    for name, column in job.config.columns.items():
        constraints: list[Any] = []
        test = DTYPE_TESTS.get(column.dtype)
        if test is not None:
            constraints.append(ColumnDTypeFnConstraint(test))
        if column.non_null:
            constraints.append(NonNullableColumnConstraint())
        columns.append(PandasColumn(name, constraints=constraints, is_required=True))
    dagster_type: dg.DagsterType = create_dagster_pandas_dataframe_type(
        name=f"{job.client}__{job.name}__output",
        description=f"The output of {job.qualified_name} ({job.config.script}).",
        columns=columns, metadata_fn=summary_statistics)
    return dagster_type


def _deps(job: JobRef) -> list[dg.AssetDep]:
    """The job's inputs' assets; a different partitioning (files into days) maps every
    upstream partition to every partition (the job's sensor knows which files make a day)."""
    own = job_partitions_name(job)
    deps = []
    for value in job.config.all_inputs:
        if not isinstance(value, str):
            continue  # a folder has no asset: the job's sensor watches it
        if job.input_is_feed(value):
            key = dg.AssetKey(stage_asset_path(job.client, value, "delivered"))
            theirs = f"{job.client}__{value}"
        else:
            upstream = job.sibling(value)
            key = dg.AssetKey(job_asset_key_path(upstream))
            theirs = job_partitions_name(upstream)
        mapping = None if theirs == own else dg.AllPartitionMapping()
        deps.append(dg.AssetDep(key, partition_mapping=mapping))
    return deps


def _describe(job: JobRef) -> str:
    config = job.config
    inputs = ", ".join(v if isinstance(v, str) else f"folder {v.folder} ({v.pattern})"
                       for v in config.all_inputs)
    where = f"; writes {config.dir}/{job.name}_<partition>.csv" if config.dir else ""
    return (f"{job.qualified_name}: {config.script} over {inputs}, {config.partition}{where}. "
            "Status: success, preliminary (not every input yet) or error.")


def build_job_asset(job: JobRef) -> dg.AssetsDefinition:
    """The asset of one processing job."""

    @dg.asset(key=job_asset_key_path(job), deps=_deps(job), partitions_def=job_partitions(job),
              group_name=job.client, kinds={"pandas"}, tags={TAG_JOB: job.name},
              description=_describe(job), dagster_type=output_type(job),
              io_manager_key=OUTPUTS_IO_MANAGER)
    def job_asset(context: dg.AssetExecutionContext,
                  pvt: PvtIntakeResource) -> dg.Output[pd.DataFrame]:
        """Build one partition of the job and report its status, rows, seconds and output."""
        with translated_errors(job.name):
            result = run_job_partition(pvt.get(), job,
                                       job_partition_of(job, context.partition_key),
                                       run_id=context.run.run_id)
        if result.plan.missing:
            context.log.warning(f"{context.partition_key}: preliminary, still missing "
                                f"{', '.join(result.plan.missing)}")
        return dg.Output(result.frame, metadata=to_metadata(result.metadata()))

    return job_asset


def build_processing_jobs(jobs: list[JobRef], assets: list[dg.AssetsDefinition],
                          resources: dict[str, Any]) -> list[dg.JobDefinition]:
    """The Dagster job of each processing job, resolved against every asset (a job's asset
    depends on feed stages and other jobs)."""
    unresolved = [_processing_job(job) for job in jobs]
    if not unresolved:
        return []
    defs = dg.Definitions(assets=assets, jobs=unresolved, resources=resources)
    return [defs.resolve_job_def(processing_job_name(job)) for job in jobs]


def _processing_job(job: JobRef) -> Any:
    """The Dagster job that builds one partition of one processing job (and nothing else)."""
    return dg.define_asset_job(
        name=processing_job_name(job),
        selection=dg.AssetSelection.assets(dg.AssetKey(job_asset_key_path(job))),
        executor_def=dg.in_process_executor,
        description=f"Build one partition of {job.qualified_name} from its inputs (feed "
                    "stages are never run again).",
        tags=job_run_tags(job))
