"""When a processing job must run (what its sensor requests): a partition whose inputs
changed since its output was built (or that never ran), and one whose output went missing (the
notes' folder pairs: a source file with no output in the target folder runs the job). A
partition that failed with the same inputs is not run again on its own (``pvt replay`` or the
UI do that), so a broken script never loops."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pvt_dagster.config import JobRef
from pvt_dagster.ledger import JobOutputRecord
from pvt_dagster.pipeline.intake import Intake
from pvt_dagster.pipeline.job_inputs import PartitionPlan, plan_job
from pvt_dagster.processing import ERROR


@dataclass(frozen=True)
class DueRun:
    """A partition to run, why, and its run key (Dagster runs a key once)."""

    partition: str
    reason: str
    run_key: str


def _output_missing(intake: Intake, job: JobRef, row: JobOutputRecord) -> bool:
    """Whether a written output is gone: its typed copy, or its CSV in the target folder."""
    work = row.details.get("work")
    if not work or not intake.store.present(intake.layout.stored(work)):
        return True
    if job.config.dir is not None and not row.details.get("split") and row.output:
        return not Path(row.output).is_file()
    return False


def due_runs(intake: Intake, job: JobRef,
             plans: dict[str, PartitionPlan] | None = None) -> list[DueRun]:
    """The partitions of ``job`` to run now, oldest partition first."""
    plans = plan_job(intake, job) if plans is None else plans
    rows = {r.partition: r for r in intake.ledger.job_outputs(client=job.client, job=job.name)}
    due = []
    for partition, plan in plans.items():
        row = rows.get(partition)
        key = f"{partition}:{plan.fingerprint[:16]}"
        if row is None:
            due.append(DueRun(partition, "new input", key))
        elif row.fingerprint != plan.fingerprint:
            due.append(DueRun(partition, "inputs changed", key))
        elif row.status != ERROR and _output_missing(intake, job, row):
            stamp = row.updated_at.strftime("%Y%m%dT%H%M%S%f")
            due.append(DueRun(partition, "output missing", f"{key}:restore:{stamp}"))
    return due
