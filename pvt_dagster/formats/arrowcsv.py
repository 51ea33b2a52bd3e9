"""Chunks of a file as pandas frames of Arrow strings (``ArrowDtype``), index ``_row``.

CSV in a byte-safe encoding is read the way ``formats.fastcsv`` reads it, block for block
(``arrowblocks``), with the same test for a trivially unambiguous block (no quote, NUL or lone
CR, every line of ``width`` fields, none longer than the csv field limit); such a
block is parsed by pyarrow's multithreaded CSV reader, which on those bytes can only give the
same fields. Every other block goes through the strict csv-module reader
(``formats.csvreader.strict_records``), so rows, blank-line handling, row numbers and
ParseErrors are the ones the pandas engine gives. Other formats and encodings are read by
``formats.read_chunks`` and converted.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable, Iterator, Sequence
from itertools import chain
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from pvt_dagster.config import CsvFormat, FileFormat
from pvt_dagster.errors import ParseError
from pvt_dagster.formats.arrowblocks import Blocks
from pvt_dagster.formats.chunks import read_chunks
from pvt_dagster.formats.csvreader import CsvState, strict_records
from pvt_dagster.formats.fastcsv import BYTE_SAFE, MAX_CARRY_BLOCKS
from pvt_dagster.formats.frames import (
    ROW_INDEX,
    bounded_lines,
    decode_error_line,
    effective_encoding,
)

#: Rows per chunk: Arrow strings take about a third of the memory of Python ones, and pandera's
#: fixed cost per check and chunk favours fewer chunks (about 20 MB for 12 short columns).
ARROW_CHUNK_ROWS = 100_000
#: The Arrow type of every value read (large: a chunk's text may pass 2 GiB offsets).
STRING = pa.large_string()


def table_frame(table: pa.Table, start: int) -> pd.DataFrame:
    """A chunk frame of ``ArrowDtype`` strings with the ``_row`` index starting at ``start``."""
    data = table.to_pandas(types_mapper=pd.ArrowDtype)
    data.index = pd.RangeIndex(start, start + table.num_rows, name=ROW_INDEX)
    return data


def rows_table(rows: list[list[str]], columns: list[str]) -> pa.Table:
    """Records (lists of ``str``) as a table of Arrow strings."""
    if not rows:
        return pa.table({c: pa.array([], type=STRING) for c in columns})
    return pa.table({c: pa.array(list(v), type=STRING)
                     for c, v in zip(columns, zip(*rows, strict=True), strict=True)})


def frame_table(data: pd.DataFrame) -> pa.Table:
    """A pandas chunk of ``str`` values as a table of Arrow strings."""
    return pa.table({str(c): pa.array(data[c].to_numpy(dtype=object), type=STRING)
                     for c in data.columns})


class _Rechunk:
    """Tables of any size regrouped into tables of exactly ``size`` rows (the last may be short)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.parts: list[pa.Table] = []
        self.rows = 0
        self.start = 1
        self.emitted = False

    def add(self, table: pa.Table) -> Iterator[pd.DataFrame]:
        """Buffer ``table``; yield every full chunk."""
        if not table.num_rows:
            return
        self.parts.append(table)
        self.rows += table.num_rows
        if self.rows < self.size:
            return
        whole = pa.concat_tables(self.parts) if len(self.parts) > 1 else self.parts[0]
        full = self.rows // self.size * self.size
        for offset in range(0, full, self.size):
            self.emitted = True
            yield table_frame(whole.slice(offset, self.size), self.start)
            self.start += self.size
        rest = whole.slice(full)
        self.parts, self.rows = ([rest] if rest.num_rows else []), rest.num_rows

    def flush(self, columns: list[str]) -> Iterator[pd.DataFrame]:
        """The last, short chunk; an empty one if nothing was yielded at all."""
        if self.parts:
            yield table_frame(pa.concat_tables(self.parts), self.start)
        elif not self.emitted:
            yield table_frame(rows_table([], columns), self.start)


def _fast_table(raw: bytes, lines: int, longest: int, fmt: CsvFormat, state: CsvState,
                codec: str) -> pa.Table | None:
    """The block parsed by pyarrow when it is unambiguous, else None. pyarrow itself refuses
    a non-blank line without exactly ``width`` fields, and the row count must equal the line
    count."""
    width = state.width or 0
    if width < 2 or not raw:
        return None
    if (fmt.quotechar.encode() in raw or b"\x00" in raw
            or raw.count(b"\r") != raw.count(b"\r\n")):
        return None
    if longest > csv.field_size_limit():
        return None
    if b"\n\n" in raw or b"\n\r\n" in raw or raw[:1] == b"\n" or raw[:2] == b"\r\n":
        return None  # a blank line (pyarrow would read it as a row of empty fields)
    names = [f"f{i}" for i in range(width)]
    try:
        table = pacsv.read_csv(
            io.BytesIO(raw),
            read_options=pacsv.ReadOptions(column_names=names,
                                           encoding="utf8" if codec == "utf-8" else codec,
                                           block_size=4 << 20),
            parse_options=pacsv.ParseOptions(delimiter=fmt.delimiter, quote_char=False,
                                             double_quote=False, escape_char=False,
                                             newlines_in_values=False,
                                             ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(column_types=dict.fromkeys(names, STRING),
                                                 strings_can_be_null=False,
                                                 quoted_strings_can_be_null=False))
    except (pa.ArrowInvalid, UnicodeDecodeError, ValueError):
        return None  # bytes that do not decode: the strict reader names the line
    if table.num_rows != lines:
        return None
    return table.rename_columns(state.columns)


def _text_lines(raw: bytes, codec: str, path: Path, fmt: CsvFormat) -> list[str]:
    """Decoded lines split as text mode with ``newline=""`` splits them (\\n, \\r, \\r\\n)."""
    try:
        return list(io.StringIO(raw.decode(codec), newline=""))
    except UnicodeDecodeError:
        raise ParseError(f"the file is not valid {fmt.encoding} text",
                         line=decode_error_line(path, effective_encoding(fmt.encoding))) from None


def _strict_table(lines: Iterable[str], fmt: CsvFormat, state: CsvState, path: Path,
                  hint: Sequence[str] | None) -> pa.Table:
    """A block read by the strict reader."""
    rows = list(strict_records(lines, fmt, state, path=path, columns_hint=hint))
    state.next_row += len(rows)
    return rows_table(rows, state.columns)


def _strict_rest(lines: Iterable[str], fmt: CsvFormat, state: CsvState, path: Path,
                 hint: Sequence[str] | None, size: int) -> Iterator[pa.Table]:
    """Everything from ``lines`` on with the strict reader, in tables of ``size`` rows."""
    rows: list[list[str]] = []
    for row in strict_records(lines, fmt, state, path=path, columns_hint=hint):
        rows.append(row)
        if len(rows) >= size:
            state.next_row += len(rows)
            yield rows_table(rows, state.columns)
            rows = []
    if rows:
        state.next_row += len(rows)
        yield rows_table(rows, state.columns)


def read_arrow_chunks(path: str | os.PathLike[str], fmt: FileFormat, *, chunk_rows: int,
                      columns_hint: Sequence[str] | None = None) -> Iterator[pd.DataFrame]:
    """Yield frames of Arrow strings (index ``_row``); at least one, maybe empty; ParseError
    with the line and reason when the file cannot be parsed (as ``formats.read_chunks``)."""
    path = Path(path)
    if isinstance(fmt, CsvFormat):
        encoding = effective_encoding(fmt.encoding)
        if encoding in BYTE_SAFE and fmt.delimiter.isascii() and fmt.quotechar.isascii():
            return _read_csv(path, fmt, encoding, max(int(chunk_rows), 1), columns_hint)
    return (_converted(data) for data in read_chunks(path, fmt, chunk_rows=chunk_rows,
                                                      columns_hint=columns_hint))


def _converted(data: pd.DataFrame) -> pd.DataFrame:
    """A pandas chunk of ``str`` values as a chunk of Arrow strings, same rows and index."""
    out = table_frame(frame_table(data), 1)
    out.index = data.index
    return out


def _read_csv(path: Path, fmt: CsvFormat, encoding: str, size: int,
              hint: Sequence[str] | None) -> Iterator[pd.DataFrame]:
    """The byte-level CSV reader behind ``read_arrow_chunks``."""
    if path.stat().st_size == 0:
        raise ParseError("file is empty")
    codec = "utf-8" if encoding == "utf-8-sig" else encoding  # a BOM only starts the file
    quote = fmt.quotechar.encode()
    state = CsvState()
    out = _Rechunk(size)
    with path.open("rb") as fh:
        blocks = Blocks(fh, size, fmt.max_line_bytes)
        carry: list[bytes] = []
        carry_lines = carried = 0
        for block, count in blocks:
            raw = b"".join(carry) + block if carry else block
            lines = carry_lines + count
            if raw.count(quote) % 2:
                carried += 1
                if carried <= MAX_CARRY_BLOCKS:
                    carry, carry_lines = [raw], lines
                    continue
                head = _text_lines(raw, encoding if state.next_line == 1 else codec, path, fmt)
                fh.seek(blocks.offset)
                rest = bounded_lines(io.TextIOWrapper(fh, encoding=codec, newline=""),
                                     fmt.max_line_bytes, first_line=state.next_line + len(head))
                for table in _strict_rest(chain(head, rest), fmt, state, path, hint, size):
                    yield from out.add(table)
                carry = []
                break
            carry, carry_lines, carried = [], 0, 0
            # (a joined carry holds quotes, so ``longest`` of the last block is enough)
            table = _fast_table(raw, lines, blocks.longest, fmt, state, codec)
            if table is None:
                start = state.next_line == 1  # only the file's start may hold a BOM
                text = _text_lines(raw, encoding if start else codec, path, fmt)
                table = _strict_table(text, fmt, state, path, hint)
            else:
                state.next_row += table.num_rows
                state.next_line += lines
            yield from out.add(table)
        if carry:
            text = _text_lines(b"".join(carry), encoding if state.next_line == 1 else codec,
                               path, fmt)
            yield from out.add(_strict_table(text, fmt, state, path, hint))
    if state.width is None:
        raise ParseError("file has no header and no data (only blank lines)")
    yield from out.flush(state.columns)
