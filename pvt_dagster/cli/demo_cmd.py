"""``pvt demo``: write the demo once; ``make demo`` then starts Dagster on it."""

from __future__ import annotations

import argparse
from pathlib import Path

from pvt_dagster.demo import write_demo


def cmd_demo(args: argparse.Namespace) -> int:
    """Write the demo config, keys and files into ``--dir`` (idempotent)."""
    target = Path(args.dir).resolve()
    done = write_demo(target)
    for line in done or ["demo already in place; nothing to do"]:
        print(line)
    print(f"config: {target / 'pvt.yaml'}  (make demo-reset starts over)")
    return 0
