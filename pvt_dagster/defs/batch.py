"""Batch runs: several ready files of one feed (one lane), one after another, in one run.

A run costs a worker process, the code location's imports and dozens of Dagster events before
the first stage starts; for small files that is most of the time. The discovery sensor
therefore hands the ready files of a feed's lane to one run of the feed's batch job (up to the
feed's ``batch_size``). Each file still has its own partition, materializations, check
evaluations, ledger chain and messages, exactly as a per-file run records them (the events come
from the same ``StageStep``); a file that fails, waits or is blocked stops there, and its
batch-mates go on. The run fails at the end, naming the files that did not finish, when any
failed.

The stages before validation run one file ahead, on a second thread: their time is mostly
gpg's agent unlocking the key and copying bytes, which leaves this process idle, so the next
file's ``raw`` and ``decrypted`` overlap this file's validation, scrubbing, delivery and Dagster
events. Files are still delivered one after another, in arrival order.

No ``from __future__ import annotations``: Dagster reads the op's annotations."""

from collections.abc import Generator, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

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
from pvt_dagster.domain import STAGES, Stage
from pvt_dagster.errors import one_line
from pvt_dagster.masking import mask_pii
from pvt_dagster.naming import partition_key
from pvt_dagster.pipeline import Held, Intake, TransferAttempt, hold_refusal

#: Metadata of the failure a batch run ends with once it ran every file (each reported).
BATCH_ENDED = "files_not_finished"

#: The stages a batch runs one file ahead of the file it is delivering.
AHEAD: tuple[Stage, ...] = ("raw", "decrypted")


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


@dataclass
class Ahead:
    """What a file's first stages did, run ahead on the second thread: nothing (the file is
    not the ledger's: ``unknown``), why it did not start (``held``), or their steps, with the
    transfer attempts that failed on the way (logged when the file's turn comes)."""

    key: str
    unknown: bool = False
    held: Held | None = None
    steps: list[StageStep] = field(default_factory=list)
    attempts: list[TransferAttempt] = field(default_factory=list)


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
        _ = intake.ledger, intake.layout  # opened here, not raced for by the second thread
        force = context.run.tags.get(TAG_FORCE) == "true"

        ends: list[FileEnd] = []
        files = list(config.files)
        # One file ahead; leaving the block waits for it, so a run that stops leaves no
        # stage half-recorded behind it.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="pvt-batch-ahead") as pool:
            def ahead_of(key: str) -> Future[Ahead]:
                return pool.submit(run_ahead, intake, feed, key, context.run.run_id,
                                   force=force)

            pending = ahead_of(files[0]) if files else None
            for n in range(len(files)):  # each stage's materialization shows the progress
                assert pending is not None
                early = pending.result()
                pending = ahead_of(files[n + 1]) if n + 1 < len(files) else None
                ends.append((yield from _run_file(context, intake, feed, early)))
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


def run_ahead(intake: Intake, feed: FeedRef, key: str, run_id: str, *, force: bool) -> Ahead:
    """The file's first stages (``AHEAD``), until one does not carry on; no Dagster calls."""
    ahead = Ahead(key)
    if file_key_of(feed, partition_key(key)) != key or intake.ledger.find_file(key) is None:
        ahead.unknown = True
        return ahead
    ahead.held = None if force else hold_refusal(intake, key)
    if ahead.held is not None:
        return ahead
    for stage in AHEAD:
        step = run_stage(intake, feed, stage, partition_key(key), run_id=run_id,
                         on_attempt=ahead.attempts.append)
        ahead.steps.append(step)
        if not step.carries_on:
            break
    return ahead


def _run_file(context: dg.OpExecutionContext, intake: Intake, feed: FeedRef,
              ahead: Ahead) -> Generator[Event, None, FileEnd]:
    """Every stage of one file (the first ones already run ahead), yielding its events (on
    the file's partition) as each stage ends."""
    key, partition, run_id = ahead.key, partition_key(ahead.key), context.run.run_id
    if ahead.unknown:
        failure = unknown_partition(intake, feed, partition, "raw", run_id=run_id)
        context.log.error(str(failure))
        return FileEnd(key, "failed", "raw")
    if ahead.held is not None:
        yield from _step_events(context, StageStep(feed, "raw", partition,
                                                   not_done=ahead.held))
        return FileEnd(key, ahead.held.outcome, "raw")
    log_attempt = attempt_logger(context.log, partition)
    for attempt in ahead.attempts:
        log_attempt(attempt)
    steps = iter(ahead.steps)
    for stage in STAGES:
        step = next(steps, None) or run_stage(intake, feed, stage, partition, run_id=run_id)
        yield from _step_events(context, step)
        end = _file_end(context, intake, step)
        if end is not None:
            return end
    queue_recovery(intake.ledger, key, run_id=run_id, log=context.log)
    return FileEnd(key, "delivered")


def _file_end(context: dg.OpExecutionContext, intake: Intake,
              step: StageStep) -> FileEnd | None:
    """How the file ends at this step (failed, blocked, or without the stage's output, with
    its failure message queued as a per-file run's hook would); None when it carries on."""
    key, run_id = step.file_key, context.run.run_id
    if step.error is not None:
        context.log.error(f"{step.partition} failed at {step.stage}: "
                          f"{mask_pii(one_line(step.error))}")
        queue_failure(intake.ledger, key, step.stage, run_id=run_id, exc=step.error,
                      log=context.log)
        return FileEnd(key, "failed", step.stage)
    if step.blocked is not None:
        failure = blocked_failure(step.blocked)
        context.log.error(f"{step.partition} {failure}")
        queue_failure(intake.ledger, key, step.stage, run_id=run_id, exc=failure,
                      log=context.log)
        return FileEnd(key, "blocked", step.stage)
    if step.not_done is not None:
        return FileEnd(key, step.not_done.outcome, step.stage)
    return None


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
