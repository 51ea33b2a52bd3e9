"""The built-in scripts (``builtin:NAME``): each is ``(frames, options) -> DataFrame`` (or one
frame per value for ``split_by``), over frames keyed by input name in input order. Their
errors are ProcessingError with text written here, never a data value."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, TypeAlias

import numpy as np
import pandas as pd

from pvt_dagster.config import AddTimestampOptions, MergeOptions, SplitByOptions, ZscoreOptions
from pvt_dagster.errors import ProcessingError
from pvt_dagster.ledger import slugify

Frames: TypeAlias = Mapping[str, pd.DataFrame]
ScriptResult: TypeAlias = pd.DataFrame | dict[str, pd.DataFrame]
Script: TypeAlias = Callable[[Frames, dict[str, Any]], ScriptResult]
BLANK_VALUE = "blank"  # the file name part of empty values in split_by


def iso_utc(moment: datetime) -> str:
    """``2026-11-23T12:00:00.123456Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _only(frames: Frames, script: str) -> pd.DataFrame:
    """The single input frame of a one-input script (several inputs are stacked)."""
    if not frames:
        raise ProcessingError(f"{script}: no input")
    if len(frames) == 1:
        return next(iter(frames.values()))
    return pd.concat(list(frames.values()), ignore_index=True)


def _need(frame: pd.DataFrame, column: str, script: str, where: str = "its input") -> None:
    if column not in frame.columns:
        raise ProcessingError(f"{script}: {where} has no column {column}")


def add_timestamp(frames: Frames, options: dict[str, Any]) -> pd.DataFrame:
    """Every row gets the processing start, UTC ISO 8601, in ``column`` (default
    ``time_started``)."""
    opts = AddTimestampOptions.model_validate(options)
    frame = _only(frames, "add_timestamp").copy()
    frame[opts.column] = iso_utc(datetime.now(UTC))
    return frame


def zscore(frames: Frames, options: dict[str, Any]) -> pd.DataFrame:
    """``column`` as numbers, and each row's z-score ``(x - mean) / std`` (population standard
    deviation, as scipy's zscore) in ``to``; 0.0 when every value equals the mean."""
    opts = ZscoreOptions.model_validate(options)
    frame = _only(frames, "zscore").copy()
    _need(frame, opts.column, "zscore")
    values = pd.to_numeric(frame[opts.column], errors="coerce")
    bad = values.isna() & frame[opts.column].notna()
    if bad.any():
        first = int(np.flatnonzero(bad.to_numpy())[0]) + 1
        raise ProcessingError(f"zscore: column {opts.column} has {int(bad.sum())} value(s) that "
                              f"are not numbers (first in data row {first})")
    values = values.astype("float64")
    mean, std = values.mean(), values.std(ddof=0)
    frame[opts.column] = values
    frame[opts.to] = (values - mean) / std if std and not np.isnan(std) else values * 0.0
    return frame


def _earliest(left: pd.Series, right: pd.Series, column: str) -> pd.Series:
    """Per row, the earlier of two ISO time columns (their own text kept); a missing side
    gives the other."""
    a = pd.to_datetime(left, utc=True, errors="coerce", format="ISO8601")
    b = pd.to_datetime(right, utc=True, errors="coerce", format="ISO8601")
    for side, parsed in ((left, a), (right, b)):
        if (parsed.isna() & side.notna()).any():
            raise ProcessingError(f"merge: column {column} holds values that are not ISO 8601 "
                                  "times")
    take_right = b.notna() & (a.isna() | (b < a))
    return left.where(~take_right.to_numpy(), right)


def merge(frames: Frames, options: dict[str, Any]) -> pd.DataFrame:
    """Join the inputs on ``on`` (``how``: outer by default); ``earliest`` ends as the earlier
    of the sides' times; other columns that several inputs have get their input's suffix (by
    default the first input keeps its names and the others get ``_<input>``). With one input
    so far (a preliminary daily merge), its rows as they are."""
    opts = MergeOptions.model_validate(options)
    names = list(frames)
    if not names:
        raise ProcessingError("merge: no input")
    if len(names) == 1:
        return frames[names[0]].copy()
    suffixes = opts.suffixes or ["", *(f"_{n}" for n in names[1:])]
    if len(suffixes) != len(names):
        raise ProcessingError(f"merge: {len(suffixes)} suffixes for {len(names)} inputs")
    keys = opts.keys
    for name in names:
        for key in keys:
            _need(frames[name], key, "merge", f"input {name}")
    counts = pd.Series([c for f in frames.values() for c in f.columns]).value_counts()
    shared = {c for c, n in counts.items() if n > 1 and c not in keys and c != opts.earliest}
    parts = [frames[n].rename(columns={c: f"{c}{s}" for c in shared if c in frames[n].columns})
             for n, s in zip(names, suffixes, strict=True)]
    result = parts[0]
    temp = "__pvt_earliest__"
    for name, right in zip(names[1:], parts[1:], strict=True):
        clash = [c for c in right.columns if c in result.columns and c not in keys]
        if any(c != opts.earliest for c in clash):
            raise ProcessingError(f"merge: input {name} repeats columns of an earlier input "
                                  "under the same names; give each input its own suffix")
        if clash:
            right = right.rename(columns={clash[0]: temp})
        result = result.merge(right, on=keys, how=opts.how, sort=False)
        if clash:
            result[clash[0]] = _earliest(result[clash[0]], result[temp], clash[0])
            result = result.drop(columns=[temp])
    return result


def split_by(frames: Frames, options: dict[str, Any]) -> dict[str, pd.DataFrame]:
    """One frame per distinct value of ``column`` (keyed by the value's file-name slug; empty
    values go to ``blank``)."""
    opts = SplitByOptions.model_validate(options)
    frame = _only(frames, "split_by")
    _need(frame, opts.column, "split_by")
    labels = frame[opts.column].fillna("").astype(str).str.strip()
    out: dict[str, pd.DataFrame] = {}
    for value, part in frame.groupby(labels, sort=True):
        slug = slugify(str(value)) if str(value) else BLANK_VALUE
        if slug in out:
            raise ProcessingError(f"split_by: two values of {opts.column} share the file name "
                                  f"{slug}; rename one of them")
        out[slug] = part.reset_index(drop=True)
    return out


#: ``builtin:NAME`` -> its function (names match ``config.jobs.BUILTIN_OPTIONS``).
BUILTINS: dict[str, Script] = {
    "add_timestamp": add_timestamp,
    "zscore": zscore,
    "merge": merge,
    "split_by": split_by,
}
