"""The communication manager's sensors: one that delivers pending messages (routes, channels,
retries; see ``pvt_dagster.comms``) and a backstop for runs that fail outside any step.

No ``from __future__ import annotations``: Dagster inspects the sensor functions."""

from collections.abc import Sequence
from typing import Any

import dagster as dg

from pvt_dagster.comms import Dispatcher, report_run_failure
from pvt_dagster.defs.batch import BATCH_ENDED, batch_files_of
from pvt_dagster.defs.names import run_file_key
from pvt_dagster.defs.resources import PvtIntakeResource
from pvt_dagster.errors import PvtError, one_line, translated_errors
from pvt_dagster.ledger import Ledger
from pvt_dagster.polling import UNFINISHED

DISPATCH_SENSOR = "pvt__dispatch"
RUN_FAILURE_SENSOR = "pvt__run_failure"


def build_dispatch_sensor(interval_seconds: int) -> dg.SensorDefinition:
    """The sensor that sends pending messages every ``interval_seconds``."""

    @dg.sensor(name=DISPATCH_SENSOR, minimum_interval_seconds=interval_seconds,
               default_status=dg.DefaultSensorStatus.RUNNING,
               description="Routes pending messages (notify.routes) and sends each to each of "
                           "its channels once: log, email, digests, Salesforce Cases.")
    def dispatch(context: dg.SensorEvaluationContext,
                 pvt: PvtIntakeResource) -> dg.SkipReason:
        """Deliver what is due; the skip reason says what was done."""
        intake = pvt.get()
        dispatcher = Dispatcher(intake.ledger, intake.config.notify, log=context.log)
        try:
            with translated_errors(DISPATCH_SENSOR):
                report = dispatcher.run_once()
        except PvtError as exc:
            context.log.warning(f"messages not dispatched: {one_line(exc)}")
            return dg.SkipReason(f"messages not dispatched: {one_line(exc)}")
        context.log.info(report.summary())
        return dg.SkipReason(report.summary())

    return dispatch


def build_run_failure_sensor(jobs: Sequence[Any]) -> dg.SensorDefinition:
    """The backstop for runs that fail outside a step (resource set-up, launch)."""

    @dg.run_failure_sensor(name=RUN_FAILURE_SENSOR, monitored_jobs=list(jobs) or None,
                           default_status=dg.DefaultSensorStatus.RUNNING,
                           description="Queues a message for a feed run that failed without "
                                       "a step reporting it (step failures report themselves).")
    def run_failure(context: dg.RunFailureSensorContext, pvt: PvtIntakeResource) -> None:
        """Report the failed run unless a step already did (for a batch run: each file it
        left unfinished, unless the batch itself ended and reported every file)."""
        run = context.dagster_run
        ledger = pvt.get().ledger
        with translated_errors(RUN_FAILURE_SENSOR):
            for key in _files_to_report(context, ledger):
                report_run_failure(
                    ledger, key, run_id=run.run_id, job=run.job_name,
                    failure_message=context.failure_event.message if context.failure_event
                    else None)

    return run_failure


def _files_to_report(context: dg.RunFailureSensorContext, ledger: Ledger) -> list[str | None]:
    """The files a failed run's message is about: the run's file (None: no file), or for a
    batch run each file it left unfinished, none when the batch ended and reported each."""
    run = context.dagster_run
    taken = batch_files_of(run)
    if not taken:
        return [run_file_key(run.tags)]
    for event in context.get_step_failure_events():
        failure = event.step_failure_data.user_failure_data if event.step_failure_data else None
        if failure is not None and BATCH_ENDED in (failure.metadata or {}):
            return []  # the batch op reported each file's failure itself
    return [key for key, _ in taken
            if (record := ledger.find_file(key)) is not None and record.status in UNFINISHED]
