"""Processing jobs in the process registry: each job is a process (``client/job/job``, type
``transform``, the script as its tool); each run of one of its partitions is a process run,
and each failure goes to the error registry. A job's failure never counts towards a hold:
jobs read delivered data and never stop a feed."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from pvt_dagster.config import JobRef
from pvt_dagster.errors import PvtError
from pvt_dagster.ledger import Ledger, ProcessRunRecord
from pvt_dagster.tracking.classify import categorize
from pvt_dagster.tracking.registry import JOB_STAGE, job_fields, job_process_name

log = logging.getLogger("pvt_dagster.tracking")


@dataclass
class TrackedJob:
    """One run of one partition of a job, as a process run."""

    ledger: Ledger
    job: JobRef
    partition: str
    run_id: str
    run: ProcessRunRecord | None

    def completed(self) -> None:
        """The partition's output was written."""
        try:
            if self.run is not None:
                self.ledger.finish_process_run(self.run.id, status="completed")
        except PvtError as exc:  # tracking never fails a job that succeeded
            log.warning("process run of job %s not recorded: %s", self.job.qualified_name,
                        type(exc).__name__)

    def failed(self, exc: BaseException, error: str) -> None:
        """Register the error and close the run as failed (never a hold)."""
        category = categorize(exc)
        try:
            self.ledger.record_error(error_class=type(exc).__name__, category=category,
                                     message=error, client=self.job.client, feed=self.job.name,
                                     stage=JOB_STAGE, file_key=self.partition,
                                     run_id=self.run_id)
            if self.run is not None:
                self.ledger.finish_process_run(self.run.id, status="failed", category=category,
                                               error_class=type(exc).__name__, error=error)
        except PvtError as exc2:  # never hide the job's own error behind ours
            log.warning("failure of job %s not tracked: %s", self.job.qualified_name,
                        type(exc2).__name__)


def track_job(ledger: Ledger, job: JobRef, partition: str, *, run_id: str,
              actor: str) -> TrackedJob:
    """Start the process run of one partition of a job."""
    run = ledger.start_process_run(job_process_name(job.client, job.name), job_fields(job),
                                   run_id=run_id, file_key=partition, actor=actor)
    return TrackedJob(ledger, job, partition, run_id, run)
