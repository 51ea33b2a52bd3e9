"""Write a made-up members CSV (the demo's columns) for trying feeds and rules.

    .venv/bin/python examples/make_members.py out.csv --rows 1000 --kind warnings
    gpg --homedir .demo/home/keystore -r members@acme.example \
        -o .demo/inbox/members_x.csv.pgp -e out.csv

``--kind`` is ``clean``, ``warnings`` (bad phones and states) or ``failing`` (bad SSNs)."""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

from pvt_dagster.demo import COLUMNS, member_rows


def main() -> None:
    """Parse arguments and write the file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--rows", type=int, default=100)
    parser.add_argument("--kind", choices=("clean", "warnings", "failing"), default="clean")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with args.path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        writer.writerows(member_rows(args.kind, args.rows, seed=args.seed))
    print(f"wrote {args.rows} {args.kind} rows to {args.path}")


if __name__ == "__main__":
    main()
