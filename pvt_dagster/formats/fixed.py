"""Fixed-width reading: one record a line, fields cut at the configured character positions.

A line longer than the layout is an error (data beyond the last field would be lost); a shorter
line is accepted when trailing padding was trimmed, its missing fields read as empty. Blank
lines are not records. Chunks are DataFrames of strings indexed by the 1-based data row
``_row``, like the CSV reader's.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from pvt_dagster.config import FixedWidthFormat
from pvt_dagster.errors import ParseError
from pvt_dagster.formats.frames import (
    bounded_lines,
    decode_error_line,
    effective_encoding,
    frame,
)


def read_fixed_chunks(path: str | os.PathLike[str], fmt: FixedWidthFormat, *,
                      chunk_rows: int = 100_000) -> Iterator[pd.DataFrame]:
    """Yield DataFrames of strings cut from each line; at least one, maybe empty."""
    path = Path(path)
    encoding = effective_encoding(fmt.encoding)
    if path.stat().st_size == 0:
        raise ParseError("file is empty")
    names = [c.name for c in fmt.columns]
    spans = [(c.start - 1, c.stop) for c in fmt.columns]
    width = max(stop for _, stop in spans)
    rows: list[list[str]] = []
    start, skip_header = 1, fmt.header
    try:
        with path.open("r", encoding=encoding, newline="") as fh:
            for line_no, raw in enumerate(bounded_lines(fh, fmt.max_line_bytes), start=1):
                line = raw.rstrip("\r\n")
                if skip_header:
                    skip_header = False
                    continue
                if not line.strip():
                    continue
                if len(line) > width:
                    raise ParseError(f"the line has {len(line)} characters, the layout ends at "
                                     f"{width}", line=line_no)
                if fmt.strip:
                    rows.append([line[a:b].strip() for a, b in spans])
                else:
                    rows.append([line[a:b] for a, b in spans])
                if len(rows) >= chunk_rows:
                    yield frame(rows, names, start)
                    start += len(rows)
                    rows = []
    except UnicodeError:
        raise ParseError(f"the file is not valid {fmt.encoding} text",
                         line=decode_error_line(path, encoding)) from None
    if rows or start == 1:
        yield frame(rows, names, start)


__all__ = ["read_fixed_chunks"]
