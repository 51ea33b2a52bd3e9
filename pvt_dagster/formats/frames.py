"""What every reader shares: chunks are DataFrames of strings (object dtype) indexed by the
1-based data row ``_row``; header names are made unique; encodings and undecodable lines."""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from pathlib import Path
from typing import IO, AnyStr

import numpy as np
import pandas as pd

from pvt_dagster.errors import ParseError

CHUNK_ROWS = 50_000  # rows per chunk that validation and scrubbing read by default
ROW_INDEX = "_row"


def effective_encoding(encoding: str) -> str:
    """The codec to read with: ``utf-8-sig`` for UTF-8 so a byte-order mark is accepted."""
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        raise ParseError(f"unknown encoding {encoding!r}") from None
    return "utf-8-sig" if name == "utf-8" else name


def decode_error_line(path: Path, encoding: str) -> int | None:
    """The 1-based physical line of the first byte that does not decode, streaming the file."""
    line = 1
    try:
        decoder = codecs.getincrementaldecoder(encoding)()
        with path.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                buffered = decoder.getstate()[0]
                try:
                    decoder.decode(block)
                except UnicodeDecodeError as exc:
                    return line + block[: max(exc.start - len(buffered), 0)].count(b"\n")
                line += block.count(b"\n")
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return line
    except Exception:
        return None
    return None


def dedupe(names: list[str]) -> list[str]:
    """Header names made unique the way pandas does: ``a``, ``a.1``, ``a.2``."""
    seen: dict[str, int] = {}
    out: list[str] = []
    for name in names:
        candidate = name
        while candidate in seen:
            seen[name] += 1
            candidate = f"{name}.{seen[name]}"
        seen.setdefault(name, 0)
        seen[candidate] = 0
        out.append(candidate)
    return out


def frame(rows: list[list[str]], columns: list[str], start: int) -> pd.DataFrame:
    """A chunk DataFrame (object dtype) with the ``_row`` index starting at ``start``."""
    index = pd.RangeIndex(start, start + len(rows), name=ROW_INDEX)
    if not rows:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in columns}, index=index)
    return pd.DataFrame(np.array(rows, dtype=object), columns=columns, index=index)


def bounded_lines(fh: IO[AnyStr], limit: int, *, first_line: int = 1) -> Iterator[AnyStr]:
    """The lines of ``fh`` (binary or text), none read past ``limit`` bytes (characters for
    text): a longer line is a ParseError naming it, so memory stays bounded whatever the file."""
    line_no = first_line
    while line := fh.readline(limit + 1):
        if len(line) > limit and line[-1:] not in ("\n", "\r", b"\n", b"\r"):
            raise ParseError(f"the line is longer than {limit} bytes (max_line_bytes); a file "
                             "without line breaks, or one enormous field?", line=line_no)
        yield line
        line_no += 1
