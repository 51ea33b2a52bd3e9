"""``pvt replay KEY [--from STAGE]`` and ``pvt ingest C/F FILE``: operator actions that run a
file's stages from the command line, showing each stage as it finishes."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pvt_dagster.cli.keys_cmd import acting_user
from pvt_dagster.cli.parsing import Subparsers
from pvt_dagster.domain import STAGES
from pvt_dagster.pipeline import Intake
from pvt_dagster.pipeline.replay import ReplayResult, ingest_file, replay_file

OK_STATUSES = ("delivered",)


def _progress(stage: str, outcome: str, seconds: float, error: str | None) -> None:
    """One line per finished stage, on stderr so stdout stays for results."""
    line = f"  {stage:<10} {outcome:<5} {seconds:7.2f} s"
    print(line + (f"  {error}" if error else ""), file=sys.stderr, flush=True)


def _finish(intake: Intake, result: ReplayResult, what: str) -> int:
    """Print the outcome (and the file's error); exit 1 unless the file ended delivered."""
    print(f"{what} {result.key}: {result.status} (run {result.run_id})")
    if result.status in OK_STATUSES:
        return 0
    error = intake.ledger.get_file(result.key).error
    if error:
        print(f"  error: {error}")
    return 1


def cmd_replay(intake: Intake, args: argparse.Namespace) -> int:
    """Rebuild a file's outputs from the vault, from STAGE on (default: decrypted)."""
    print(f"replaying {args.key} from {args.from_stage}", file=sys.stderr, flush=True)
    result = replay_file(intake, args.key, from_stage=args.from_stage, user=acting_user(),
                         on_stage=_progress)
    return _finish(intake, result, "replayed")


def cmd_ingest(intake: Intake, args: argparse.Namespace) -> int:
    """Take a file handed over by other means into a feed and run every stage."""
    feed = intake.parse_feed_name(args.feed)
    print(f"ingesting {Path(args.file).name} into {feed.qualified_name}", file=sys.stderr,
          flush=True)
    result = ingest_file(intake, feed, Path(args.file), user=acting_user(), on_stage=_progress)
    return _finish(intake, result, "ingested")


def register(sub: Subparsers) -> None:
    """Add ``pvt replay`` and ``pvt ingest``."""
    replay = sub.add_parser("replay", help="rebuild a file's outputs from the vault")
    replay.add_argument("key")
    replay.add_argument("--from", dest="from_stage", default="decrypted", choices=STAGES,
                        help="first stage to run again (default: decrypted)")
    replay.set_defaults(run=cmd_replay, needs_intake=True)
    ingest = sub.add_parser("ingest", help="take in a file handed over by other means")
    ingest.add_argument("feed", help="client/feed")
    ingest.add_argument("file")
    ingest.set_defaults(run=cmd_ingest, needs_intake=True)
