"""The ``pvt__purge`` job and its daily schedule: ``pvt purge`` run by Dagster (see
``pvt_dagster.retention``), each deletion on the file's chain, the counts in the run's log.

No ``from __future__ import annotations``: Dagster inspects the op's annotations."""

import dagster as dg

from pvt_dagster.defs.resources import PvtIntakeResource
from pvt_dagster.errors import translated_errors
from pvt_dagster.retention import purge

PURGE_JOB = "pvt__purge"
PURGE_SCHEDULE = "pvt__purge"
PURGE_CRON = "30 3 * * *"  # daily, 03:30 in the config's time zone


@dg.op(name="purge", description="Delete what is past its client's retention (final files "
       "only), recording each deletion on the file's chain.")
def purge_op(context: dg.OpExecutionContext, pvt: PvtIntakeResource) -> None:
    """Purge once; fail the run if a deletion failed."""
    with translated_errors(PURGE_JOB):
        report = purge(pvt.get(), user=f"schedule:{PURGE_SCHEDULE}")
    context.log.info(f"purged {len(report.purged)} output(s) of "
                     f"{len({i.key for i in report.purged})} file(s), {report.bytes} bytes; "
                     f"kept {len(report.kept)} (not final)")
    for kept in report.kept:
        context.log.info(f"kept {kept.area} of {kept.key}: {kept.reason}")
    if report.errors:
        raise dg.Failure(description="; ".join(report.errors)[:2000])


@dg.job(name=PURGE_JOB, description="Delete vault copies, work files and daily CSVs past "
        "their client's retention (same as `pvt purge`).", tags={"pvt/retention": "purge"})
def purge_job() -> None:
    """One op: purge."""
    purge_op()


def build_purge_schedule(timezone: str) -> dg.ScheduleDefinition:
    """``pvt__purge`` every day at 03:30 in ``timezone``, running from the start."""
    return dg.ScheduleDefinition(
        name=PURGE_SCHEDULE, job=purge_job, cron_schedule=PURGE_CRON,
        execution_timezone=timezone, default_status=dg.DefaultScheduleStatus.RUNNING,
        description="Daily retention purge (clients' retention: vault_days, work_days, "
                    "outputs_days).")
