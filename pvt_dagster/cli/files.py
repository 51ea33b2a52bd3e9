"""``pvt files`` and ``pvt file show``: what the ledger knows about files."""

from __future__ import annotations

import argparse

from pvt_dagster.cli.output import (
    file_json,
    file_story_json,
    gc_paused,
    iso,
    print_columns,
    print_json,
    print_table,
    terminal_safe,
)
from pvt_dagster.cli.parsing import Subparsers, vocabulary
from pvt_dagster.domain import STATUSES, Status, as_status
from pvt_dagster.pipeline import Intake


def cmd_files(intake: Intake, args: argparse.Namespace) -> int:
    """List files, newest last, filtered by client, feed or status."""
    with gc_paused():
        return _list_files(intake, args)


def _list_files(intake: Intake, args: argparse.Namespace) -> int:
    """``cmd_files`` itself."""
    client, feed = args.client, None
    if args.feed:
        ref = intake.parse_feed_name(args.feed)
        client, feed = ref.client, ref.name
    status: Status | None = args.status
    ledger = intake.ledger
    if args.json:
        records = ledger.list_files(client=client, feed=feed, status=status)
        counts = ledger.check_counts_where(client=client, feed=feed, status=status)
        print_json([file_json(r, counts.get(r.key)) for r in records])
        return 0
    # A feed may hold years of files: plain tuples, one query for the checks, and the table
    # built column by column.
    lines = ledger.list_file_lines(client=client, feed=feed, status=status)
    counts = ledger.check_counts_where(client=client, feed=feed, status=status)
    checks = {key: f"{c.get('failure', 0)}F {c.get('warning', 0)}W {c.get('information', 0)}I"
              for key, c in counts.items()}
    keys, statuses, stages, rows, errors = zip(*lines, strict=True) if lines else ((),) * 5
    print_columns(["KEY", "STATUS", "STAGE", "ROWS", "CHECKS", "ERROR"], [
        keys, statuses, [s or "-" for s in stages], ["-" if n is None else n for n in rows],
        [checks.get(k, "0F 0W 0I") for k in keys], [(e or "")[:60] for e in errors]])
    print(f"{len(lines)} file(s)")
    return 0


def cmd_file_show(intake: Intake, args: argparse.Namespace) -> int:
    """The whole story of one file: events, check results, scrub changes, messages."""
    record = intake.ledger.get_file(args.key)
    story = file_story_json(intake.ledger, record)
    if args.json:
        print_json(story)
        return 0
    rows = record.rows if record.rows is not None else "-"
    lines = [record.key, f"  name     {record.name!r}",
             f"  feed     {record.client}/{record.feed}",
             f"  source   {record.source}:{record.path}",
             f"  status   {record.status} (stage {record.stage or '-'})",
             f"  bytes    {story['bytes']}", f"  sha256   {record.raw_sha256 or '-'}",
             f"  rows     {rows}", f"  received {iso(record.received_at) or '-'}"]
    print("\n".join(terminal_safe(line) for line in lines))
    if record.error:
        print(f"  error    {terminal_safe(record.error)}")
    print("\nEvents:")
    print_table(["#", "STAGE", "ACTION", "OUTCOME", "FINISHED", "BYTES", "ROWS", "ERROR"], [
        [e["seq"], e["stage"], e["action"], e["outcome"], e["finished_at"], e["bytes"],
         e["rows"], e["error"] or ""] for e in story["events"]])
    if story["check_results"]:
        print("\nChecks (latest run):")
        print_table(["PHASE", "CHECK", "SEVERITY", "RESULT", "FAILURES", "ROWS", "SAMPLES",
                     "MESSAGE"], [
            [c["phase"], c["check"], c["severity"], "pass" if c["passed"] else "FAIL",
             c["failures"], ",".join(map(str, c["rows"][:5])), ", ".join(c["samples"][:3]),
             "" if c["passed"] else (c["message"] or "")[:80]]
            for c in story["check_results"]])
    if story["scrub_changes"]:
        print("\nScrub changes:")
        print_table(["COLUMN", "ACTION", "CHANGED", "SAMPLES (masked)"], [
            [s["column"], s["action"], s["rows_changed"],
             "; ".join(f"{b} -> {a}" for b, a in s["samples"][:3])]
            for s in story["scrub_changes"]])
    if story["messages"]:
        print("\nMessages:")
        print_table(["SEVERITY", "KIND", "STATUS", "TEXT"], [
            [m["severity"], m["kind"], m["status"], m["text"]] for m in story["messages"]])
    return 0


def register(sub: Subparsers) -> None:
    """Add ``pvt files`` and ``pvt file show``."""
    files = sub.add_parser("files", help="list files in the ledger")
    files.add_argument("--client")
    files.add_argument("--feed", help="client/feed")
    files.add_argument("--status", choices=STATUSES, type=vocabulary(as_status))
    files.add_argument("--json", action="store_true")
    files.set_defaults(run=cmd_files, needs_intake=True)

    file = sub.add_parser("file", help="one file's whole story")
    file_sub = file.add_subparsers(dest="file_command", required=True, metavar="ACTION")
    show = file_sub.add_parser("show", help="events, checks, scrub changes, messages")
    show.add_argument("key")
    show.add_argument("--json", action="store_true")
    show.set_defaults(run=cmd_file_show, needs_intake=True)
