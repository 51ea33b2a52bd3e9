"""Failure and success hooks on every feed job: a failed step is reported to the outbox (under
the same dedupe key the stage itself uses, so a failure recorded by the stage is never doubled),
and a delivered step of a file that had problems queues its 'resolved' message.

No ``from __future__ import annotations``: Dagster inspects the hook functions."""

import dagster as dg

from pvt_dagster.comms import record_recovery
from pvt_dagster.errors import PvtError, UnknownFileError
from pvt_dagster.pipeline.recording import one_line

PARTITION_TAG = "dagster/partition"


def step_file_and_stage(context: dg.HookContext) -> tuple[str | None, str]:
    """The file key (the run's partition) and the stage (the last part of the op name)."""
    run = context.instance.get_run_by_id(context.run_id)
    key = run.tags.get(PARTITION_TAG) if run is not None else None
    return key, context.op.name.rsplit("__", 1)[-1]


def report_failure(context: dg.HookContext) -> None:
    """Queue the failure message of a failed step (idempotent)."""
    key, stage = step_file_and_stage(context)
    if key is None:
        return
    ledger = context.resources.pvt.get().ledger
    try:
        record = ledger.get_file(key)
    except UnknownFileError:
        return
    exc = context.op_exception
    error = one_line(exc) if exc is not None else "the step failed; see the run's logs"
    ledger.record_message(
        dedupe_key=f"{key}:{stage}:{context.run_id}:error", client=record.client,
        feed=record.feed, file_key=key, stage=stage, kind=f"{stage}_failed",
        severity="failure", text=f"{key} failed at {stage}: {error}",
        details={"run_id": context.run_id, "reported_by": "hook",
                 "error_class": type(exc).__name__ if exc is not None else None})


@dg.failure_hook(name="pvt_report_failure", required_resource_keys={"pvt"})
def pvt_failure_hook(context: dg.HookContext) -> None:
    """Report a failed step to the communication manager's outbox."""
    try:
        report_failure(context)
    except PvtError as exc:
        context.log.warning(f"the failure could not be queued as a message: {one_line(exc)}")


@dg.success_hook(name="pvt_report_success", required_resource_keys={"pvt"})
def pvt_success_hook(context: dg.HookContext) -> None:
    """When a file's delivery succeeds after earlier problems, queue its 'resolved' message."""
    key, stage = step_file_and_stage(context)
    if key is None or stage != "delivered":
        return
    try:
        record_recovery(context.resources.pvt.get().ledger, key, run_id=context.run_id)
    except PvtError as exc:
        context.log.warning(f"the recovery could not be queued as a message: {one_line(exc)}")
