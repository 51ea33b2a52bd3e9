"""Run the benchmarks: every module of this package with a ``run()``, or those named."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path

SKIP = {"common", "__main__"}


def main(names: list[str]) -> int:
    """Run the named benchmark modules (all when none are named) and print their ratios."""
    available = sorted(m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)])
                       if m.name not in SKIP)
    unknown = set(names) - set(available)
    if unknown:
        print(f"unknown benchmark(s): {', '.join(sorted(unknown))}; have: {', '.join(available)}")
        return 2
    if not available:
        print("no benchmarks yet")
        return 0
    for name in names or available:
        module = importlib.import_module(f"bench.{name}")
        print(f"== {name}", flush=True)
        for ratio in module.run():
            print(ratio.line(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
