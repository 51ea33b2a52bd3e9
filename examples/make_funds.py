"""Write two made-up fund NAV files (``isin``, ``nav``) for the processing example.

    .venv/bin/python examples/make_funds.py .pvt-drop/funds --rows 1000

Files ``fund_a_<n>.csv`` and ``fund_b_<n>.csv``: B starts half-way through A's funds, so the
merge has funds in both, only in A and only in B."""

from __future__ import annotations

import argparse
from pathlib import Path

from pvt_dagster.demo.funds import write_fund_file


def main() -> None:
    """Parse arguments and write both files."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--rows", type=int, default=100)
    parser.add_argument("--number", type=int, default=1, help="the <n> in the file names")
    args = parser.parse_args()
    for side, seed, first in (("a", 1, 0), ("b", 2, args.rows // 2)):
        path = write_fund_file(args.folder / f"fund_{side}_{args.number}.csv", args.rows,
                               seed=seed + 10 * args.number, first=first)
        print(f"wrote {args.rows} funds to {path}")


if __name__ == "__main__":
    main()
