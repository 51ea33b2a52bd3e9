"""``pvt demo``: write the demo once; ``make demo`` then starts Dagster on it."""

from __future__ import annotations

import argparse
from pathlib import Path

from pvt_dagster.cli.parsing import Subparsers
from pvt_dagster.demo import write_demo


def cmd_demo(args: argparse.Namespace) -> int:
    """Write the demo config, keys and files into ``--dir`` (idempotent)."""
    target = Path(args.dir).resolve()
    done = write_demo(target)
    for line in done or ["demo already in place; nothing to do"]:
        print(line)
    print(f"config: {target / 'pvt.yaml'}  (make demo-reset starts over)")
    return 0


def register(sub: Subparsers) -> None:
    """Add ``pvt demo``."""
    demo = sub.add_parser("demo", help="write a demo config, keys and three files")
    demo.add_argument("--dir", default=".demo", help="where to write the demo (default .demo)")
    demo.set_defaults(run=cmd_demo, needs_intake=False)
