"""Custom rule functions the tests name in config (``module:function``)."""

from __future__ import annotations

import pandas as pd


def even(values: pd.Series) -> pd.Series:
    """Column rule: the value is an even number (empty values pass)."""
    numbers = pd.to_numeric(values, errors="coerce")
    return (numbers % 2 == 0) | (values == "")


def start_before_end(frame: pd.DataFrame) -> pd.Series:
    """File rule: column ``start`` is not after column ``end`` (ISO dates compare as text)."""
    return frame["start"] <= frame["end"]


def explode(values: pd.Series) -> pd.Series:
    """A rule that raises, with a data value in its message (which must never be shown)."""
    raise ValueError(f"bad value {values.iloc[0]}")


def not_a_mask(values: pd.Series) -> list[int]:
    """A rule that returns the wrong thing."""
    return [1, 2]


def explode_on_rows(frame: pd.DataFrame) -> pd.Series:
    """A file rule that raises, quoting a row of data (which must never reach Dagster)."""
    raise ValueError(f"cannot judge row {frame.iloc[0].tolist()}")
