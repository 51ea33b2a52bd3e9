"""Processing jobs in the ledger: the last state of every (client, job, partition).

Plain storage; what the statuses mean and when a job runs again live in
``pvt_dagster.processing`` and ``pvt_dagster.pipeline.jobs``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from pvt_dagster.ledger.chain import json_safe
from pvt_dagster.ledger.engine import LedgerBase
from pvt_dagster.ledger.models import JobOutput
from pvt_dagster.ledger.records import one_line
from pvt_dagster.ledger.timeutil import ensure_utc, utcnow

JOB_STATUSES = frozenset({"success", "preliminary", "error"})


@dataclass(frozen=True)
class JobOutputRecord:
    """One job partition's last state."""

    client: str
    job: str
    partition: str
    day: str | None
    status: str
    rows: int | None
    output: str | None
    inputs: list[dict[str, Any]]
    fingerprint: str
    error: str | None
    run_id: str | None
    details: dict[str, Any]
    started_at: datetime
    updated_at: datetime


def _record(row: JobOutput) -> JobOutputRecord:
    return JobOutputRecord(client=row.client, job=row.job, partition=row.partition, day=row.day,
                           status=row.status, rows=row.rows, output=row.output,
                           inputs=list(row.inputs or []), fingerprint=row.fingerprint,
                           error=row.error, run_id=row.run_id, details=dict(row.details or {}),
                           started_at=row.started_at, updated_at=row.updated_at)


class JobsMixin(LedgerBase):
    """Job outputs and their statuses."""

    def record_job_output(self, *, client: str, job: str, partition: str, status: str,
                          day: str | None, rows: int | None, output: str | None,
                          inputs: list[dict[str, Any]], fingerprint: str, error: str | None,
                          run_id: str | None, started_at: datetime,
                          details: dict[str, Any] | None = None) -> JobOutputRecord:
        """Set a job partition's state (one row per partition: a rerun replaces it)."""
        if status not in JOB_STATUSES:
            raise ValueError(f"unknown job status {status!r}")
        values = {"day": day, "status": status, "rows": rows, "output": output,
                  "inputs": json_safe(inputs), "fingerprint": fingerprint,
                  "error": one_line(error), "run_id": run_id,
                  "details": json_safe(details or {}), "started_at": ensure_utc(started_at),
                  "updated_at": utcnow()}
        with self._write() as session:
            row = session.scalar(select(JobOutput).where(
                JobOutput.client == client, JobOutput.job == job,
                JobOutput.partition == partition))
            if row is None:
                row = JobOutput(client=client, job=job, partition=partition, **values)
                session.add(row)
            else:
                for name, value in values.items():
                    setattr(row, name, value)
            session.flush()
            return _record(row)

    def job_output(self, client: str, job: str, partition: str) -> JobOutputRecord | None:
        """One job partition's state, or None if it never ran."""
        with self._read() as session:
            row = session.scalar(select(JobOutput).where(
                JobOutput.client == client, JobOutput.job == job,
                JobOutput.partition == partition))
            return _record(row) if row is not None else None

    def job_outputs(self, *, client: str | None = None, job: str | None = None,
                    day: str | None = None) -> list[JobOutputRecord]:
        """Job partitions' states by client, job and partition, filtered as given."""
        stmt = select(JobOutput).order_by(JobOutput.client, JobOutput.job, JobOutput.partition)
        if client is not None:
            stmt = stmt.where(JobOutput.client == client)
        if job is not None:
            stmt = stmt.where(JobOutput.job == job)
        if day is not None:
            stmt = stmt.where(JobOutput.day == day)
        with self._read() as session:
            return [_record(r) for r in session.scalars(stmt)]
