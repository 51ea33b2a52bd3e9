"""Predicates of not_null, unique, length, range, type and custom rules, and the helpers they
share with the scrubber (dates) and the file rules (the memory-bounded set of seen hashes).

``unique`` and ``duplicate_rows`` remember 8-byte hashes of what they have seen, in one sorted
numpy array: 8 bytes per distinct value (16 while a chunk is merged in), so 4 million distinct
values take 32 MB. Two different values share a 64-bit hash with probability about n²/2⁶⁵
(4·10⁻⁷ at 4 million), which would report a false duplicate, never miss a real one.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from pvt_dagster.config import RuleConfig
from pvt_dagster.errors import ConfigError, RuleError

Predicate = Callable[[pd.Series], pd.Series]

INTEGER = r"[+-]?[0-9]+"
DECIMAL = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"
BOOLEANS = frozenset({"true", "false", "t", "f", "yes", "no", "y", "n", "1", "0"})
ISO_DATE = "%Y-%m-%d"


def is_empty(values: pd.Series) -> pd.Series:
    """True where a value is empty or only whitespace."""
    return (values == "") | values.str.isspace().fillna(False).astype(bool)


def or_empty(values: pd.Series, ok: pd.Series | np.ndarray) -> pd.Series:
    """``ok`` with empty values passing too (emptiness is only computed where ``ok`` is False)."""
    passed = np.array(ok, dtype=bool, copy=True)
    bad = ~passed
    if bad.any():
        passed[bad] = is_empty(values[bad]).to_numpy(dtype=bool)
    return pd.Series(passed, index=values.index)


def parse_date(text: str, fmt: str) -> date | None:
    """``text`` parsed with a strptime format, or None."""
    try:
        return datetime.strptime(text.strip(), fmt).date()
    except ValueError:
        return None


def date_ordinals(values: pd.Series, fmt: str) -> pd.Series:
    """Each value's date as a day ordinal (float, NaN when it does not parse), via unique values.

    strptime rather than ``pd.to_datetime``: nanosecond timestamps stop at 1677-2262.
    """
    table: dict[str, float] = {}
    for text in pd.unique(values.to_numpy(dtype=object)):
        parsed = parse_date(str(text), fmt)
        table[text] = float(parsed.toordinal()) if parsed is not None else np.nan
    return values.map(table).astype(float)


def check_date_format(fmt: str) -> str | None:
    """Why a strptime format cannot be used (None when it can round-trip a date)."""
    if "%" not in fmt:
        return f"date format {fmt!r} has no % directive"
    try:
        sample = datetime(2001, 2, 3, 4, 5, 6)
        if datetime.strptime(sample.strftime(fmt), fmt).date() != sample.date():
            return f"date format {fmt!r} does not give year, month and day"
    except ValueError as exc:
        return f"date format {fmt!r} is not valid: {exc}"
    return None


def load_callable(ref: str) -> Callable[..., Any]:
    """Import ``package.module:function``; ConfigError naming what is missing."""
    module_name, _, name = ref.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError(f"custom rule {ref}: cannot import {module_name} ({exc.name})") from None
    function: object = getattr(module, name, None)
    if not callable(function):
        raise ConfigError(f"custom rule {ref}: {module_name} has no function {name}")
    return function


def as_mask(result: Any, index: pd.Index, ref: str) -> pd.Series:
    """A custom rule's result as a boolean Series on ``index``; RuleError if it is not one."""
    try:
        array = np.asarray(result)
    except Exception as exc:
        raise RuleError(f"custom rule {ref} returned no boolean mask") from exc
    if array.shape != (len(index),) or array.dtype != bool:
        raise RuleError(f"custom rule {ref} must return one boolean per row "
                        f"(got shape {array.shape}, dtype {array.dtype})")
    return pd.Series(array, index=index)


class SeenHashes:
    """8-byte hashes seen so far (sorted); tells which new hashes are repeats."""

    def __init__(self) -> None:
        self.seen = np.empty(0, dtype=np.uint64)

    def repeats(self, hashes: np.ndarray) -> np.ndarray:
        """True for each hash seen before (earlier chunk, or earlier in this one); remembers all."""
        hashes = np.asarray(hashes, dtype=np.uint64)
        repeat: np.ndarray = pd.Series(hashes).duplicated(keep="first").to_numpy()
        if len(self.seen):
            pos = np.searchsorted(self.seen, hashes)
            found = self.seen[np.minimum(pos, len(self.seen) - 1)] == hashes
            repeat |= found
        new = np.unique(hashes[~repeat])
        if len(new):
            self.seen = np.insert(self.seen, np.searchsorted(self.seen, new), new)
        return repeat


def not_null(values: pd.Series) -> pd.Series:
    """No empty value."""
    return ~is_empty(values)


def unique() -> Predicate:
    """Each non-empty value appears once in the file: later repeats fail (across chunks)."""
    seen = SeenHashes()

    def check(values: pd.Series) -> pd.Series:
        empty = is_empty(values).to_numpy(dtype=bool)
        ok = np.ones(len(values), dtype=bool)
        filled = values.to_numpy(dtype=object)[~empty]
        if len(filled):
            ok[~empty] = ~seen.repeats(pd.util.hash_array(filled))
        return pd.Series(ok, index=values.index)

    return check


def length(rule: RuleConfig) -> Predicate:
    """Characters between min and max (empty values pass)."""
    low, high = rule.min, rule.max

    def check(values: pd.Series) -> pd.Series:
        size = values.str.len()
        ok = pd.Series(True, index=values.index)
        if low is not None:
            ok &= size >= low
        if high is not None:
            ok &= size <= high
        return or_empty(values, ok.to_numpy(dtype=bool))

    return check


def value_range(rule: RuleConfig) -> Predicate:
    """Numbers (or dates, when the bounds are dates) between min and max (empty values pass)."""
    dated = isinstance(rule.min, str) or isinstance(rule.max, str)
    fmt = rule.format or ISO_DATE
    bounds = [_date_bound(b) if dated else b for b in (rule.min, rule.max)]
    low, high = bounds

    def check(values: pd.Series) -> pd.Series:
        if dated:
            numbers = date_ordinals(values, fmt)
        else:
            numbers = pd.to_numeric(values.str.strip(), errors="coerce")
        ok = numbers.notna()
        if low is not None:
            ok &= numbers >= low
        if high is not None:
            ok &= numbers <= high
        return or_empty(values, ok.to_numpy(dtype=bool))

    return check


def _date_bound(bound: Any) -> float | None:
    """An ISO date bound as a day ordinal; ConfigError if it is not one."""
    if bound is None:
        return None
    parsed = parse_date(str(bound), ISO_DATE)
    if parsed is None:
        raise ConfigError(f"range bound {bound!r} is not a YYYY-MM-DD date")
    return float(parsed.toordinal())


def value_type(rule: RuleConfig) -> Predicate:
    """Values of a type: integer, decimal, date (with format) or boolean (empty values pass)."""
    kind = rule.type
    if kind == "date":
        fmt = rule.format or ISO_DATE
        problem = check_date_format(fmt)
        if problem:
            raise ConfigError(problem)
        return lambda values: or_empty(values, date_ordinals(values, fmt).notna().to_numpy())
    if kind == "boolean":
        return lambda values: or_empty(
            values, values.str.strip().str.casefold().isin(BOOLEANS).to_numpy(dtype=bool))
    regex = INTEGER if kind == "integer" else DECIMAL
    return lambda values: or_empty(
        values, values.str.strip().str.fullmatch(regex).fillna(False).to_numpy(dtype=bool))


def custom(rule: RuleConfig) -> Predicate:
    """A client-specific rule: ``module:function`` maps a Series chunk to a boolean mask."""
    ref = str(rule.function)
    function = load_callable(ref)
    return lambda values: as_mask(function(values), values.index, ref)
