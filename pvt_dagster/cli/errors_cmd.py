"""``pvt errors [--since T] [--client C] [--feed C/F] [--json]``: the error registry, every
error with its class, category, stage, file, run and time."""

from __future__ import annotations

import argparse
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from pvt_dagster.cli.output import iso, print_json, print_table
from pvt_dagster.cli.parsing import Subparsers
from pvt_dagster.errors import UsageError
from pvt_dagster.ledger import ErrorRecord
from pvt_dagster.pipeline import Intake

_RELATIVE = re.compile(r"^(\d+)([mhd])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def parse_since(text: str | None, now: datetime | None = None) -> datetime | None:
    """``--since``: ``30m``, ``24h``, ``7d``, a date (midnight UTC) or an ISO time."""
    if text is None:
        return None
    now = now or datetime.now(UTC)
    match = _RELATIVE.match(text.strip())
    if match:
        return now - timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"--since takes 30m, 24h, 7d, YYYY-MM-DD or an ISO time, "
                         f"not {text!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def error_json(e: ErrorRecord) -> dict[str, Any]:
    """One error as ``pvt errors --json`` prints it."""
    return {"id": e.id, "at": iso(e.at), "client": e.client, "feed": e.feed, "stage": e.stage,
            "file_key": e.file_key, "run_id": e.run_id, "error_class": e.error_class,
            "category": e.category, "message": e.message}


def cmd_errors(intake: Intake, args: argparse.Namespace) -> int:
    """List registered errors, oldest first."""
    client, feed = args.client, None
    if args.feed:
        ref = intake.parse_feed_name(args.feed)
        client, feed = ref.client, ref.name
    rows = [error_json(e) for e in intake.ledger.errors(
        since=parse_since(args.since), client=client, feed=feed)]
    if args.json:
        print_json(rows)
        return 0
    print_table(["AT", "CATEGORY", "CLASS", "STAGE", "FILE", "MESSAGE"], [
        [r["at"], r["category"], r["error_class"], r["stage"] or "-",
         r["file_key"] or (f"{r['client']}" if r["client"] else "-"), r["message"][:100]]
        for r in rows])
    print(f"{len(rows)} error(s)")
    return 0


def register(sub: Subparsers) -> None:
    """Add ``pvt errors``."""
    errors = sub.add_parser("errors", help="the error registry")
    errors.add_argument("--since", help="30m, 24h, 7d, YYYY-MM-DD or an ISO time")
    errors.add_argument("--client")
    errors.add_argument("--feed", metavar="CLIENT/FEED")
    errors.add_argument("--json", action="store_true")
    errors.set_defaults(run=cmd_errors, needs_intake=True)
