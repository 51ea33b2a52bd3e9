"""``pvt ledger verify`` and ``pvt ledger upgrade``."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from pvt_dagster.cli.parsing import Subparsers
from pvt_dagster.pipeline import Intake, verify_files


def cmd_ledger_upgrade(intake: Intake, args: argparse.Namespace) -> int:
    """Run the ledger's migrations (idempotent, under a lock)."""
    intake.ledger.upgrade()
    print(f"ledger up to date: {_safe_url(intake.config.ledger_url)}")
    return 0


def cmd_ledger_verify(intake: Intake, args: argparse.Namespace) -> int:
    """Re-hash every manifest chain (and with --files the vault and work outputs); exit 1
    naming each broken chain or file."""
    problems = [f"chain {p.key}: {p.problem}" + (f" (event {p.seq})" if p.seq else "")
                for p in intake.ledger.verify_chains()]
    files = intake.ledger.list_files()
    if args.files:
        _, file_problems = verify_files(intake, progress=_Progress())
        problems += file_problems
    for problem in problems:
        print(problem)
    if problems:
        print(f"ledger verify: {len(problems)} problem(s)")
        return 1
    print(f"ledger verify: ok ({len(files)} file(s), every chain intact"
          f"{'; vault copies and work outputs match' if args.files else ''})")
    return 0


class _Progress:
    """Prints ``checked N/M files`` on stderr at most every two seconds."""

    def __init__(self) -> None:
        self.last = time.monotonic()

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self.last >= 2 or (done == total and total > 100):
            print(f"checked {done}/{total} files", file=sys.stderr, flush=True)
            self.last = now


def _safe_url(url: str) -> str:
    """The ledger URL without a password."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return str(Path(url[len("sqlite:///"):])) if url.startswith("sqlite:///") else url


def register(sub: Subparsers) -> None:
    """Add ``pvt ledger verify|upgrade``."""
    ledger = sub.add_parser("ledger", help="verify or upgrade the ledger")
    ledger_sub = ledger.add_subparsers(dest="ledger_command", required=True, metavar="ACTION")
    verify = ledger_sub.add_parser("verify", help="re-hash every chain")
    verify.add_argument("--files", action="store_true",
                        help="also re-hash the vault and the work outputs")
    verify.set_defaults(run=cmd_ledger_verify, needs_intake=True)
    ledger_sub.add_parser("upgrade", help="run migrations").set_defaults(
        run=cmd_ledger_upgrade, needs_intake=True)
