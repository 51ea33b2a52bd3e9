"""``pvt demo``: write the demo once; ``pvt demo run`` starts its local mail and Salesforce
stand-ins and ``dagster dev`` on it (``make demo`` does both)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from pvt_dagster.cli.parsing import Subparsers
from pvt_dagster.errors import DemoError


def cmd_demo(args: argparse.Namespace) -> int:
    """Write the demo config, keys and files into ``--dir`` (idempotent)."""
    from pvt_dagster.demo import write_demo  # the demo's services: only here

    target = Path(args.dir).resolve()
    done = write_demo(target)
    for line in done or ["demo already in place; nothing to do"]:
        print(line)
    print(f"config: {target / 'pvt.yaml'}  (make demo-reset starts over)")
    return 0


def cmd_demo_run(args: argparse.Namespace) -> int:
    """Write the demo if needed, then run its services and ``dagster dev`` until Ctrl-C."""
    from pvt_dagster.demo import run_demo, write_demo  # the demo's services: only here

    target = Path(args.dir).resolve()
    for line in write_demo(target):
        print(line)
    workspace = Path(args.workspace).resolve() if args.workspace else None
    if workspace is not None and not workspace.is_file():
        print(f"pvt: no workspace file {workspace}", file=sys.stderr)
        return 2
    try:
        return run_demo(target, port=args.port, workspace=workspace)
    except DemoError as exc:
        print(f"pvt: {exc}", file=sys.stderr)
        return 3


def register(sub: Subparsers) -> None:
    """Add ``pvt demo`` and ``pvt demo run``."""
    demo = sub.add_parser("demo", help="write a demo config, keys and three files; "
                                       "`pvt demo run` runs it")
    demo.add_argument("--dir", default=".demo", help="where to write the demo (default .demo)")
    demo.set_defaults(run=cmd_demo, needs_intake=False)
    actions = demo.add_subparsers(dest="demo_command", metavar="ACTION")
    run = actions.add_parser("run", help="start the demo's mail catcher, Salesforce stand-in "
                                         "and dagster dev; Ctrl-C stops them all")
    run.add_argument("--dir", default=argparse.SUPPRESS,
                     help="the demo folder (default .demo)")
    run.add_argument("--port", type=int, default=int(os.environ.get("PORT") or 3000),
                     help="the Dagster UI's port (default $PORT or 3000)")
    run.add_argument("--workspace", default="workspace.yaml" if Path("workspace.yaml").is_file()
                     else None, help="dagster workspace file (default ./workspace.yaml if "
                                     "present, else the pvt_dagster.definitions module)")
    run.set_defaults(run=cmd_demo_run, needs_intake=False)
