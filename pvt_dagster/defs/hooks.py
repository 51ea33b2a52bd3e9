"""Failure and success hooks on every feed job: a failed step is reported to the outbox (under
the same dedupe key the stage itself uses, so a failure recorded by the stage is never doubled),
and a delivered step of a file that had problems queues its 'resolved' message.

No ``from __future__ import annotations``: Dagster inspects the hook functions."""

from typing import Any

import dagster as dg

from pvt_dagster.comms import record_recovery, report_step_failure
from pvt_dagster.defs.names import run_file_key
from pvt_dagster.domain import Stage, is_stage
from pvt_dagster.errors import PvtError, one_line, translated_errors
from pvt_dagster.ledger import Ledger
from pvt_dagster.naming import stage_of


def step_file_and_stage(context: dg.HookContext) -> tuple[str | None, Stage | None]:
    """The file key of the run and the stage (the last part of the op name; None for an op
    that is not a stage: the run-failure sensor reports its failure)."""
    run = context.instance.get_run_by_id(context.run_id)
    key = run_file_key(run.tags) if run is not None else None
    stage = stage_of(context.op.name)
    return key, stage if is_stage(stage) else None


@dg.failure_hook(name="pvt_report_failure", required_resource_keys={"pvt"})
def pvt_failure_hook(context: dg.HookContext) -> None:
    """Report a failed step to the communication manager's outbox."""
    key, stage = step_file_and_stage(context)
    if key is None or stage is None:
        return
    queue_failure(context.resources.pvt.get().ledger, key, stage, run_id=context.run_id,
                  exc=context.op_exception, log=context.log)


def queue_failure(ledger: Ledger, key: str, stage: Stage, *, run_id: str,
                  exc: BaseException | None, log: Any) -> None:
    """Queue the failure message of one file's failed stage (a warning in ``log`` when the
    outbox cannot take it)."""
    try:
        with translated_errors("pvt_report_failure"):
            report_step_failure(
                ledger, key, stage, run_id=run_id,
                error=one_line(exc) if exc is not None else "the step failed; see the run's logs",
                error_class=type(exc).__name__ if exc is not None else None)
    except PvtError as exc2:
        log.warning(f"the failure could not be queued as a message: {one_line(exc2)}")


@dg.success_hook(name="pvt_report_success", required_resource_keys={"pvt"})
def pvt_success_hook(context: dg.HookContext) -> None:
    """When a file's delivery succeeds after earlier problems, queue its 'resolved' message."""
    if stage_of(context.op.name) != "delivered":
        return  # the other stages' steps: no need to look the run up
    key, stage = step_file_and_stage(context)
    if key is None or stage != "delivered":
        return
    queue_recovery(context.resources.pvt.get().ledger, key, run_id=context.run_id,
                   log=context.log)


def queue_recovery(ledger: Ledger, key: str, *, run_id: str, log: Any) -> None:
    """Queue the 'resolved' message of a delivered file that had problems (a warning in
    ``log`` when the outbox cannot take it)."""
    try:
        with translated_errors("pvt_report_success"):
            record_recovery(ledger, key, run_id=run_id)
    except PvtError as exc:
        log.warning(f"the recovery could not be queued as a message: {one_line(exc)}")
