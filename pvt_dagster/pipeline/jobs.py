"""Running one partition of a processing job: read its inputs, run its script, write its
output (a typed copy in the home that other jobs read, ``<dir>/<job>_<partition>.csv``, or one
daily CSV per value for split scripts), deliver it to its targets (a rerun replaces its rows),
and record the partition's status, process run, error and message. A job's error marks only
that job ``error``: it never touches a feed or its files."""

from __future__ import annotations

import csv
import logging
import time
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from pvt_dagster.config import JobRef
from pvt_dagster.delivery import deliver_daily_csv, target_path
from pvt_dagster.errors import one_line
from pvt_dagster.pipeline.delivered import TargetResult, deliver_to
from pvt_dagster.pipeline.intake import Intake
from pvt_dagster.pipeline.job_inputs import PartitionPlan, plan_partition
from pvt_dagster.pipeline.recording import utcnow
from pvt_dagster.processing import (
    ScriptOutput,
    arrow_table,
    load_script,
    read_output,
    read_text_csv,
    run_script,
    status_of_output,
    write_csv,
    write_parquet,
)
from pvt_dagster.tracking import actor_of, track_job
from pvt_dagster.transport import sha256_file

log = logging.getLogger(__name__)
JOB_FAILED = "job_failed"


def file_part(partition: str) -> str:
    """The file-name part of a partition: a file key's last segment without ``.csv``, a day,
    or a folder file's slug."""
    return partition.rsplit("/", 1)[-1].removesuffix(".csv")


def output_key(job: JobRef, partition: str) -> str:
    """The key of a job's output in delivery targets (``_pvt_key``): ``client/job/part``."""
    return f"{job.client}/{job.name}/{file_part(partition)}"


@dataclass(frozen=True)
class JobResult:
    """A partition's written output."""

    job: JobRef
    plan: PartitionPlan
    status: str
    rows: int
    output: str
    seconds: float
    frame: pd.DataFrame  # every output row, for the UI's type check and statistics
    targets: list[TargetResult]

    def metadata(self) -> dict[str, Any]:
        """Plain values for the UI: status, rows, seconds, output, inputs and targets."""
        return {"status": self.status, "rows": self.rows, "seconds": round(self.seconds, 3),
                "output": self.output, "partition": self.plan.partition, "day": self.plan.day,
                "inputs": [f"{i.input}: {i.partition}" for i in self.plan.items],
                "missing_inputs": list(self.plan.missing) or None,
                "targets": [t.location for t in self.targets] or None}


def _read_frames(intake: Intake, plan: PartitionPlan) -> dict[str, pd.DataFrame]:
    """One frame per input, in input order (a daily partition stacks the day's items)."""
    frames: dict[str, list[pd.DataFrame]] = {}
    for item in plan.items:
        label = f"{item.input} {item.partition}"
        path = intake.store.fetch(item.path)
        frame = (read_output(path, label=label) if item.kind == "job"
                 else read_text_csv(path, label=label))
        frames.setdefault(item.input, []).append(frame)
    return {name: parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)
            for name, parts in frames.items()}


def _header_of(path: Path) -> list[str]:
    with open(path, encoding="utf-8", newline="") as handle:
        return next(csv.reader(handle), [])


def _write_split(intake: Intake, job: JobRef, plan: PartitionPlan, out: ScriptOutput,
                 previous: list[str]) -> list[str]:
    """One daily CSV per value (``<dir>/<value>_<day>.csv``; this partition's rows replaced,
    other partitions' kept); values gone since the last run lose this partition's rows."""
    assert job.config.dir is not None, "config requires a dir for split outputs"
    work = intake.layout.job_work_dir(job.client, job.name) / "split"
    day, key = date.fromisoformat(plan.day), output_key(job, plan.partition)
    for value, frame in out.frames.items():
        src = work / f"{file_part(plan.partition)}__{value}.csv"
        write_csv(arrow_table(frame), src)
        deliver_daily_csv(src, target_dir=job.config.dir, feed=value, day=day, file_key=key)
        src.unlink()
    for value in sorted(set(previous) - set(out.frames)):
        target = target_path(job.config.dir, value, day)
        if target.is_file():  # deliver no rows: only this partition's rows go
            src = work / f"{file_part(plan.partition)}__{value}.csv"
            write_csv(arrow_table(pd.DataFrame(columns=_header_of(target)[:-1])), src)
            deliver_daily_csv(src, target_dir=job.config.dir, feed=value, day=day, file_key=key)
            src.unlink()
    return sorted(out.frames)


def _write(intake: Intake, job: JobRef, plan: PartitionPlan, out: ScriptOutput,
           previous: dict[str, Any]) -> tuple[str, dict[str, Any], Path | None]:
    """Write the outputs; (the output shown, details kept in the ledger, the CSV targets read)."""
    work_dir = intake.layout.job_work_dir(job.client, job.name)
    part = file_part(plan.partition)
    table = arrow_table(out.combined())
    work = work_dir / f"{part}.parquet"
    write_parquet(table, work)
    intake.store.publish(work, sha256=sha256_file(work))
    details: dict[str, Any] = {"work": intake.layout.relative(work)}
    csv_path: Path | None = None
    if out.split:
        details["split"] = _write_split(intake, job, plan, out, previous.get("split") or [])
        shown = str(job.config.dir)
    elif job.config.dir is not None:
        csv_path = job.config.dir / f"{job.name}_{part}.csv"
        write_csv(table, csv_path)
        shown = str(csv_path)
    else:
        shown = intake.store.where(work)
    if job.config.deliver and csv_path is None:
        csv_path = work_dir / f"{part}.csv"
        write_csv(table, csv_path)
    return shown, details, csv_path


def run_job_partition(intake: Intake, job: JobRef, partition: str, *,
                      run_id: str) -> JobResult:
    """Build one partition of ``job``; the failure (a ProcessingError or another error) is
    recorded as the partition's ``error`` and re-raised."""
    ledger = intake.ledger
    started, clock = utcnow(), time.perf_counter()
    tracked = track_job(ledger, job, partition, run_id=run_id, actor=actor_of(run_id))
    plan = None
    try:
        plan = plan_partition(intake, job, partition)
        previous = ledger.job_output(job.client, job.name, partition)
        out = run_script(load_script(job.config.script), _read_frames(intake, plan),
                         job.config.options, job.config.columns, job=job.qualified_name)
        shown, details, csv_path = _write(intake, job, plan, out,
                                          previous.details if previous else {})
        targets = [deliver_to(intake, target, csv_path, client=job.client, name=job.name,
                              key=output_key(job, partition), day=date.fromisoformat(plan.day))
                   for target in job.config.deliver if csv_path is not None]
    except Exception as exc:
        _record_failure(intake, job, partition, plan, exc, run_id=run_id, started=started)
        tracked.failed(exc, one_line(exc))
        raise
    status = status_of_output(complete=plan.complete)
    seconds = time.perf_counter() - clock
    details.update(seconds=round(seconds, 3), targets=[t.location for t in targets])
    ledger.record_job_output(client=job.client, job=job.name, partition=partition,
                             status=status, day=plan.day, rows=out.rows, output=shown,
                             inputs=plan.inputs_seen(), fingerprint=plan.fingerprint,
                             error=None, run_id=run_id, started_at=started, details=details)
    tracked.completed()
    log.info("job %s %s: %s, %d rows", job.qualified_name, partition, status, out.rows)
    return JobResult(job, plan, status, out.rows, shown, seconds, out.combined(), targets)


def _record_failure(intake: Intake, job: JobRef, partition: str, plan: PartitionPlan | None,
                    exc: BaseException, *, run_id: str, started: datetime) -> None:
    """The partition's ``error`` row and a ``job_failed`` message (severity failure)."""
    error = one_line(exc)
    intake.ledger.record_job_output(
        client=job.client, job=job.name, partition=partition, status="error",
        day=plan.day if plan else None, rows=None, output=None,
        inputs=plan.inputs_seen() if plan else [], fingerprint=plan.fingerprint if plan else "",
        error=error, run_id=run_id, started_at=started,
        details={"error_class": type(exc).__name__})
    intake.ledger.record_message(
        dedupe_key=f"job:{job.qualified_name}/{partition}:{run_id}:error", client=job.client,
        feed=job.name, file_key=None, stage="job", kind=JOB_FAILED, severity="failure",
        text=f"job {job.qualified_name} failed for {partition}: {error}",
        details={"error_class": type(exc).__name__, "run_id": run_id, "job": job.name,
                 "partition": partition})
    log.warning("job %s %s failed: %s", job.qualified_name, partition, error)
