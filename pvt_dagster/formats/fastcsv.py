"""The C-speed CSV path, exactly as strict as the csv-module reader.

The file is read as bytes in blocks of ``chunk_rows`` lines (byte-safe encodings only: UTF-8,
Latin-1, cp1252, ASCII; others use the strict reader throughout). A block is handed to pandas'
C parser (``read_csv`` on that block alone, no ``chunksize``: pandas-dev/pandas#11569 cannot
happen) only when it is trivially unambiguous: no quote character, no NUL, no lone carriage
return, no line longer than the csv field limit, and every line holding exactly ``width - 1``
delimiters (counted with numpy), so each line is one record of the right width and nothing
can be padded, truncated or skipped; bytes that do not decode send it to the strict reader.
Any other block (quoted fields, blank lines, a wrong field count, the header) goes through
the strict csv-module reader (``csvreader.strict_records``), which gives the same rows or the
ParseError with its line. A block whose quote characters are unbalanced is
joined with the next ones (up to 8 blocks), then the rest of the file is read strictly.

Memory is bounded by bytes, not rows: no line is read past ``max_line_bytes`` (a longer one
is a ParseError), and a block ends early once it holds ``MAX_BLOCK_BYTES``.

Both paths yield the same DataFrames: object dtype, every value a ``str``, index ``_row``.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable, Iterator, Sequence
from itertools import chain, islice
from pathlib import Path

import numpy as np
import pandas as pd

from pvt_dagster.config import CsvFormat
from pvt_dagster.errors import ParseError
from pvt_dagster.formats.csvreader import CsvState, read_csv_chunks, strict_records
from pvt_dagster.formats.frames import (
    ROW_INDEX,
    bounded_lines,
    decode_error_line,
    effective_encoding,
    frame,
)

FIRST_BLOCK = 64  # lines read strictly first (the header and a few rows)
MAX_CARRY_BLOCKS = 8
MAX_BLOCK_BYTES = 16 * 1024 * 1024  # a block ends at this many bytes, whatever its line count


#: Codecs whose bytes for newline, CR, NUL and ASCII delimiters and quotes are those bytes and
#: never part of a multi-byte character: lines can be split and fields counted on the bytes.
BYTE_SAFE = frozenset({"utf-8", "utf-8-sig", "ascii", "latin-1", "iso8859-1", "iso8859-15",
                       "cp1252"})


def _fast_block(raw: bytes, lines: int, fmt: CsvFormat, state: CsvState,
                codec: str) -> pd.DataFrame | None:
    """The block parsed by pandas when it is unambiguous (see the module doc), else None."""
    width = state.width or 0
    if width < 2 or not raw:
        return None
    delimiter = ord(fmt.delimiter)
    if (fmt.quotechar.encode() in raw or b"\x00" in raw
            or raw.count(b"\r") != raw.count(b"\r\n")):
        return None
    data = np.frombuffer(raw, dtype=np.uint8)
    ends = np.flatnonzero(data == 10)
    if len(ends) < lines:  # the last line has no newline
        ends = np.append(ends, len(data))
    starts = np.concatenate(([0], ends[:-1] + 1))
    if len(ends) != lines or int((ends - starts).max()) > csv.field_size_limit():
        return None
    per_line = np.bincount(np.searchsorted(ends, np.flatnonzero(data == delimiter)),
                           minlength=lines)
    if len(per_line) != lines or not (per_line == width - 1).all():
        return None
    try:
        frame_ = pd.read_csv(io.BytesIO(raw), sep=fmt.delimiter, header=None,
                             names=range(width), dtype=str, na_filter=False,
                             quoting=csv.QUOTE_NONE, index_col=False, engine="c",
                             skip_blank_lines=False, encoding=codec)
    except (ValueError, pd.errors.ParserError):  # UnicodeDecodeError is a ValueError
        return None
    if len(frame_) != lines:
        return None
    frame_.columns = state.columns
    frame_.index = pd.RangeIndex(state.next_row, state.next_row + lines, name=ROW_INDEX)
    return frame_


def _text_lines(raw: bytes, codec: str, path: Path, fmt: CsvFormat) -> list[str]:
    """Decoded lines split as text mode with ``newline=""`` splits them (\\n, \\r, \\r\\n)."""
    try:
        return list(io.StringIO(raw.decode(codec), newline=""))
    except UnicodeDecodeError:
        raise ParseError(f"the file is not valid {fmt.encoding} text",
                         line=decode_error_line(path, effective_encoding(fmt.encoding))) from None


class _Rechunk:
    """Turns frames of any size into chunks of exactly ``size`` rows (the last may be short)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.parts: list[pd.DataFrame] = []
        self.rows = 0
        self.emitted = False

    def add(self, data: pd.DataFrame) -> Iterator[pd.DataFrame]:
        """Buffer ``data``; yield every full chunk."""
        if not len(data):
            return
        self.parts.append(data)
        self.rows += len(data)
        if self.rows < self.size:
            return
        whole = pd.concat(self.parts) if len(self.parts) > 1 else self.parts[0]
        full = self.rows // self.size * self.size
        for start in range(0, full, self.size):
            self.emitted = True
            yield whole if len(whole) == self.size else whole.iloc[start:start + self.size].copy()
        rest = whole.iloc[full:].copy()
        self.parts, self.rows = ([rest] if len(rest) else []), len(rest)

    def flush(self, state: CsvState) -> Iterator[pd.DataFrame]:
        """The last, short chunk; an empty one if nothing was yielded at all."""
        if self.parts:
            yield pd.concat(self.parts) if len(self.parts) > 1 else self.parts[0]
        elif not self.emitted:
            yield frame([], state.columns, state.next_row)


def _strict_frame(lines: Iterable[str], fmt: CsvFormat, state: CsvState, path: Path,
                  hint: Sequence[str] | None) -> pd.DataFrame:
    """A block read by the strict reader, as one frame."""
    rows = list(strict_records(lines, fmt, state, path=path, columns_hint=hint))
    data = frame(rows, state.columns, state.next_row)
    state.next_row += len(rows)
    return data


def _strict_rest(lines: Iterable[str], fmt: CsvFormat, state: CsvState, path: Path,
                 hint: Sequence[str] | None, size: int) -> Iterator[pd.DataFrame]:
    """Everything from ``lines`` on with the strict reader, in frames of ``size`` rows."""
    rows: list[list[str]] = []
    for row in strict_records(lines, fmt, state, path=path, columns_hint=hint):
        rows.append(row)
        if len(rows) >= size:
            yield frame(rows, state.columns, state.next_row)
            state.next_row += len(rows)
            rows = []
    if rows:
        yield frame(rows, state.columns, state.next_row)
        state.next_row += len(rows)


def _blocks(lines: Iterator[bytes], size: int) -> Iterator[list[bytes]]:
    """Lists of physical lines: a short first one, then ``size`` at a time (fewer once a
    block holds MAX_BLOCK_BYTES)."""
    first = list(islice(lines, FIRST_BLOCK))
    if first:
        yield first
    yield from line_blocks(lines, size)


def line_blocks(lines: Iterator[bytes], size: int) -> Iterator[list[bytes]]:
    """Lists of ``size`` physical lines (fewer once a block holds MAX_BLOCK_BYTES)."""
    while True:
        block: list[bytes] = []
        held = 0
        for line in lines:
            block.append(line)
            held += len(line)
            if len(block) >= size or held >= MAX_BLOCK_BYTES:
                break
        if not block:
            return
        yield block


def read_csv_fast(path: str | os.PathLike[str], fmt: CsvFormat, *, chunk_rows: int = 100_000,
                  columns_hint: Sequence[str] | None = None) -> Iterator[pd.DataFrame]:
    """Yield DataFrames of strings (index ``_row``); at least one, maybe empty. Encodings that
    are not byte-safe (UTF-16, ...) and non-ASCII delimiters or quotes use the strict reader."""
    path = Path(path)
    encoding = effective_encoding(fmt.encoding)
    if (encoding not in BYTE_SAFE or not fmt.delimiter.isascii()
            or not fmt.quotechar.isascii()):
        return read_csv_chunks(path, fmt, chunk_rows=chunk_rows, columns_hint=columns_hint)
    return _read_bytes(path, fmt, encoding, max(int(chunk_rows), 1), columns_hint)


def _read_bytes(path: Path, fmt: CsvFormat, encoding: str, size: int,
                hint: Sequence[str] | None) -> Iterator[pd.DataFrame]:
    """The byte-level reader behind ``read_csv_fast``."""
    if path.stat().st_size == 0:
        raise ParseError("file is empty")
    codec = "utf-8" if encoding == "utf-8-sig" else encoding  # a BOM only starts the file
    quote = fmt.quotechar.encode()
    state = CsvState()
    out = _Rechunk(size)
    with path.open("rb") as fh:
        carry: list[bytes] = []
        carried = 0
        blocks = _blocks(bounded_lines(fh, fmt.max_line_bytes), size)
        for block in blocks:
            lines = carry + block if carry else block
            raw = b"".join(lines)
            if raw.count(quote) % 2:
                carried += 1
                if carried <= MAX_CARRY_BLOCKS:
                    carry = lines
                    continue
                head = _text_lines(raw, encoding if state.next_line == 1 else codec, path, fmt)
                rest = bounded_lines(io.TextIOWrapper(fh, encoding=codec, newline=""),
                                     fmt.max_line_bytes, first_line=state.next_line + len(head))
                text = chain(head, rest)
                for data in _strict_rest(text, fmt, state, path, hint, size):
                    yield from out.add(data)
                carry = []
                break
            carry, carried = [], 0
            data = _fast_block(raw, len(lines), fmt, state, codec)
            if data is None:
                start = state.next_line == 1  # only the file's start may hold a BOM
                text_lines = _text_lines(raw, encoding if start else codec, path, fmt)
                data = _strict_frame(text_lines, fmt, state, path, hint)
            else:
                state.next_row += len(data)
                state.next_line += len(lines)
            yield from out.add(data)
        if carry:
            text_lines = _text_lines(b"".join(carry),
                                     encoding if state.next_line == 1 else codec, path, fmt)
            yield from out.add(_strict_frame(text_lines, fmt, state, path, hint))
    if state.width is None:
        raise ParseError("file has no header and no data (only blank lines)")
    yield from out.flush(state)
