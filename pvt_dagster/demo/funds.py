"""Made-up fund NAV files (``isin``, ``nav``) for the processing example (examples/funds.yaml)
and the jobs benchmark: ISIN-shaped codes, NAVs around 100. Fast enough for millions of rows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


def fund_frame(rows: int, *, seed: int, first: int = 0) -> pd.DataFrame:
    """``rows`` funds numbered from ``first`` (so two files overlap where their ranges do)."""
    rng = np.random.default_rng(seed)
    numbers = np.arange(first, first + rows)
    isin = pd.Series(numbers).map("US{:010d}".format)
    nav = np.round(rng.normal(100.0, 15.0, rows), 4)
    return pd.DataFrame({"isin": isin, "nav": nav})


def write_fund_file(path: Path, rows: int, *, seed: int, first: int = 0) -> Path:
    """Write a fund file as UTF-8 CSV with a header."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fund_frame(rows, seed=seed, first=first).to_csv(path, index=False)
    return path
