"""Batch runs: several ready files of one feed (one lane), one after another, in one run.

A run costs a worker process, the code location's imports and dozens of Dagster events before
the first stage starts; for small files that is most of the time. The discovery sensor
therefore hands the ready files of a feed's lane to one run of the feed's batch job (up to the
feed's ``batch_size``). Each file still has its own partition, materializations, check
evaluations, ledger chain and messages, exactly as a per-file run records them (the events come
from the same ``StageStep``); a file that fails, waits or is blocked stops there, and its
batch-mates go on. The run fails at the end, naming the files that did not finish, when any
failed.

No ``from __future__ import annotations``: Dagster reads the op's annotations."""

from collections.abc import Generator, Iterator
from dataclasses import dataclass

import dagster as dg

from pvt_dagster.config import FeedRef
from pvt_dagster.defs.assets import attempt_logger, blocked_failure, unknown_partition
from pvt_dagster.defs.failures import QuietFailure
from pvt_dagster.defs.hooks import queue_failure, queue_recovery
from pvt_dagster.defs.metadata import check_evaluation
from pvt_dagster.defs.names import (
    TAG_BATCH,
    TAG_CLIENT,
    TAG_FORCE,
    batch_job_name,
    batch_op_name,
    file_key_of,
)
from pvt_dagster.defs.resources import PvtIntakeResource
from pvt_dagster.defs.stage_step import StageStep, run_stage
from pvt_dagster.domain import STAGES
from pvt_dagster.errors import one_line
from pvt_dagster.masking import mask_pii
from pvt_dagster.naming import partition_key
from pvt_dagster.pipeline import Intake, hold_refusal

#: Metadata of the failure a batch run ends with once it ran every file (each reported).
BATCH_ENDED = "files_not_finished"


#: What the batch op yields for each stage of each file.
Event = dg.AssetMaterialization | dg.AssetObservation | dg.AssetCheckEvaluation


class BatchFiles(dg.Config):
    """The files of a batch run, in the order they run, and the run key each was taken under
    (what the discovery tick compares to tell a file's current attempt from an earlier one)."""

    files: list[str]
    run_keys: list[str]


@dataclass(frozen=True)
class FileEnd:
    """How one file of a batch ended: ``delivered``, ``failed`` (at ``stage``), or the outcome
    of a stage that ended without its output (``rejected``, ``waiting``, ``blocked``,
    ``on_hold``)."""

    key: str
    outcome: str
    stage: str | None = None


def batch_run_config(feed: FeedRef, files: list[str], run_keys: list[str]) -> dict[str, object]:
    """The run config of a batch run of ``feed`` over ``files``."""
    return {"ops": {batch_op_name(feed): {"config": {"files": files, "run_keys": run_keys}}}}


def batch_files_of(run: dg.DagsterRun) -> list[tuple[str, str]]:
    """The (file key, run key) pairs a batch run took, from its run config; empty for any
    other run."""
    if TAG_BATCH not in run.tags:
        return []
    ops = (run.run_config or {}).get("ops")
    for op in ops.values() if isinstance(ops, dict) else ():
        config = op.get("config", {}) if isinstance(op, dict) else {}
        files, keys = config.get("files"), config.get("run_keys")
        if isinstance(files, list) and isinstance(keys, list) and len(files) == len(keys):
            return [(str(f), str(k)) for f, k in zip(files, keys, strict=True)]
    return []


def build_batch_job(feed: FeedRef) -> dg.JobDefinition:
    """The job that runs a batch of ``feed``'s ready files through every stage."""

    @dg.op(name=batch_op_name(feed), out={},
           description=f"Runs each file of a batch of {feed.qualified_name} through every "
                       "stage, recording each file's materializations and checks on its own "
                       "partition; one file's failure does not stop the others.")
    def run_files(context: dg.OpExecutionContext, config: BatchFiles,
                  pvt: PvtIntakeResource) -> Iterator[Event]:
        """Run every file of the batch; fail at the end if any file failed."""
        intake = pvt.get()
        ends: list[FileEnd] = []
        for key in config.files:  # each stage's materialization shows the progress
            ends.append((yield from _run_file(context, intake, feed, key)))
        failed = [e for e in ends if e.outcome in ("failed", "blocked")]
        summary = ", ".join(f"{sum(1 for e in ends if e.outcome == o)} {o}"
                            for o in sorted({e.outcome for e in ends}))
        context.log.info(f"batch of {len(ends)} file(s): {summary}")
        if failed:
            names = "; ".join(f"{partition_key(e.key)} {e.outcome} at {e.stage}"
                              for e in failed)
            raise QuietFailure(mask_pii(f"{len(failed)} of {len(ends)} file(s) did not finish: "
                                        f"{names} (each failure is in the file's own record "
                                        f"and messages); the others: {summary}"),
                               metadata={BATCH_ENDED: len(failed)})

    @dg.job(name=batch_job_name(feed), executor_def=dg.in_process_executor,
            tags={TAG_BATCH: feed.qualified_name, TAG_CLIENT: feed.client},
            description=f"Receive, decrypt, validate, scrub and deliver several "
                        f"{feed.qualified_name} files in one run, one after another (the "
                        "discovery sensor starts it when more than one file is ready).")
    def batch_job() -> None:
        """One op over the batch's files."""
        run_files()

    return batch_job


def _run_file(context: dg.OpExecutionContext, intake: Intake, feed: FeedRef,
              key: str) -> Generator[Event, None, FileEnd]:
    """Every stage of one file, yielding its events (on the file's partition) as they
    happen."""
    partition, run_id = partition_key(key), context.run.run_id
    if file_key_of(feed, partition) != key or intake.ledger.find_file(key) is None:
        failure = unknown_partition(intake, feed, partition, "raw", run_id=run_id)
        context.log.error(str(failure))
        return FileEnd(key, "failed", "raw")
    held = None if context.run.tags.get(TAG_FORCE) == "true" else hold_refusal(intake, key)
    if held is not None:
        yield from _step_events(context, StageStep(feed, "raw", partition, not_done=held))
        return FileEnd(key, held.outcome, "raw")
    for stage in STAGES:
        step = run_stage(intake, feed, stage, partition, run_id=run_id,
                         on_attempt=attempt_logger(context.log, partition))
        yield from _step_events(context, step)
        if step.error is not None:
            context.log.error(f"{partition} failed at {stage}: {mask_pii(one_line(step.error))}")
            queue_failure(intake.ledger, key, stage, run_id=run_id, exc=step.error,
                          log=context.log)
            return FileEnd(key, "failed", stage)
        if step.blocked is not None:
            failure = blocked_failure(step.blocked)
            context.log.error(f"{partition} {failure}")
            queue_failure(intake.ledger, key, stage, run_id=run_id, exc=failure,
                          log=context.log)
            return FileEnd(key, "blocked", stage)
        if step.not_done is not None:
            return FileEnd(key, step.not_done.outcome, stage)
    queue_recovery(intake.ledger, key, run_id=run_id, log=context.log)
    return FileEnd(key, "delivered")


def _step_events(context: dg.OpExecutionContext, step: StageStep) -> Iterator[Event]:
    """The events a per-file run's step would report for this stage (and its warning)."""
    if step.not_done is not None:
        context.log.warning(step.not_done_line())
    if step.metadata is not None:
        yield dg.AssetMaterialization(asset_key=step.asset_key, partition=step.partition,
                                      metadata=step.metadata)
    for outcome in step.checks:
        yield check_evaluation(step.asset_key, outcome, step.partition)
    yield from step.observations()
