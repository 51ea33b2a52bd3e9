"""Vectorised rule predicates: each maps a Series of strings to a boolean Series (True = ok)."""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pvt_dagster.config import RuleConfig, SecretRef
from pvt_dagster.errors import ConfigError
from pvt_dagster.formats import STRING
from pvt_dagster.validation import valuerules
from pvt_dagster.validation.arrowtext import as_arrow, as_bools
from pvt_dagster.validation.catalogue import (
    BUILTIN_LISTS,
    BUILTIN_PATTERNS,
    BUILTIN_RE2,
    PlannedCheck,
)
from pvt_dagster.validation.re2 import full_matches, re2_form
from pvt_dagster.validation.valuerules import Predicate, is_empty, on_distinct, or_empty

__all__ = ["Predicate", "is_empty", "list_values", "or_empty", "predicate",
           "valid_calendar_dates"]

_DAYS_IN_MONTH = {1: 31, 2: 28, 3: 31, 4: 30, 5: 31, 6: 30, 7: 31, 8: 31, 9: 30, 10: 31,
                  11: 30, 12: 31}


def valid_calendar_dates(values: pd.Series) -> pd.Series:
    """True where a ``YYYY-MM-DD`` string is a real calendar date (year 0001 to 9999).

    Vectorised arithmetic rather than ``pd.to_datetime``: nanosecond timestamps only reach
    1677-2262, which would reject sentinels such as 9999-12-31 common in eligibility files.
    """
    year = pd.to_numeric(values.str.slice(0, 4), errors="coerce")
    month = pd.to_numeric(values.str.slice(5, 7), errors="coerce")
    day = pd.to_numeric(values.str.slice(8, 10), errors="coerce")
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    days = month.map(_DAYS_IN_MONTH).where(~((month == 2) & leap), 29)
    ok = (year >= 1) & (day >= 1) & (day <= days)
    return ok.fillna(False).astype(bool)


def _pattern(rule: RuleConfig) -> Predicate:
    """Full match against a built-in pattern or a custom regex (empty values pass)."""
    if rule.pattern is not None:
        if rule.pattern not in BUILTIN_PATTERNS:
            known = ", ".join(sorted(BUILTIN_PATTERNS))
            raise ConfigError(f"unknown built-in pattern {rule.pattern!r}; known: {known}")
        regex = BUILTIN_PATTERNS[rule.pattern]
    else:
        regex = rule.regex or ""
    flags = re.IGNORECASE if rule.ignore_case else 0
    try:
        compiled = re.compile(regex, flags)
    except re.error as exc:
        raise ConfigError(f"invalid regular expression: {exc.msg}") from None
    if rule.pattern in BUILTIN_RE2:
        re2: str | None = ("(?i)" if rule.ignore_case else "") + BUILTIN_RE2[rule.pattern]
    else:
        re2 = re2_form(regex, rule.ignore_case)
    is_date = rule.pattern == "date"

    def check(values: pd.Series) -> pd.Series:
        array = as_arrow(values)
        ok = full_matches(array, compiled, re2)
        if is_date and ok.any():
            where = np.flatnonzero(ok)
            matched = pd.Series(pd.arrays.ArrowExtensionArray(array.take(where)))
            ok[where] = on_distinct(matched, valid_calendar_dates).astype(bool)
        return or_empty(values, ok)

    return check


def list_values(values: list[str] | str | SecretRef | None) -> frozenset[str]:
    """The allowed values of an in_list rule: inline, a built-in list, or one per line of a file."""
    if isinstance(values, list):
        return frozenset(values)
    if isinstance(values, str):
        if values not in BUILTIN_LISTS:
            known = ", ".join(sorted(BUILTIN_LISTS))
            raise ConfigError(f"unknown built-in list {values!r}; known: {known}")
        return BUILTIN_LISTS[values]
    if values is None:
        raise ConfigError("rule in_list needs values")
    if values.file is not None:
        try:
            text = values.file.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or "not UTF-8 text"
            raise ConfigError(f"in_list: cannot read file {values.file}: {reason}") from None
    else:
        text = values.resolve()
    return frozenset(line.strip() for line in text.splitlines() if line.strip())


def _in_list(rule: RuleConfig) -> Predicate:
    """Membership in a list, case-sensitive unless ``ignore_case`` (empty values pass)."""
    allowed = list_values(rule.values)
    if rule.ignore_case:
        folded = frozenset(v.casefold() for v in allowed)
        return lambda values: or_empty(values, on_distinct(
            values, lambda v: v.str.casefold().isin(folded).to_numpy(dtype=bool)))
    value_set = pa.array(sorted(allowed), type=STRING)
    return lambda values: or_empty(
        values, as_bools(pc.is_in(as_arrow(values), value_set=value_set)))


def _required(values: pd.Series) -> pd.Series:
    """No empty value."""
    return ~is_empty(values)


def _present(values: pd.Series) -> pd.Series:
    """Every row passes: rule ``required`` is about the column being there (see the engine)."""
    return pd.Series(True, index=values.index)


def predicate(check: PlannedCheck) -> Predicate:
    """The vectorised predicate of a planned check; ConfigError if its options cannot be used."""
    rule = check.config
    if check.rule == "required":
        return _required if rule is None else _present
    if not isinstance(rule, RuleConfig):
        raise ConfigError(f"check {check.name}: rule {check.rule} is not a column rule")
    if check.rule == "not_null":
        return valuerules.not_null
    builders: dict[str, Callable[[RuleConfig], Predicate]] = {
        "pattern": _pattern, "in_list": _in_list, "length": valuerules.length,
        "range": valuerules.value_range, "type": valuerules.value_type,
        "custom": valuerules.custom, "unique": lambda _rule: valuerules.unique(),
    }
    builder = builders.get(check.rule)
    if builder is None:
        raise ConfigError(f"check {check.name}: unknown rule {check.rule!r}")
    return builder(rule)
