"""Processing jobs at scale: z-score of two fund files (1M rows each: ``isin``, ``nav``,
``time_started``) and their merge on ``isin`` keeping the earliest ``time_started``, through
the processing manager as a job run does it (text read, script, typed Parquet copy for the next
job; the merge written as CSV), against a naive pandas script doing the same in one go
(``read_csv``, ``mean``/``std``, ``merge``, ``to_csv``). Each side runs in its own subprocess so
its peak memory (``ru_maxrss``) is its own. Size: ``PVT_BENCH_JOBS_ROWS`` (default 1000000)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

from bench.common import Ratio, child_env
from pvt_dagster.demo.funds import fund_frame

OURS = """
import resource, sys, time
from bench.peak import own_peak_mb
from pathlib import Path
from pvt_dagster.processing import (arrow_table, load_script, read_output, read_text_csv,
                                    run_script, write_csv, write_parquet)
a, b, out = (Path(p) for p in sys.argv[1:4])
start = time.perf_counter()
zscore, merge = load_script("builtin:zscore"), load_script("builtin:merge")
for name, src in (("zscore_a", a), ("zscore_b", b)):
    done = run_script(zscore, {name: read_text_csv(src, label=name)}, {"column": "nav"}, {},
                      job=name)
    write_parquet(arrow_table(done.frames[""]), out.parent / f"{name}.parquet")
    del done
merged = run_script(merge, {n: read_output(out.parent / f"{n}.parquet", label=n)
                            for n in ("zscore_a", "zscore_b")},  # dropped once merged, as in
                    {"on": "isin", "earliest": "time_started"}, {}, job="merged")  # a job run
table = arrow_table(merged.frames[""])
write_parquet(table, out.parent / "merged.parquet")
write_csv(table, out)
print({"seconds": time.perf_counter() - start, "rows": merged.rows,
       "rss_mb": own_peak_mb()})
"""

NAIVE = """
import resource, sys, time
from bench.peak import own_peak_mb
import numpy as np
import pandas as pd
a_path, b_path, out = sys.argv[1:4]
start = time.perf_counter()
a, b = pd.read_csv(a_path), pd.read_csv(b_path)
for df in (a, b):
    df["zscore"] = (df["nav"] - df["nav"].mean()) / df["nav"].std(ddof=0)
m = a.merge(b, on="isin", how="outer", suffixes=("", "_zscore_b"))
ta = pd.to_datetime(m["time_started"], utc=True, format="ISO8601")
tb = pd.to_datetime(m["time_started_zscore_b"], utc=True, format="ISO8601")
m["time_started"] = np.where(tb.notna() & (ta.isna() | (tb < ta)), m["time_started_zscore_b"],
                             m["time_started"])
m = m.drop(columns=["time_started_zscore_b"])
m.to_csv(out, index=False)
print({"seconds": time.perf_counter() - start, "rows": len(m),
       "rss_mb": own_peak_mb()})
"""


def write_input(path: Path, rows: int, *, seed: int, first: int, stamp: str) -> None:
    """A stamped fund file (as ``add_timestamp`` leaves it)."""
    frame = fund_frame(rows, seed=seed, first=first)
    frame["time_started"] = stamp
    frame.to_csv(path, index=False)


def _child(script: str, *paths: Path) -> dict[str, float]:
    """Run one side in a fresh interpreter; its own timing and peak memory."""
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(script), *map(str, paths)],
                          check=True, capture_output=True, text=True, env=child_env())
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1].replace("'", '"'))
    return result


def run() -> list[Ratio]:
    """Throughput and peak memory of ours against the naive script."""
    rows = int(os.environ.get("PVT_BENCH_JOBS_ROWS", "1000000"))
    with tempfile.TemporaryDirectory(prefix="pvt-bench-jobs-") as tmp:
        a, b = Path(tmp) / "fund_a.csv", Path(tmp) / "fund_b.csv"
        write_input(a, rows, seed=1, first=0, stamp="2026-11-23T10:00:00.000000Z")
        write_input(b, rows, seed=2, first=rows // 2, stamp="2026-11-23T09:30:00.000000Z")
        (Path(tmp) / "naive").mkdir()
        (Path(tmp) / "ours").mkdir()
        naive = _child(NAIVE, a, b, Path(tmp) / "naive" / "merged.csv")
        ours = _child(OURS, a, b, Path(tmp) / "ours" / "merged.csv")
    assert ours["rows"] == naive["rows"], (ours, naive)
    label = f"zscore x2 + merge of two {rows:,}-row files ({ours['rows']:,.0f} merged rows)"
    print(f"  {label}: ours {ours['seconds']:.1f} s, {ours['rss_mb']:.0f} MB peak; naive "
          f"{naive['seconds']:.1f} s, {naive['rss_mb']:.0f} MB peak", flush=True)
    return [Ratio(f"{label} throughput", rows * 2 / ours["seconds"],
                  rows * 2 / naive["seconds"], "rows/s", ">= 1.0 (naive's)"),
            Ratio(f"{label} peak memory", ours["rss_mb"], naive["rss_mb"], "MB",
                  "< 2.0 (naive's)")]
