"""The communication manager's sensors: one that delivers pending messages (routes, channels,
retries; see ``pvt_dagster.comms``) and a backstop for runs that fail outside any step.

No ``from __future__ import annotations``: Dagster inspects the sensor functions."""

from collections.abc import Sequence
from typing import Any

import dagster as dg

from pvt_dagster.comms import Dispatcher
from pvt_dagster.defs.hooks import PARTITION_TAG
from pvt_dagster.defs.names import TAG_FILE
from pvt_dagster.defs.resources import PvtIntakeResource
from pvt_dagster.errors import PvtError
from pvt_dagster.ledger import Ledger
from pvt_dagster.masking import mask_pii
from pvt_dagster.pipeline.recording import one_line

DISPATCH_SENSOR = "pvt__dispatch"
RUN_FAILURE_SENSOR = "pvt__run_failure"
_DISPATCHERS: dict[int, Dispatcher] = {}


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
        dispatcher = _DISPATCHERS.get(id(intake))
        if dispatcher is None or dispatcher.ledger is not intake.ledger:
            dispatcher = Dispatcher(intake.ledger, intake.config.notify)
            _DISPATCHERS[id(intake)] = dispatcher
        dispatcher.log = context.log
        try:
            report = dispatcher.run_once()
        except PvtError as exc:
            return dg.SkipReason(f"messages not dispatched: {one_line(exc)}")
        return dg.SkipReason(report.summary())

    return dispatch


def report_run_failure(ledger: Ledger, run: Any, failure_message: str | None) -> bool:
    """Queue a message for a failed run unless one of its steps already reported; whether
    a message was queued."""
    key = run.tags.get(PARTITION_TAG) or run.tags.get(TAG_FILE)
    if key is not None:
        for message in ledger.messages(file_key=key):
            if message.severity == "failure" and message.details.get("run_id") == run.run_id:
                return False
    record = None
    if key is not None:
        try:
            record = ledger.get_file(key)
        except PvtError:
            record = None
    reason = mask_pii(" ".join((failure_message or "").split()))[:300] or "see the run's logs"
    ledger.record_message(
        dedupe_key=f"{key or '-'}:run:{run.run_id}:error",
        client=record.client if record else None, feed=record.feed if record else None,
        file_key=record.key if record else None, stage=None, kind="run_failed",
        severity="failure",
        text=f"run of {run.job_name} for {key or 'no file'} failed outside its steps: {reason}",
        details={"run_id": run.run_id, "job": run.job_name})
    return True


def build_run_failure_sensor(jobs: Sequence[Any]) -> dg.SensorDefinition:
    """The backstop for runs that fail outside a step (resource set-up, launch)."""

    @dg.run_failure_sensor(name=RUN_FAILURE_SENSOR, monitored_jobs=list(jobs) or None,
                           default_status=dg.DefaultSensorStatus.RUNNING,
                           description="Queues a message for a feed run that failed without "
                                       "a step reporting it (step failures report themselves).")
    def run_failure(context: dg.RunFailureSensorContext, pvt: PvtIntakeResource) -> None:
        """Report the failed run unless a step already did."""
        message = context.failure_event.message if context.failure_event else None
        report_run_failure(pvt.get().ledger, context.dagster_run, message)

    return run_failure
