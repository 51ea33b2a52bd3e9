"""One entry point for every file format: chunks of strings indexed by the data row ``_row``."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence

import pandas as pd

from pvt_dagster.config import CsvFormat, ExcelFormat, FileFormat, FixedWidthFormat
from pvt_dagster.formats.excel import read_excel_chunks
from pvt_dagster.formats.fastcsv import read_csv_fast
from pvt_dagster.formats.fixed import read_fixed_chunks


def read_chunks(
    path: str | os.PathLike[str],
    fmt: FileFormat,
    *,
    chunk_rows: int = 100_000,
    columns_hint: Sequence[str] | None = None,
) -> Iterator[pd.DataFrame]:
    """Yield DataFrames of strings (index ``_row``); at least one, maybe empty; ParseError with
    the line and reason when the file cannot be parsed."""
    if isinstance(fmt, CsvFormat):
        return read_csv_fast(path, fmt, chunk_rows=chunk_rows, columns_hint=columns_hint)
    if isinstance(fmt, FixedWidthFormat):
        return read_fixed_chunks(path, fmt, chunk_rows=chunk_rows)
    if isinstance(fmt, ExcelFormat):
        return read_excel_chunks(path, fmt, chunk_rows=chunk_rows,
                                 columns_hint=list(columns_hint or []))
    raise TypeError(f"unknown format {type(fmt).__name__}")
