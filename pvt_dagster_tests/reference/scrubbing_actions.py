"""Scrub actions: vectorised functions over a Series of strings; empty values stay empty."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

from pvt_dagster.config import ScrubStep
from pvt_dagster.errors import ScrubError
from pvt_dagster.validation import parse_date


def _blank(values: pd.Series) -> pd.Series:
    """True where a value is empty or only whitespace."""
    return values.str.strip() == ""


def strip_hyphens(values: pd.Series) -> pd.Series:
    """Remove every hyphen-minus: ``123-45-6789`` -> ``123456789``."""
    return values.str.replace("-", "", regex=False)


def digits_only(values: pd.Series) -> pd.Series:
    """Keep only the ASCII digits: ``(555) 123-4567`` -> ``5551234567``."""
    return values.str.replace(r"[^0-9]+", "", regex=True)


def _pad(values: pd.Series, side: str, width: Any, fill: Any) -> pd.Series:
    """Pad non-empty values to ``width`` with ``fill`` on ``side``; longer values are kept."""
    if isinstance(width, bool) or not isinstance(width, int) or width < 1:
        raise ScrubError("pad: width must be a positive integer")
    if not isinstance(fill, str) or len(fill) != 1:
        raise ScrubError("pad: fill must be exactly one character")
    padded = values.str.pad(width, side=side, fillchar=fill)
    return padded.where(~_blank(values), values)


def pad_left(values: pd.Series, width: int, fill: str = " ") -> pd.Series:
    """Pad on the left: ``{pad_left: {width: 10, fill: "0"}}`` makes ``42`` ``0000000042``."""
    return _pad(values, "left", width, fill)


def pad_right(values: pd.Series, width: int, fill: str = " ") -> pd.Series:
    """Pad on the right to ``width`` with ``fill``."""
    return _pad(values, "right", width, fill)


def trim(values: pd.Series) -> pd.Series:
    """Strip leading and trailing whitespace."""
    return values.str.strip()


def upper(values: pd.Series) -> pd.Series:
    """Upper-case every value."""
    return values.str.upper()


def lower(values: pd.Series) -> pd.Series:
    """Lower-case every value."""
    return values.str.lower()


def title(values: pd.Series) -> pd.Series:
    """Title-case every value: ``mary ANN`` -> ``Mary Ann``."""
    return values.str.title()


def replace(values: pd.Series, pattern: str, with_: str = "") -> pd.Series:
    """Replace every match of a regular expression (groups as ``\\1``)."""
    try:
        compiled = re.compile(pattern)
        compiled.sub(with_, "")  # a bad group reference fails here, not per value
    except (re.error, IndexError) as exc:
        raise ScrubError(f"replace: the pattern or replacement is invalid ({exc})") from None
    return values.str.replace(compiled, with_, regex=True)


def map_values(values: pd.Series, values_table: Mapping[str, str],
               ignore_case: bool = False) -> pd.Series:
    """Replace values found in a table; others are kept (``ignore_case`` folds both sides)."""
    if not values_table:
        raise ScrubError("map: values must list at least one value")
    if ignore_case:
        folded = {str(k).casefold(): str(v) for k, v in values_table.items()}
        mapped = values.str.casefold().map(folded)
    else:
        mapped = values.map({str(k): str(v) for k, v in values_table.items()})
    return mapped.where(mapped.notna(), values).astype(object)


def to_iso_date(values: pd.Series, formats: list[str]) -> pd.Series:
    """Dates in any of the listed strptime formats become ``YYYY-MM-DD``; others are kept."""
    if not formats:
        raise ScrubError("date: formats must list at least one format")
    table: dict[str, str] = {}
    for text in pd.unique(values.to_numpy(dtype=object)):
        for fmt in formats:
            parsed = parse_date(str(text), fmt) if str(text).strip() else None
            if parsed is not None:
                table[text] = parsed.isoformat()
                break
    mapped = values.map(table)
    return mapped.where(mapped.notna(), values).astype(object)


_LAYOUTS = {"ssn": (9, r"(\d{3})(\d{2})(\d{4})", r"\1-\2-\3"),
            "phone": (10, r"(\d{3})(\d{3})(\d{4})", r"(\1) \2-\3")}


def format_as(values: pd.Series, as_: str) -> pd.Series:
    """Lay out values whose digits fit: ssn ``ddd-dd-dddd``, phone ``(ddd) ddd-dddd`` (a phone
    with a leading country code 1 is accepted); other values are kept."""
    if as_ not in _LAYOUTS:
        raise ScrubError(f"format: as must be one of {', '.join(sorted(_LAYOUTS))}")
    size, pattern, layout = _LAYOUTS[as_]
    digits = values.str.replace(r"[^0-9]+", "", regex=True)
    if as_ == "phone":
        digits = digits.where(~((digits.str.len() == 11) & digits.str.startswith("1")),
                              digits.str.slice(1))
    fits = (digits.str.len() == size) & ~values.str.contains(r"[A-Za-z]", regex=True)
    shaped = digits.str.replace(pattern, layout, regex=True)
    return shaped.where(fits, values).astype(object)


def null_if_invalid(values: pd.Series, check: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """Empty the values that fail the given rule predicate (True = valid)."""
    ok = check(values).to_numpy(dtype=bool)
    return values.where(ok, "").astype(object)


ACTIONS: dict[str, Callable[..., pd.Series]] = {
    "strip_hyphens": strip_hyphens,
    "digits_only": digits_only,
    "pad_left": pad_left,
    "pad_right": pad_right,
    "trim": trim,
    "upper": upper,
    "lower": lower,
    "title": title,
    "replace": replace,
    "map": map_values,
    "date": to_iso_date,
    "format": format_as,
    "null_if_invalid": null_if_invalid,
}
#: Option names that are Python keywords (or shadow the action) and their parameter names.
_PARAMETERS = {"with": "with_", "as": "as_", "values": "values_table", "rule": "check"}


def apply_action(
    values: pd.Series, action: str, options: Mapping[str, Any] | None = None
) -> pd.Series:
    """Apply one named action with its options; ScrubError if unknown or badly configured.
    (``null_if_invalid`` takes the rule's predicate as its ``rule`` option.)"""
    function = ACTIONS.get(action)
    if function is None:
        raise ScrubError(f"unknown scrub action {action!r}; known: {', '.join(sorted(ACTIONS))}")
    kwargs = {_PARAMETERS.get(k, k): v for k, v in dict(options or {}).items()}
    try:
        return function(values, **kwargs)
    except TypeError:
        raise ScrubError(f"scrub action {action}: unexpected or missing options") from None


def apply_step(values: pd.Series, step: ScrubStep) -> pd.Series:
    """Apply one configured scrub step (not ``null_if_invalid``: the engine resolves its rule)."""
    return apply_action(values, step.action, step.options)
