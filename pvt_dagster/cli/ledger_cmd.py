"""``pvt ledger verify`` and ``pvt ledger upgrade``."""

from __future__ import annotations

import argparse
from pathlib import Path

from pvt_dagster.cli.parsing import Subparsers
from pvt_dagster.pipeline import Intake
from pvt_dagster.transport import sha256_file


def cmd_ledger_upgrade(intake: Intake, args: argparse.Namespace) -> int:
    """Run the ledger's migrations (idempotent, under a lock)."""
    intake.ledger.upgrade()
    print(f"ledger up to date: {_safe_url(intake.config.ledger_url)}")
    return 0


def cmd_ledger_verify(intake: Intake, args: argparse.Namespace) -> int:
    """Re-hash every manifest chain (and with --files the vault); exit 1 naming what broke."""
    problems = [f"chain {p.key}: {p.problem}" + (f" (event {p.seq})" if p.seq else "")
                for p in intake.ledger.verify_chains()]
    files = intake.ledger.list_files()
    if args.files:
        for record in files:
            if not record.raw_sha256:
                continue
            vault = intake.layout.vault_path(record.key)
            if not vault.is_file():
                problems.append(f"file {record.key}: vault copy is missing")
            elif sha256_file(vault) != record.raw_sha256:
                problems.append(f"file {record.key}: vault copy does not match its sha256")
    for problem in problems:
        print(problem)
    if problems:
        print(f"ledger verify: {len(problems)} problem(s)")
        return 1
    print(f"ledger verify: ok ({len(files)} file(s), every chain intact"
          f"{', vault copies match' if args.files else ''})")
    return 0


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
    verify.add_argument("--files", action="store_true", help="also re-hash the vault")
    verify.set_defaults(run=cmd_ledger_verify, needs_intake=True)
    ledger_sub.add_parser("upgrade", help="run migrations").set_defaults(
        run=cmd_ledger_upgrade, needs_intake=True)
