"""``pvt holds list [--all] [--json]`` and ``pvt holds release C/F [--note T]``: feeds put on
hold after repeated operational failures, and their release (an operator action)."""

from __future__ import annotations

import argparse
import getpass
from typing import Any

from pvt_dagster.cli.output import iso, print_json, print_table
from pvt_dagster.cli.parsing import Subparsers
from pvt_dagster.ledger import HoldRecord, Ledger
from pvt_dagster.pipeline import Intake
from pvt_dagster.tracking import active_hold, release


def hold_json(hold: HoldRecord, waiting: int) -> dict[str, Any]:
    """One hold as ``pvt holds list --json`` prints it."""
    return {"id": hold.id, "feed": f"{hold.client}/{hold.feed}", "client": hold.client,
            "status": hold.status, "reason": hold.reason, "failures": hold.failures,
            "placed_at": iso(hold.placed_at), "released_at": iso(hold.released_at),
            "released_by": hold.released_by, "waiting_files": waiting}


def holds_json(ledger: Ledger, *, include_released: bool) -> list[dict[str, Any]]:
    """Active holds (or every hold), with how many files wait on each active one."""
    holds = ledger.holds() if include_released else ledger.active_holds()
    out = []
    for hold in holds:
        waiting = (len(ledger.list_files(client=hold.client, feed=hold.feed, status="on_hold"))
                   if hold.status == "active" else 0)
        out.append(hold_json(hold, waiting))
    return out


def cmd_list(intake: Intake, args: argparse.Namespace) -> int:
    """Print the holds."""
    rows = holds_json(intake.ledger, include_released=args.all)
    if args.json:
        print_json(rows)
        return 0
    print_table(["FEED", "STATUS", "SINCE", "FAILURES", "WAITING", "REASON"], [
        [r["feed"], r["status"], r["placed_at"], r["failures"], r["waiting_files"],
         r["reason"][:100]] for r in rows])
    print(f"{sum(1 for r in rows if r['status'] == 'active')} feed(s) on hold")
    return 0


def cmd_release(intake: Intake, args: argparse.Namespace) -> int:
    """Release a feed's hold; 1 if it is not on hold."""
    feed = intake.parse_feed_name(args.feed)
    if active_hold(intake.ledger, feed.client, feed.name) is None:
        print(f"feed {feed.qualified_name} is not on hold")
        return 1
    user = args.user or getpass.getuser()
    done = release(intake.ledger, feed.client, feed.name, user=user, note=args.note)
    print(f"released {feed.qualified_name} (hold {done.hold.id}, by {user}); "
          f"{len(done.files)} waiting file(s) run at the next poll")
    return 0


def register(sub: Subparsers) -> None:
    """Add ``pvt holds list`` and ``pvt holds release``."""
    holds = sub.add_parser("holds", help="feeds on hold after repeated failures")
    action = holds.add_subparsers(dest="holds_command", required=True, metavar="ACTION")
    listing = action.add_parser("list", help="feeds on hold, with the reason")
    listing.add_argument("--all", action="store_true", help="released holds too")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(run=cmd_list, needs_intake=True)
    rel = action.add_parser("release", help="release a feed: its waiting files run")
    rel.add_argument("feed", metavar="CLIENT/FEED")
    rel.add_argument("--note", help="why (kept with the operator action)")
    rel.add_argument("--user", help="who releases it (default: the login name)")
    rel.set_defaults(run=cmd_release, needs_intake=True)
