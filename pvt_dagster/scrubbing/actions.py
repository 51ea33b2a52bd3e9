"""Scrub actions: vectorised functions over a Series of strings; empty values stay empty."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

from pvt_dagster.config.models import ScrubStep
from pvt_dagster.errors import ScrubError


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


ACTIONS: dict[str, Callable[..., pd.Series]] = {
    "strip_hyphens": strip_hyphens,
    "digits_only": digits_only,
    "pad_left": pad_left,
    "pad_right": pad_right,
    "trim": trim,
    "upper": upper,
    "lower": lower,
}


def apply_action(
    values: pd.Series, action: str, options: Mapping[str, Any] | None = None
) -> pd.Series:
    """Apply one named action with its options; ScrubError if unknown or badly configured."""
    function = ACTIONS.get(action)
    if function is None:
        raise ScrubError(f"unknown scrub action {action!r}; known: {', '.join(sorted(ACTIONS))}")
    try:
        return function(values, **dict(options or {}))
    except TypeError:
        raise ScrubError(f"scrub action {action}: unexpected or missing options") from None


def apply_step(values: pd.Series, step: ScrubStep) -> pd.Series:
    """Apply one configured scrub step."""
    return apply_action(values, step.action, step.options)
