"""The ``pvt`` command. Exit status: 0 ok; 1 the thing checked is bad; 2 usage error or unknown
key or feed; 3 the environment is wrong (no config found, ledger unreachable)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from pvt_dagster.cli import (
    config_cmd,
    demo_cmd,
    errors_cmd,
    files,
    holds_cmd,
    jobs_cmd,
    keys_cmd,
    ledger_cmd,
    messages_cmd,
    purge_cmd,
    push_cmd,
    replay_cmd,
    rules_cmd,
    sources_cmd,
    upload_cmd,
)
from pvt_dagster.errors import (
    ConfigError,
    ConfigNotFoundError,
    InstanceNotFoundError,
    LedgerUnavailableError,
    PvtError,
    UsageError,
    translated_errors,
)
from pvt_dagster.pipeline import Intake
from pvt_dagster.tracking import configure_logging

EXIT_OK, EXIT_BAD, EXIT_USAGE, EXIT_ENV = 0, 1, 2, 3

#: Every command module; each adds its sub-commands in ``register(sub)``.
COMMANDS = [demo_cmd, config_cmd, files, ledger_cmd, rules_cmd, keys_cmd, replay_cmd, messages_cmd,
            sources_cmd, holds_cmd, errors_cmd, jobs_cmd, push_cmd, upload_cmd,
            purge_cmd]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every ``pvt`` sub-command."""
    parser = argparse.ArgumentParser(prog="pvt", description="PVT Intake: files in, checked, "
                                     "scrubbed and delivered, with a ledger of everything.")
    parser.add_argument("--config", help="pvt.yaml to use (default: $PVT_CONFIG, ./pvt.yaml)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMANDS:
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one ``pvt`` command and return its exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 for --help
        return int(exc.code or 0)
    try:
        with translated_errors(f"pvt {args.command}"):
            if not args.needs_intake:
                return int(args.run(args))
            intake = Intake.from_path(args.config)
            configure_logging(intake.config)
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
    except (LedgerUnavailableError, InstanceNotFoundError) as exc:
        return _fail(exc, EXIT_ENV)
    except PvtError as exc:
        return _fail(exc, EXIT_BAD)


def _fail(exc: Exception, code: int) -> int:
    """Print an error on stderr and return ``code``."""
    print(f"pvt: {exc}", file=sys.stderr)
    return code


def entry_point() -> None:
    """Console-script entry: exit with ``main``'s status (quietly when a pipe closes early,
    as in ``pvt files | head``)."""
    try:
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:
        # Point stdout at devnull so the interpreter's final flush does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = EXIT_OK
    sys.exit(code)


