"""``pvt serve`` (the upload API for push sources), ``pvt push hash`` (a password hash for a
push user, the password read on stdin) and ``pvt push refusals`` (what the API refused)."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from pvt_dagster.cli.errors_cmd import parse_since
from pvt_dagster.cli.output import iso, print_json, print_table
from pvt_dagster.cli.parsing import Subparsers
from pvt_dagster.errors import UsageError
from pvt_dagster.ledger import PushRefusalRecord
from pvt_dagster.pipeline import Intake


def cmd_serve(intake: Intake, args: argparse.Namespace) -> int:
    """Run the upload API until Ctrl-C or SIGTERM."""
    from pvt_dagster.push import listen_on, serve

    listen = listen_on(intake.config, args.host, args.port)
    print(f"pvt serve: upload API on {listen.url} (Ctrl-C stops it); a client's base URL is "
          f"{listen.url}/v1/<client>", file=sys.stderr, flush=True)
    serve(intake.config, intake.ledger, listen)
    return 0


def read_password() -> str:
    """The password from stdin: prompted twice on a terminal, else the first line."""
    if sys.stdin.isatty():
        first = getpass.getpass("password: ")
        if getpass.getpass("again: ") != first:
            raise UsageError("the two passwords differ")
        return first
    return sys.stdin.readline().rstrip("\r\n")


def cmd_push_hash(args: argparse.Namespace) -> int:
    """Print an argon2id hash of a password read on stdin."""
    from pvt_dagster.push import hash_password  # argon2 and the upload API: only here

    password = read_password()
    if not password:
        print("pvt: no password on stdin", file=sys.stderr)
        return 2
    print(hash_password(password))
    return 0


def refusal_json(r: PushRefusalRecord) -> dict[str, Any]:
    """One refusal as ``pvt push refusals --json`` prints it."""
    return {"id": r.id, "at": iso(r.at), "status": r.status, "reason": r.reason,
            "method": r.method, "address": r.address, "user": r.user, "client": r.client,
            "feed": r.feed, "name": r.name}


def cmd_push_refusals(intake: Intake, args: argparse.Namespace) -> int:
    """List the requests the upload API refused, oldest first."""
    rows = [refusal_json(r) for r in intake.ledger.push_refusals(
        since=parse_since(args.since), client=args.client)]
    if args.json:
        print_json(rows)
        return 0
    print_table(["AT", "STATUS", "USER", "ADDRESS", "TARGET", "REASON"], [
        [r["at"], r["status"], r["user"] or "-", r["address"] or "-",
         "/".join(str(p) for p in (r["client"], r["feed"], r["name"]) if p) or "-",
         r["reason"][:100]] for r in rows])
    print(f"{len(rows)} refusal(s)")
    return 0


def register(sub: Subparsers) -> None:
    """Add ``pvt serve`` and ``pvt push hash|refusals``."""
    serve = sub.add_parser("serve", help="run the upload API of push sources")
    serve.add_argument("--host", help="address to listen on (default: push.host, 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default: push.port, 8443)")
    serve.set_defaults(run=cmd_serve, needs_intake=True)
    push = sub.add_parser("push", help="push intake: hash a user's password, list refusals")
    actions = push.add_subparsers(dest="push_command", required=True, metavar="ACTION")
    hashing = actions.add_parser("hash", help="print a password hash for push.users (the "
                                              "password is read on stdin)")
    hashing.set_defaults(run=cmd_push_hash, needs_intake=False)
    refusals = actions.add_parser("refusals", help="requests the upload API refused")
    refusals.add_argument("--since", help="30m, 24h, 7d, YYYY-MM-DD or an ISO time")
    refusals.add_argument("--client")
    refusals.add_argument("--json", action="store_true")
    refusals.set_defaults(run=cmd_push_refusals, needs_intake=True)
