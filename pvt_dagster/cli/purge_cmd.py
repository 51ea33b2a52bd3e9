"""``pvt purge [--dry-run] [--client C] [--json]``: delete the vault copies, work files and
daily CSVs of final files past their client's ``retention:`` days (each deletion recorded on
the file's chain); a file still running, on hold or failed is kept, and listed with why.
Exit 0, or 1 when a deletion failed."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from pvt_dagster.cli.keys_cmd import acting_user
from pvt_dagster.cli.output import print_json, print_table
from pvt_dagster.cli.parsing import Subparsers
from pvt_dagster.errors import UsageError
from pvt_dagster.pipeline import Intake
from pvt_dagster.retention import WHAT, PurgeItem, purge


def parse_as_of(text: str) -> datetime:
    """An ISO 8601 date or time (UTC unless it carries an offset); UsageError otherwise."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--as-of {text!r} is not an ISO 8601 date or time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _what(intake: Intake, item: PurgeItem) -> str:
    """The vault copy, a work file, or the daily CSV's path (it holds several files)."""
    if item.area == "outputs":
        return f"daily CSV {intake.layout.relative(item.path)}"
    return WHAT[item.stage]


def cmd_purge(intake: Intake, args: argparse.Namespace) -> int:
    """Purge (or, with --dry-run, list) what is past its time."""
    if args.client is not None and args.client not in intake.config.clients:
        raise UsageError(f"unknown client {args.client}")
    now = None
    if args.as_of is not None:
        if not args.dry_run:
            raise UsageError("--as-of previews a later purge: use it with --dry-run")
        now = parse_as_of(args.as_of)
    report = purge(intake, user=acting_user(), dry_run=args.dry_run, client=args.client,
                   now=now)
    if args.json:
        print_json(report.as_json(intake.layout.files))
        return 1 if report.errors else 0
    verb = "would delete" if args.dry_run else "deleted"
    if report.purged:
        print_table(["", "AREA", "FILE", "WHAT", "WRITTEN", "RETENTION"], [
            [verb, i.area, i.key, _what(intake, i), f"{i.written_at:%Y-%m-%d}",
             f"{i.area}_days: {i.retention_days}"] for i in report.purged])
    for kept in report.kept:
        print(f"kept {kept.area} {kept.key}: {kept.reason}")
    for error in report.errors:
        print(f"error: {error}")
    files = len({i.key for i in report.purged})
    print(f"purge{' (dry run)' if args.dry_run else ''}: {verb} {len(report.purged)} "
          f"output(s) of {files} file(s), {report.bytes} bytes; kept {len(report.kept)} "
          "(not final)")
    return 1 if report.errors else 0


def register(sub: Subparsers) -> None:
    """Add ``pvt purge``."""
    parser = sub.add_parser("purge", help="delete what is past its client's retention")
    parser.add_argument("--dry-run", action="store_true", help="list, delete nothing")
    parser.add_argument("--client", help="only this client")
    parser.add_argument("--as-of", metavar="TIME",
                        help="with --dry-run: what a purge at TIME (ISO 8601, UTC unless it "
                             "says otherwise) would delete")
    parser.add_argument("--json", action="store_true")
    parser.set_defaults(run=cmd_purge, needs_intake=True)
