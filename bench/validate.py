"""Validation and scrubbing at scale: a 12-column CSV (1M rows, about 100 MB, then 4M rows) with
10 rules and 5 scrub actions, through our chunked validate + scrub (as the pipeline runs them:
two reads, one write) against a naive pandas script (``read_csv(dtype=str)`` of the whole file,
``str.fullmatch`` checks, ``str.replace`` scrubs, ``to_csv``). Each side runs in its own
subprocess so its peak memory (``ru_maxrss``) is its own. Sizes: ``PVT_BENCH_VALIDATE_ROWS``
(default ``1000000,4000000``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import numpy as np

from bench.common import Ratio, child_env

COLUMNS = ["member_id", "ssn", "phone", "state", "zip", "email", "dob", "first_name",
           "last_name", "gender", "plan", "amount"]
STATES = ["CA", "NY", "TX", "FL", "WA", "ny", "XX"]
NAMES = ["Ann", "Bob", " Carla", "Dmitri ", "Eve", "Francesca", "Gus"]
PLANS = ["gold", "silver", "bronze", "platinum"]

FEED = {
    "source": "s", "pattern": "*", "decrypt": "none",
    "columns": {
        "member_id": {"pii": False, "checks": [{"rule": "pattern", "regex": "M[0-9]{7}"}]},
        "ssn": {"checks": [{"rule": "pattern", "pattern": "ssn"}], "scrub": ["strip_hyphens"]},
        "phone": {"checks": [{"rule": "pattern", "pattern": "us_phone", "severity": "warning"}],
                  "scrub": ["digits_only"]},
        "state": {"checks": [{"rule": "in_list", "values": "us_states", "severity": "warning"}],
                  "scrub": ["upper"]},
        "zip": {"checks": [{"rule": "pattern", "pattern": "zip"}]},
        "email": {"checks": [{"rule": "pattern", "pattern": "email", "severity": "warning"}]},
        "dob": {"checks": [{"rule": "pattern", "regex": "[0-9]{4}-[0-9]{2}-[0-9]{2}"}]},
        "first_name": {"scrub": ["trim"]},
        "last_name": {"checks": [{"rule": "pattern", "regex": "[A-Za-z' -]+"}],
                      "scrub": ["upper"]},
        "gender": {"checks": [{"rule": "in_list", "values": ["F", "M", "X", "U"]}]},
        "plan": {"checks": [{"rule": "in_list", "values": PLANS}]},
    },
}

OURS = """
import json, resource, sys, time
from bench.peak import own_peak_mb
from pvt_dagster.config.models import FeedConfig
from pvt_dagster.scrubbing import scrub_file
from pvt_dagster.validation import validate_file
feed = FeedConfig.model_validate(json.loads(sys.argv[3]))
start = time.perf_counter()
report = validate_file(sys.argv[1], feed)
validated = time.perf_counter() - start
scrub = scrub_file(sys.argv[1], sys.argv[2], feed)
print(json.dumps({"seconds": time.perf_counter() - start, "rows": report.rows,
                  "validate_seconds": validated,
                  "failures": sum(o.failures for o in report.outcomes),
                  "rss_mb": own_peak_mb()}))
"""

NAIVE = """
import json, re, resource, sys, time
from bench.peak import own_peak_mb
import pandas as pd
from pvt_dagster.validation.catalogue import BUILTIN_LISTS, BUILTIN_PATTERNS
feed = json.loads(sys.argv[3])
start = time.perf_counter()
df = pd.read_csv(sys.argv[1], dtype=str, keep_default_na=False)
failures = 0
for name, column in feed["columns"].items():
    for rule in column.get("checks", []):
        values = df[name]
        if rule["rule"] == "pattern":
            regex = BUILTIN_PATTERNS[rule["pattern"]] if "pattern" in rule else rule["regex"]
            ok = values.str.fullmatch(regex)
        else:
            allowed = rule["values"]
            ok = values.isin(BUILTIN_LISTS[allowed] if isinstance(allowed, str) else allowed)
        failures += int((~ok.astype(bool) & (values != "")).sum())
df["ssn"] = df["ssn"].str.replace("-", "", regex=False)
df["phone"] = df["phone"].str.replace(r"[^0-9]+", "", regex=True)
df["state"] = df["state"].str.upper()
df["first_name"] = df["first_name"].str.strip()
df["last_name"] = df["last_name"].str.upper()
df.to_csv(sys.argv[2], index=False)
print(json.dumps({"seconds": time.perf_counter() - start, "rows": len(df),
                  "failures": failures,
                  "rss_mb": own_peak_mb()}))
"""


def write_csv(path: Path, rows: int, seed: int = 7) -> None:
    """A synthetic members file: mostly valid values, a few bad ones in most columns."""
    rng = np.random.default_rng(seed)
    block = 200_000
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write(",".join(COLUMNS) + "\n")
        for start in range(0, rows, block):
            n = min(block, rows - start)
            ids = np.arange(start, start + n)
            area = rng.integers(100, 899, n)
            group = rng.integers(1, 99, n)
            serial = rng.integers(1, 9999, n)
            area[rng.random(n) < 0.01] = 0
            exchange = rng.integers(200, 999, n)
            line = rng.integers(0, 9999, n)
            zips = rng.integers(10000, 99999, n)
            year = rng.integers(1930, 2010, n)
            month = rng.integers(1, 13, n)
            day = rng.integers(1, 29, n)
            states = rng.choice(STATES, n)
            firsts = rng.choice(NAMES, n)
            lasts = rng.choice(["Smith", "O'Neil", "Lee", "Garcia-Lopez", "Nguyen", "B4d"], n)
            genders = rng.choice(["F", "M", "X", "?"], n)
            plans = rng.choice(PLANS, n)
            cents = rng.integers(0, 100000, n)
            out = [
                f"M{i:07d},{a:03d}-{g:02d}-{s:04d},({e}) 555-{ln:04d},{st},{z:05d},"
                f"user{i}@example.com,{y:04d}-{mo:02d}-{d:02d},{fn},{la},{ge},{pl},"
                f"{c // 100}.{c % 100:02d}\n"
                for i, a, g, s, e, ln, st, z, y, mo, d, fn, la, ge, pl, c in zip(
                    ids, area, group, serial, exchange, line, states, zips, year, month, day,
                    firsts, lasts, genders, plans, cents, strict=True)
            ]
            fh.write("".join(out))


def _child(script: str, src: Path, dst: Path) -> dict[str, float]:
    """Run one side in a fresh interpreter; its own timing and peak memory."""
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script), str(src), str(dst), json.dumps(FEED)],
        check=True, capture_output=True, text=True, env=child_env())
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def run() -> list[Ratio]:
    """Throughput and peak memory of ours against the naive script, at each size."""
    sizes = [int(s) for s in os.environ.get("PVT_BENCH_VALIDATE_ROWS",
                                            "1000000,4000000").split(",")]
    ratios: list[Ratio] = []
    with tempfile.TemporaryDirectory(prefix="pvt-bench-validate-") as tmp:
        for rows in sizes:
            src = Path(tmp) / f"members_{rows}.csv"
            write_csv(src, rows)
            mb = src.stat().st_size / 1e6
            naive = _child(NAIVE, src, Path(tmp) / "naive.csv")
            ours = _child(OURS, src, Path(tmp) / "ours.csv")
            label = f"validate+scrub {rows:,} rows x 12 cols ({mb:,.0f} MB)"
            print(f"  {label}: ours {ours['seconds']:.1f} s (validate "
                  f"{ours['validate_seconds']:.1f} s, scrub "
                  f"{ours['seconds'] - ours['validate_seconds']:.1f} s), "
                  f"{ours['rss_mb']:.0f} MB peak, "
                  f"{ours['failures']:,.0f} failures; naive {naive['seconds']:.1f} s, "
                  f"{naive['rss_mb']:.0f} MB peak, {naive['failures']:,.0f} failures",
                  flush=True)
            ratios.append(Ratio(f"{label} throughput", rows / ours["seconds"],
                                rows / naive["seconds"], "rows/s", ">= 3.0 (naive's)"))
            ratios.append(Ratio(f"{label} peak memory", ours["rss_mb"], naive["rss_mb"], "MB",
                                "ours < 400 MB"))
            src.unlink()
    return ratios
