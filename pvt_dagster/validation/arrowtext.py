"""Arrow string kernels with Python's exact semantics: whitespace as ``str.isspace`` sees it,
``str.strip``, and a per-distinct-value fallback for what no kernel does the Python way.

Rules and scrub actions take a pandas Series of strings (object or ``ArrowDtype``); here it
becomes a pyarrow array of strings (zero-copy for ``ArrowDtype``) and results go back the
same way. Arrow's own whitespace and case kernels follow Unicode tables that differ from
Python's (``\\x1c`` is space to Python, ``ß`` upper-cases to ``SS``), so only kernels whose
result is provably the same are used, and ASCII-only kernels run only on ASCII values.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pvt_dagster.formats import STRING

#: Every character ``str.isspace`` accepts (tested against all code points).
PY_WHITESPACE = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004"
                 "\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
_SPACE_CLASS = "".join(f"\\x{{{ord(c):x}}}" for c in PY_WHITESPACE)
_ALL_SPACE = f"^[{_SPACE_CLASS}]*$"


def as_arrow(values: pd.Series | pa.Array | pa.ChunkedArray) -> pa.Array:
    """The values as one pyarrow string array (no copy for an ``ArrowDtype`` Series)."""
    if isinstance(values, pa.ChunkedArray):
        array = values.combine_chunks()
    elif isinstance(values, pa.Array):
        array = values
    elif isinstance(values.dtype, pd.ArrowDtype):
        array = values.array.__arrow_array__().combine_chunks()
    else:
        array = pa.array(values.to_numpy(dtype=object), type=STRING, from_pandas=True)
    if not pa.types.is_large_string(array.type):
        array = array.cast(STRING)
    return array


def as_series(array: pa.Array | pa.ChunkedArray, like: pd.Series) -> pd.Series:
    """A result array as a Series on ``like``'s index, in ``like``'s kind (object stays object)."""
    if isinstance(like.dtype, pd.ArrowDtype):
        return pd.Series(pd.arrays.ArrowExtensionArray(array), index=like.index, name=like.name)
    return pd.Series(array.to_numpy(zero_copy_only=False), index=like.index,
                     name=like.name, dtype=object)


def as_bools(mask: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A boolean Arrow array as a numpy bool array (nulls as False)."""
    filled = pc.fill_null(mask, False)
    return np.asarray(filled.to_numpy(zero_copy_only=False), dtype=bool)


def is_blank(array: pa.Array) -> pa.Array:
    """True where a value is empty or only whitespace (``str.isspace``'s whitespace)."""
    return pc.match_substring_regex(array, _ALL_SPACE)


def strip(array: pa.Array) -> pa.Array:
    """``str.strip()`` of every value."""
    return pc.utf8_trim(array, characters=PY_WHITESPACE)


def non_ascii(array: pa.Array) -> np.ndarray:
    """Positions of values with a character beyond ASCII (where ASCII kernels do not apply)."""
    return np.flatnonzero(~as_bools(pc.string_is_ascii(array)))


def per_value(array: pa.Array, function: Callable[[str], Any], out: pa.DataType = STRING,
              ) -> pa.Array:
    """``function`` applied in Python once per distinct value (a dictionary encoding)."""
    encoded = pc.dictionary_encode(array)
    results = pa.array([function(v) for v in encoded.dictionary.to_pylist()], type=out)
    return results.take(encoded.indices)


def ascii_or_python(array: pa.Array, kernel: Callable[[pa.Array], pa.Array],
                    function: Callable[[str], Any], out: pa.DataType = STRING) -> pa.Array:
    """``kernel`` on the ASCII values (where it equals ``function``), ``function`` in Python on
    the others."""
    result = kernel(array)
    others = non_ascii(array)
    if not len(others):
        return result
    fixed = per_value(array.take(others), function, out)
    mask = np.zeros(len(array), dtype=bool)
    mask[others] = True
    replaced: pa.Array = pc.replace_with_mask(result, pa.array(mask), fixed)
    return replaced
