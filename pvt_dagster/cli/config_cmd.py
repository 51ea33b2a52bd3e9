"""``pvt config check`` and ``pvt config schema``."""

from __future__ import annotations

import argparse
import json

from pvt_dagster.cli.parsing import Subparsers
from pvt_dagster.config import config_json_schema


def cmd_config_check(args: argparse.Namespace) -> int:
    """Validate the config: 0 when usable (warnings printed), 1 with every error listed."""
    from pvt_dagster.cli.config_check import check_config  # pandas, pyarrow: only here

    report = check_config(args.config)
    for issue in report.warnings:
        print(f"warning: {issue}")
    for issue in report.errors:
        print(f"error: {issue}")
    if report.ok:
        feeds = report.config.feeds() if report.config else []
        jobs = report.config.jobs() if report.config else []
        print(f"ok: {len(feeds)} feed(s), {len(jobs)} job(s) in "
              f"{report.config.path if report.config else '?'}")
        return 0
    print(f"{len(report.errors)} error(s)")
    return 1


def cmd_config_schema(args: argparse.Namespace) -> int:
    """Print the JSON Schema of pvt.yaml for editors."""
    print(json.dumps(config_json_schema(), indent=2))
    return 0


def register(sub: Subparsers) -> None:
    """Add ``pvt config check|schema``."""
    config = sub.add_parser("config", help="check the config or print its JSON Schema")
    config_sub = config.add_subparsers(dest="config_command", required=True, metavar="ACTION")
    config_sub.add_parser("check", help="validate pvt.yaml").set_defaults(
        run=cmd_config_check, needs_intake=False)
    config_sub.add_parser("schema", help="JSON Schema for editors").set_defaults(
        run=cmd_config_schema, needs_intake=False)
