"""A job output's ``columns`` contract: each column present, of its dtype family, and maybe
non-null. The same dtype tests back the dagster-pandas type the UI shows (``defs``), so the
check here (which runs before anything is written) and the UI's type check always agree."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pandas as pd
from pandas.api import types as ptypes

from pvt_dagster.config import OutputColumn
from pvt_dagster.errors import ContractError


def is_string_column(dtype: object) -> bool:
    """Text: pandas string dtypes, or object columns (how text is read)."""
    return bool(ptypes.is_string_dtype(dtype) or ptypes.is_object_dtype(dtype))


def is_float_column(dtype: object) -> bool:
    """Floating point numbers."""
    return bool(ptypes.is_float_dtype(dtype))


def is_int_column(dtype: object) -> bool:
    """Integers."""
    return bool(ptypes.is_integer_dtype(dtype))


def is_bool_column(dtype: object) -> bool:
    """Booleans."""
    return bool(ptypes.is_bool_dtype(dtype))


def is_datetime_column(dtype: object) -> bool:
    """Timestamps, with or without a time zone."""
    return bool(ptypes.is_datetime64_any_dtype(dtype))


#: The dtype family of each ``dtype:`` value (``any`` has no test).
DTYPE_TESTS: dict[str, Callable[[object], bool]] = {
    "string": is_string_column, "float": is_float_column, "int": is_int_column,
    "bool": is_bool_column, "datetime": is_datetime_column,
}


def contract_problems(frame: pd.DataFrame, columns: Mapping[str, OutputColumn]) -> list[str]:
    """Every way ``frame`` breaks the contract (no values are quoted: only names, dtypes and
    counts)."""
    problems = []
    for name, column in columns.items():
        if name not in frame.columns:
            problems.append(f"column {name} is missing")
            continue
        test = DTYPE_TESTS.get(column.dtype)
        if test is not None and not test(frame[name].dtype):
            problems.append(f"column {name} should be {column.dtype} but is {frame[name].dtype}")
        if column.non_null:
            nulls = int(frame[name].isna().sum())
            if nulls:
                problems.append(f"column {name} has {nulls} null value(s)")
    return problems


def check_contract(frames: Mapping[str, pd.DataFrame], columns: Mapping[str, OutputColumn],
                   *, job: str) -> None:
    """ContractError naming every problem of every output frame (none if no contract)."""
    if not columns:
        return
    problems = []
    for label, frame in frames.items():
        where = f" (output {label})" if label else ""
        problems += [p + where for p in contract_problems(frame, columns)]
    if problems:
        raise ContractError(f"job {job}: output breaks its columns contract: "
                            + "; ".join(problems[:10])
                            + (f"; and {len(problems) - 10} more" if len(problems) > 10 else ""))
