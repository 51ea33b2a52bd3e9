"""``pvt replay KEY [--from STAGE]``, ``pvt replay CLIENT/JOB [PARTITION]`` and ``pvt ingest C/F
FILE``: operator actions that run a file's feed job, or a processing job's partitions (never
the feed stages), in the Dagster instance of ``$DAGSTER_HOME`` (the one the UI shows)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from pvt_dagster.cli.keys_cmd import acting_user
from pvt_dagster.cli.parsing import Subparsers, vocabulary
from pvt_dagster.domain import STAGES, Stage, as_stage
from pvt_dagster.errors import UsageError

if TYPE_CHECKING:
    from pvt_dagster.pipeline import FileToRun, Intake

# Dagster (``pvt_dagster.defs``) and the stages are imported by the commands that run them, so
# that every other ``pvt`` command starts without them.

OK_STATUSES = ("delivered",)


def _run(intake: Intake, todo: FileToRun, what: str, tags: dict[str, str]) -> int:
    """Run the file's job from its first stage, print each stage and the outcome; exit 1
    unless the file ended delivered."""
    from pvt_dagster.defs import TAG_FORCE, build_location, dagster_instance, run_file_job

    if todo.refused is not None:
        print(f"{what} {todo.key}: rejected: {todo.refused}")
        return 1
    instance = dagster_instance()
    print(f"running {todo.feed.qualified_name} from {todo.from_stage} for {todo.key}",
          file=sys.stderr, flush=True)
    if todo.forced:
        tags = {**tags, TAG_FORCE: "true"}
    run = run_file_job(build_location(intake.config), instance, todo.feed, todo.key,
                       from_stage=todo.from_stage, tags=tags)
    for step in run.steps:
        seconds = f"{step.seconds:7.2f} s" if step.seconds is not None else "        -"
        print(f"  {step.stage:<10} {step.outcome:<7} {seconds}", file=sys.stderr, flush=True)
    record = intake.ledger.get_file(todo.key)
    print(f"{what} {todo.key}: {record.status} (run {run.run_id})")
    if record.status in OK_STATUSES:
        return 0
    if record.error:
        print(f"  error: {record.error}")
    return 1


def cmd_replay(intake: Intake, args: argparse.Namespace) -> int:
    """Rebuild a file's outputs from the vault, from STAGE on (default: decrypted); or, for
    ``client/job``, rebuild the job's partition (or all its partitions) from its inputs."""
    from pvt_dagster.defs import TAG_REPLAY, dagster_instance
    from pvt_dagster.pipeline import prepare_replay

    dagster_instance()  # before anything is recorded: no instance, no replay
    if args.key.count("/") == 1:
        return _replay_job(intake, args)
    if args.partition is not None:
        raise UsageError("a PARTITION is given with client/job, not with a file key")
    from_stage: Stage = args.from_stage or "decrypted"
    todo = prepare_replay(intake, args.key, from_stage=from_stage, user=acting_user(),
                          force=args.force)
    return _run(intake, todo, "replayed", {TAG_REPLAY: from_stage})


def _replay_job(intake: Intake, args: argparse.Namespace) -> int:
    """Run a processing job again for one partition, or for every partition with input;
    exit 1 if one of them ends in error."""
    from pvt_dagster.defs import (
        TAG_REPLAY,
        build_location,
        dagster_instance,
        run_job_partition_run,
    )
    from pvt_dagster.pipeline import plan_job

    client, _, name = args.key.partition("/")
    if client not in intake.config.clients or name not in intake.config.clients[client].jobs:
        raise UsageError(f"unknown job {args.key} (a job is client/job, a file client/feed/...)")
    if args.from_stage is not None or args.force:
        raise UsageError("--from and --force are for file keys; a job always runs from its "
                         "inputs, and holds never apply to jobs")
    job = intake.config.job(client, name)
    plans = plan_job(intake, job)
    partitions = [args.partition] if args.partition is not None else list(plans)
    for partition in partitions:
        if partition not in plans:
            known = ", ".join(list(plans)[:5]) or "none yet"
            raise UsageError(f"{args.key} has no input for partition {partition} "
                             f"(partitions with input: {known})")
    intake.ledger.record_operator_action(action="replay", target=args.key, user=acting_user(),
                                         details={"partitions": partitions})
    defs, instance = build_location(intake.config), dagster_instance()
    failed = 0
    for partition in partitions:
        run = run_job_partition_run(defs, instance, job, partition, tags={TAG_REPLAY: "job"})
        row = intake.ledger.job_output(client, name, partition)
        status = row.status if row is not None else "error"
        print(f"replayed {args.key} {partition}: {status} (run {run.run_id})")
        if row is not None and row.error:
            print(f"  error: {row.error}")
        failed += status == "error"
    return 1 if failed else 0


def cmd_ingest(intake: Intake, args: argparse.Namespace) -> int:
    """Take a file handed over by other means into a feed and run every stage."""
    from pvt_dagster.defs import TAG_REPLAY, dagster_instance
    from pvt_dagster.pipeline import prepare_ingest

    feed = intake.parse_feed_name(args.feed)
    dagster_instance()
    print(f"ingesting {Path(args.file).name} into {feed.qualified_name}", file=sys.stderr,
          flush=True)
    todo = prepare_ingest(intake, feed, Path(args.file), user=acting_user(), force=args.force)
    return _run(intake, todo, "ingested", {TAG_REPLAY: "ingest"})


def register(sub: Subparsers) -> None:
    """Add ``pvt replay`` and ``pvt ingest``."""
    replay = sub.add_parser("replay", help="run a file's stages, or a processing job, again, "
                                           "as a Dagster run")
    replay.add_argument("key", help="a file key (client/feed/...) or a job (client/job)")
    replay.add_argument("partition", nargs="?",
                        help="with client/job: the partition to run (default: every "
                             "partition that has input)")
    replay.add_argument("--from", dest="from_stage", default=None, choices=STAGES,
                        type=vocabulary(as_stage),
                        help="first stage of a file to run again (default: decrypted; raw "
                             "transfers a file again that never reached the vault)")
    replay.add_argument("--force", action="store_true",
                        help="run a file even though its feed is on hold (recorded)")
    replay.set_defaults(run=cmd_replay, needs_intake=True)
    ingest = sub.add_parser("ingest", help="take in a file handed over by other means")
    ingest.add_argument("feed", help="client/feed")
    ingest.add_argument("file")
    ingest.add_argument("--force", action="store_true",
                        help="take it in even though the feed is on hold (recorded)")
    ingest.set_defaults(run=cmd_ingest, needs_intake=True)
