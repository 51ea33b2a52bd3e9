"""``pvt jobs [--client C] [--json]``: every processing job's partitions with their status
(success, preliminary, error), rows, output, last update and error. A partition whose input
exists but which has not run yet is ``preliminary`` with no output; a job with no input yet is
listed once, with no partition."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from pvt_dagster.cli.output import iso, print_json, print_table
from pvt_dagster.cli.parsing import Subparsers
from pvt_dagster.errors import UsageError
from pvt_dagster.processing import PRELIMINARY

if TYPE_CHECKING:
    from pvt_dagster.config import JobRef
    from pvt_dagster.pipeline import Intake


def _pending(job: JobRef, partition: str | None) -> dict[str, Any]:
    return {"client": job.client, "job": job.name, "partition": partition,
            "status": PRELIMINARY, "rows": None, "output": None, "updated_at": None,
            "error": None}


def job_rows(intake: Intake, job: JobRef) -> list[dict[str, Any]]:
    """One job's partitions as ``pvt jobs --json`` prints them, by partition."""
    from pvt_dagster.pipeline import plan_job  # pandas: only here

    recorded = {r.partition: {"client": r.client, "job": r.job, "partition": r.partition,
                              "status": r.status, "rows": r.rows, "output": r.output,
                              "updated_at": iso(r.updated_at), "error": r.error}
                for r in intake.ledger.job_outputs(client=job.client, job=job.name)}
    for partition in plan_job(intake, job):
        recorded.setdefault(partition, _pending(job, partition))
    return [recorded[p] for p in sorted(recorded)] or [_pending(job, None)]


def cmd_jobs(intake: Intake, args: argparse.Namespace) -> int:
    """List every job partition's status."""
    if args.client is not None and args.client not in intake.config.clients:
        raise UsageError(f"unknown client {args.client}")
    rows = [row for job in intake.config.jobs()
            if args.client is None or job.client == args.client
            for row in job_rows(intake, job)]
    if args.json:
        print_json(rows)
        return 0
    print_table(["JOB", "PARTITION", "STATUS", "ROWS", "UPDATED", "OUTPUT / ERROR"], [
        [f"{r['client']}/{r['job']}", r["partition"] or "-", r["status"],
         "-" if r["rows"] is None else r["rows"], r["updated_at"] or "-",
         r["error"] or r["output"] or "-"] for r in rows])
    counts = {s: sum(r["status"] == s for r in rows) for s in ("success", PRELIMINARY, "error")}
    print(", ".join(f"{n} {s}" for s, n in counts.items()))
    return 0


def register(sub: Subparsers) -> None:
    """Add ``pvt jobs``."""
    jobs = sub.add_parser("jobs", help="processing jobs: status of every partition")
    jobs.add_argument("--client")
    jobs.add_argument("--json", action="store_true")
    jobs.set_defaults(run=cmd_jobs, needs_intake=True)
