"""The ``pvt`` command. Exit status: 0 ok; 1 the thing checked is bad; 2 usage error or unknown
key or feed; 3 the environment is wrong (no config found, ledger unreachable)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from pvt_dagster.cli.config_cmd import cmd_config_check, cmd_config_schema
from pvt_dagster.cli.demo_cmd import cmd_demo
from pvt_dagster.cli.files import cmd_file_show, cmd_files
from pvt_dagster.cli.ledger_cmd import cmd_ledger_upgrade, cmd_ledger_verify
from pvt_dagster.errors import (
    ConfigError,
    ConfigNotFoundError,
    LedgerUnavailableError,
    PvtError,
    UsageError,
)
from pvt_dagster.pipeline import Intake

EXIT_OK, EXIT_BAD, EXIT_USAGE, EXIT_ENV = 0, 1, 2, 3
STATUSES = ("discovered", "received", "decrypted", "validated", "scrubbed", "delivered",
            "failed", "rejected", "on_hold")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every ``pvt`` sub-command."""
    parser = argparse.ArgumentParser(prog="pvt", description="PVT Intake: files in, checked, "
                                     "scrubbed and delivered, with a ledger of everything.")
    parser.add_argument("--config", help="pvt.yaml to use (default: $PVT_CONFIG, ./pvt.yaml)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = sub.add_parser("demo", help="write a demo config, keys and three files")
    demo.add_argument("--dir", default=".demo", help="where to write the demo (default .demo)")
    demo.set_defaults(run=cmd_demo, needs_intake=False)

    config = sub.add_parser("config", help="check the config or print its JSON Schema")
    config_sub = config.add_subparsers(dest="config_command", required=True, metavar="ACTION")
    config_sub.add_parser("check", help="validate pvt.yaml").set_defaults(
        run=cmd_config_check, needs_intake=False)
    config_sub.add_parser("schema", help="JSON Schema for editors").set_defaults(
        run=cmd_config_schema, needs_intake=False)

    files = sub.add_parser("files", help="list files in the ledger")
    files.add_argument("--client")
    files.add_argument("--feed", help="client/feed")
    files.add_argument("--status", choices=STATUSES)
    files.add_argument("--json", action="store_true")
    files.set_defaults(run=cmd_files, needs_intake=True)

    file = sub.add_parser("file", help="one file's whole story")
    file_sub = file.add_subparsers(dest="file_command", required=True, metavar="ACTION")
    show = file_sub.add_parser("show", help="events, checks, scrub changes, messages")
    show.add_argument("key")
    show.add_argument("--json", action="store_true")
    show.set_defaults(run=cmd_file_show, needs_intake=True)

    ledger = sub.add_parser("ledger", help="verify or upgrade the ledger")
    ledger_sub = ledger.add_subparsers(dest="ledger_command", required=True, metavar="ACTION")
    verify = ledger_sub.add_parser("verify", help="re-hash every chain")
    verify.add_argument("--files", action="store_true", help="also re-hash the vault")
    verify.set_defaults(run=cmd_ledger_verify, needs_intake=True)
    ledger_sub.add_parser("upgrade", help="run migrations").set_defaults(
        run=cmd_ledger_upgrade, needs_intake=True)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one ``pvt`` command and return its exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 for --help
        return int(exc.code or 0)
    try:
        if not args.needs_intake:
            return int(args.run(args))
        intake = Intake.from_path(args.config)
        try:
            return int(args.run(intake, args))
        finally:
            intake.close()
    except ConfigNotFoundError as exc:
        return _fail(exc, EXIT_ENV)
    except ConfigError as exc:
        return _fail(exc, EXIT_BAD)
    except UsageError as exc:
        return _fail(exc, EXIT_USAGE)
    except LedgerUnavailableError as exc:
        return _fail(exc, EXIT_ENV)
    except PvtError as exc:
        return _fail(exc, EXIT_BAD)


def _fail(exc: Exception, code: int) -> int:
    """Print an error on stderr and return ``code``."""
    print(f"pvt: {exc}", file=sys.stderr)
    return code


def entry_point() -> None:
    """Console-script entry: exit with ``main``'s status."""
    sys.exit(main())


