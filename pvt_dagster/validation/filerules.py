"""Feed-level rules: the header, row count bounds, duplicate rows, a row-count drop against the
feed's previous delivered file, and custom row rules over whole chunks.

``duplicate_rows`` and ``custom`` are row predicates (DataFrame -> boolean Series) run inside the
pandera schema; ``header``, ``row_count`` and ``row_count_drop`` judge the file as a whole and
are decided here from the header and the final row count.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pandas as pd

from pvt_dagster.config import FileRuleConfig
from pvt_dagster.masking import has_pii, mask_value
from pvt_dagster.validation.valuerules import SeenHashes, as_mask, as_objects, load_callable

RowPredicate = Callable[[pd.DataFrame], pd.Series]
ROW_RULES = frozenset({"duplicate_rows", "custom"})
_COLUMN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_ .()-]{0,63}")


def row_predicate(rule: FileRuleConfig) -> RowPredicate:
    """The per-row predicate of a duplicate_rows or custom file rule (True = ok)."""
    if rule.rule == "duplicate_rows":
        seen = SeenHashes()

        def no_repeat(frame: pd.DataFrame) -> pd.Series:
            hashes = pd.util.hash_pandas_object(frame, index=False).to_numpy()
            return pd.Series(~seen.repeats(hashes), index=frame.index)

        return no_repeat
    ref = str(rule.function)
    function = load_callable(ref)
    return lambda frame: as_mask(function(as_objects(frame)), frame.index, ref)


def looks_like_column_name(name: str) -> bool:
    """Whether a header cell reads like a column name (not a number, date, SSN or phone)."""
    return bool(_COLUMN_NAME.fullmatch(name)) and not has_pii(name)


def header_problems(rule: FileRuleConfig, declared: list[str], seen: list[str]) -> list[str]:
    """What is wrong with the header (column names, never data); empty when it is right."""
    problems: list[str] = []
    missing = [c for c in declared if c not in seen]
    extra = [c for c in seen if c not in declared]
    if missing:
        problems.append("missing: " + ", ".join(missing))
    if extra and not rule.extra_columns:
        # A header with none of the declared names may be a row of data: never show it.
        trusted = len(missing) < len(declared)
        problems.append("not declared: " + ", ".join(
            c if trusted and looks_like_column_name(c) else mask_value(c) for c in extra))
    if rule.order == "strict" and not missing:
        order = [c for c in seen if c in declared]
        if order != declared:
            problems.append("out of order: expected " + ", ".join(declared)
                            + "; found " + ", ".join(order))
    return problems


def row_count_problem(rule: FileRuleConfig, rows: int) -> str | None:
    """Why the row count is out of bounds, or None."""
    if rule.min is not None and rows < rule.min:
        return f"{rows} rows, fewer than the minimum {rule.min}"
    if rule.max is not None and rows > rule.max:
        return f"{rows} rows, more than the maximum {rule.max}"
    return None


def drop_problem(rule: FileRuleConfig, rows: int, previous: int | None) -> tuple[bool, str]:
    """(passed, message) of a row_count_drop rule against the previous delivered file's rows."""
    if previous is None:
        return True, "passed: no previous delivered file to compare with"
    if previous == 0:
        return True, f"passed: the previous delivered file had 0 rows ({rows} now)"
    drop = (previous - rows) * 100.0 / previous
    limit = float(rule.max_drop_percent or 0.0)
    text = f"{rows} rows against {previous} in the previous delivered file"
    if drop > limit:
        return False, f"{text}: a drop of {drop:.1f}%, more than {limit:g}%"
    return True, f"passed: {text} ({max(drop, 0.0):.1f}% drop, limit {limit:g}%)"

