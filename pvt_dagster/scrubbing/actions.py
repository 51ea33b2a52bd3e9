"""Scrub actions: Arrow kernels over an array of strings; empty values stay empty.

Each action gives exactly what its pandas ``str`` method gave: kernels where their result is
Python's (literal and ``[^0-9]`` replacement, code-point padding and slicing, ASCII case on
ASCII values), Python once per distinct value where it is not (case on non-ASCII values,
``re.sub``, case-folded maps, date parsing).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pvt_dagster.config import ScrubStep
from pvt_dagster.errors import ScrubError
from pvt_dagster.formats import STRING
from pvt_dagster.validation import (
    as_arrow,
    as_series,
    ascii_or_python,
    is_blank,
    parse_date,
    per_value,
    strip,
)


def strip_hyphens(values: pa.Array) -> pa.Array:
    """Remove every hyphen-minus: ``123-45-6789`` -> ``123456789``."""
    return pc.replace_substring(values, "-", "")


def digits_only(values: pa.Array) -> pa.Array:
    """Keep only the ASCII digits: ``(555) 123-4567`` -> ``5551234567``."""
    return pc.replace_substring_regex(values, "[^0-9]+", "")


def _pad(values: pa.Array, side: str, width: Any, fill: Any) -> pa.Array:
    """Pad non-empty values to ``width`` with ``fill`` on ``side``; longer values are kept."""
    if isinstance(width, bool) or not isinstance(width, int) or width < 1:
        raise ScrubError("pad: width must be a positive integer")
    if not isinstance(fill, str) or len(fill) != 1:
        raise ScrubError("pad: fill must be exactly one character")
    pad = pc.utf8_lpad if side == "left" else pc.utf8_rpad
    return pc.if_else(is_blank(values), values, pad(values, width=width, padding=fill))


def pad_left(values: pa.Array, width: int, fill: str = " ") -> pa.Array:
    """Pad on the left: ``{pad_left: {width: 10, fill: "0"}}`` makes ``42`` ``0000000042``."""
    return _pad(values, "left", width, fill)


def pad_right(values: pa.Array, width: int, fill: str = " ") -> pa.Array:
    """Pad on the right to ``width`` with ``fill``."""
    return _pad(values, "right", width, fill)


def trim(values: pa.Array) -> pa.Array:
    """Strip leading and trailing whitespace."""
    return strip(values)


def upper(values: pa.Array) -> pa.Array:
    """Upper-case every value."""
    return ascii_or_python(values, pc.ascii_upper, str.upper)


def lower(values: pa.Array) -> pa.Array:
    """Lower-case every value."""
    return ascii_or_python(values, pc.ascii_lower, str.lower)


def title(values: pa.Array) -> pa.Array:
    """Title-case every value: ``mary ANN`` -> ``Mary Ann``."""
    return ascii_or_python(values, pc.ascii_title, str.title)


def replace(values: pa.Array, pattern: str, with_: str = "") -> pa.Array:
    """Replace every match of a regular expression (groups as ``\\1``); Python's ``re``, once
    per distinct value (its replacement and empty-match rules are not RE2's)."""
    try:
        compiled = re.compile(pattern)
        compiled.sub(with_, "")  # a bad group reference fails here, not per value
    except (re.error, IndexError) as exc:
        raise ScrubError(f"replace: the pattern or replacement is invalid ({exc})") from None
    return per_value(values, lambda text: compiled.sub(with_, text))


def map_values(values: pa.Array, values_table: Mapping[str, str],
               ignore_case: bool = False) -> pa.Array:
    """Replace values found in a table; others are kept (``ignore_case`` folds both sides)."""
    if not values_table:
        raise ScrubError("map: values must list at least one value")
    if ignore_case:
        folded = {str(k).casefold(): str(v) for k, v in values_table.items()}
        return per_value(values, lambda text: folded.get(text.casefold(), text))
    table = {str(k): str(v) for k, v in values_table.items()}
    keys = pa.array(list(table), type=STRING)
    found = pc.take(pa.array(list(table.values()), type=STRING),
                    pc.index_in(values, value_set=keys))
    return pc.coalesce(found, values)


def to_iso_date(values: pa.Array, formats: list[str]) -> pa.Array:
    """Dates in any of the listed strptime formats become ``YYYY-MM-DD``; others are kept."""
    if not formats:
        raise ScrubError("date: formats must list at least one format")

    def iso(text: str) -> str:
        for fmt in formats:
            parsed = parse_date(text, fmt) if text.strip() else None
            if parsed is not None:
                return parsed.isoformat()
        return text

    return per_value(values, iso)


#: Digits a layout takes, and its pieces: (start, stop) slices of the digits and literals.
_LAYOUTS: dict[str, tuple[int, list[tuple[int, int] | str]]] = {
    "ssn": (9, [(0, 3), "-", (3, 5), "-", (5, 9)]),
    "phone": (10, ["(", (0, 3), ") ", (3, 6), "-", (6, 10)]),
}


def format_as(values: pa.Array, as_: str) -> pa.Array:
    """Lay out values whose digits fit: ssn ``ddd-dd-dddd``, phone ``(ddd) ddd-dddd`` (a phone
    with a leading country code 1 is accepted); other values are kept."""
    if as_ not in _LAYOUTS:
        raise ScrubError(f"format: as must be one of {', '.join(sorted(_LAYOUTS))}")
    size, pieces = _LAYOUTS[as_]
    digits = digits_only(values)
    if as_ == "phone":
        country = pc.and_(pc.equal(pc.utf8_length(digits), 11), pc.starts_with(digits, "1"))
        digits = pc.if_else(country, pc.utf8_slice_codeunits(digits, 1), digits)
    fits = pc.and_(pc.equal(pc.utf8_length(digits), size),
                   pc.invert(pc.match_substring_regex(values, "[A-Za-z]")))
    parts = [pc.utf8_slice_codeunits(digits, p[0], p[1]) if isinstance(p, tuple)
             else pa.scalar(p, type=STRING) for p in pieces]
    shaped = pc.binary_join_element_wise(*parts, pa.scalar("", type=STRING))
    return pc.if_else(fits, shaped, values)


def null_if_invalid(values: pa.Array, check: Callable[[pd.Series], pd.Series]) -> pa.Array:
    """Empty the values that fail the given rule predicate (True = valid)."""
    ok = np.asarray(check(pd.Series(pd.arrays.ArrowExtensionArray(values))), dtype=bool)
    return pc.if_else(pa.array(ok), values, pa.scalar("", type=STRING))


ACTIONS: dict[str, Callable[..., pa.Array]] = {
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
    (``null_if_invalid`` takes the rule's predicate as its ``rule`` option.) The result is
    of the input's kind: ``ArrowDtype`` in, ``ArrowDtype`` out; object in, object out."""
    return as_series(apply_arrow(as_arrow(values), action, options), values)


def apply_arrow(
    values: pa.Array, action: str, options: Mapping[str, Any] | None = None
) -> pa.Array:
    """``apply_action`` on an Arrow string array."""
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
