"""Excel reading: an .xlsx sheet streamed row by row with openpyxl's read-only mode.

Cells become strings the way a person reads them: empty cells ``""``, whole numbers without
``.0``, dates as ISO 8601 (``2024-03-01``, or with the time when it is not midnight), booleans
``true``/``false``. Fully empty rows are not records. ``_row`` is the 1-based data row.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Iterator
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import pandas as pd

from pvt_dagster.config import ExcelFormat
from pvt_dagster.errors import ParseError
from pvt_dagster.formats.frames import dedupe, frame


def cell_text(value: Any) -> str:
    """One cell value as text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


def _open_sheet(path: Path, sheet: str | None) -> tuple[Any, Any]:
    """The workbook (read-only) and the named or first sheet; ParseError when unusable."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ParseError(f"not a readable .xlsx workbook ({type(exc).__name__})") from None
    if sheet is None:
        return book, book.worksheets[0]
    if sheet not in book.sheetnames:
        book.close()
        raise ParseError(f"the workbook has no sheet {sheet!r} (sheets: "
                         f"{', '.join(book.sheetnames)})")
    return book, book[sheet]


def read_excel_chunks(path: str | os.PathLike[str], fmt: ExcelFormat, *,
                      chunk_rows: int = 100_000,
                      columns_hint: list[str] | None = None) -> Iterator[pd.DataFrame]:
    """Yield DataFrames of strings from the sheet; at least one, maybe empty."""
    path = Path(path)
    if path.stat().st_size == 0:
        raise ParseError("file is empty")
    book, ws = _open_sheet(path, fmt.sheet)
    try:
        columns: list[str] | None = None
        rows: list[list[str]] = []
        start = 1
        for line, values in enumerate(ws.iter_rows(values_only=True), start=1):
            cells = [cell_text(v) for v in values]
            while cells and cells[-1] == "":
                cells.pop()
            if not cells:
                continue
            if columns is None:
                if fmt.header:
                    columns = dedupe(cells)
                    continue
                hint = list(columns_hint or [])
                columns = [hint[i] if i < len(hint) else f"column_{i + 1}"
                           for i in range(len(cells))]
            if len(cells) > len(columns):
                raise ParseError(f"expected {len(columns)} fields, saw {len(cells)}", line=line)
            rows.append(cells + [""] * (len(columns) - len(cells)))
            if len(rows) >= chunk_rows:
                yield frame(rows, columns, start)
                start += len(rows)
                rows = []
        if columns is None:
            raise ParseError("the sheet has no header and no data")
        if rows or start == 1:
            yield frame(rows, columns, start)
    finally:
        book.close()
