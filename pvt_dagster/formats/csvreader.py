"""Chunked CSV reading: the csv module tokenizes, each chunk is a pandas DataFrame of strings.

Why not ``pd.read_csv(chunksize=...)``: pandas' C parser does not check the field count of the
first row of each chunk and silently truncates it when it is too long (pandas-dev/pandas#11569,
open in pandas 2.3), and pads short rows with empty values. A file of PII must not lose fields
quietly, so the tokenizer is Python's ``csv`` (C-implemented, strict quoting) and every row must
have exactly the header's number of fields. Chunks are still pandas DataFrames (object dtype,
every value a ``str``, no NA conversion), indexed by the 1-based data row number ``_row``.

Blank lines are not records. Field size is capped by ``csv.field_size_limit`` (128 KiB by
default), so an unclosed quote cannot swallow the file into memory, and no line is read past
the format's ``max_line_bytes``. Errors are ParseErrors with
our own reason and the physical line where the record starts, never the data.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pvt_dagster.config import CsvFormat
from pvt_dagster.errors import ParseError
from pvt_dagster.formats.frames import (
    bounded_lines,
    decode_error_line,
    dedupe,
    effective_encoding,
    frame,
)


def _csv_reason(exc: csv.Error) -> str:
    """Our own wording of a csv module error (never its text, whatever it holds)."""
    text = str(exc)
    if "unexpected end of data" in text:
        return "a quoted field is not closed before the end of the file"
    if "field larger than field limit" in text:
        return f"a field is longer than {csv.field_size_limit()} characters (unclosed quote?)"
    if "expected after" in text:
        return "unexpected characters after a closing quote"
    if "NUL" in text:
        return "the file contains NUL bytes"
    return "malformed CSV"


def _blank(row: list[str], width: int | None) -> bool:
    """Whether a record is a blank line (not data): no field, or one blank field in a wider file."""
    if not row:
        return True
    return len(row) == 1 and not row[0].strip() and (width is None or width > 1)


@dataclass
class CsvState:
    """Where a reader is: the record width and names once known, the data row number of the
    next record, and the physical line where the next unread line starts."""

    width: int | None = None
    columns: list[str] = field(default_factory=list)
    next_row: int = 1
    next_line: int = 1


def strict_records(lines: Iterable[str], fmt: CsvFormat, state: CsvState, *, path: Path,
                   columns_hint: Sequence[str] | None = None) -> Iterator[list[str]]:
    """Data records from ``lines`` with the csv module (the header goes into ``state``);
    ParseError with the physical line for a malformed record, a wrong width or bad bytes."""
    reader = csv.reader(lines, delimiter=fmt.delimiter, quotechar=fmt.quotechar,
                        doublequote=True, strict=True)
    base = state.next_line - 1
    line = state.next_line  # physical line where the next record starts
    try:
        for row in reader:
            row_line, line = line, base + reader.line_num + 1
            state.next_line = line
            if _blank(row, state.width):
                continue
            if state.width is None:
                state.width = len(row)
                state.columns = _names(row, fmt.header, columns_hint)
                if fmt.header:
                    continue
            if len(row) != state.width:
                raise ParseError(f"expected {state.width} fields, saw {len(row)}", line=row_line)
            yield row
    except UnicodeError:  # UTF-16 without a byte-order mark too
        encoding = effective_encoding(fmt.encoding)
        raise ParseError(f"the file is not valid {fmt.encoding} text",
                         line=decode_error_line(path, encoding)) from None
    except csv.Error as exc:
        raise ParseError(_csv_reason(exc), line=line) from None


def read_csv_chunks(
    path: str | os.PathLike[str],
    fmt: CsvFormat,
    *,
    chunk_rows: int = 100_000,
    columns_hint: Sequence[str] | None = None,
) -> Iterator[pd.DataFrame]:
    """Yield DataFrames of strings (index ``_row``: 1-based data row); at least one, maybe empty."""
    path = Path(path)
    encoding = effective_encoding(fmt.encoding)
    if path.stat().st_size == 0:
        raise ParseError("file is empty")
    chunk_rows = max(int(chunk_rows), 1)
    state = CsvState()
    rows: list[list[str]] = []
    with path.open("r", encoding=encoding, newline="") as fh:
        lines = bounded_lines(fh, fmt.max_line_bytes)
        for row in strict_records(lines, fmt, state, path=path, columns_hint=columns_hint):
            rows.append(row)
            if len(rows) >= chunk_rows:
                chunk = frame(rows, state.columns, state.next_row)
                state.next_row += len(rows)
                rows = []
                yield chunk
    if state.width is None:
        raise ParseError("file has no header and no data (only blank lines)")
    if rows or state.next_row == 1:
        yield frame(rows, state.columns, state.next_row)


def _names(row: list[str], header: bool, hint: Sequence[str] | None) -> list[str]:
    """The header's names (made unique), or for a headerless file the hinted names in order."""
    if header:
        return dedupe(row)
    names = list(hint or [])
    return [names[i] if i < len(names) else f"column_{i + 1}" for i in range(len(row))]
