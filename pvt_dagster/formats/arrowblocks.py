"""Blocks of whole lines cut from a CSV file's bytes exactly where the strict line-by-line
reading of ``formats.fastcsv`` cuts them (a first block of ``FIRST_BLOCK`` lines, then
``size`` lines or ``MAX_BLOCK_BYTES``), but found with numpy on large reads instead of one
``readline`` per line. Where a line is longer than ``max_line_bytes`` the rest of the file is
cut by ``bounded_lines`` itself, so the same ParseError comes at the same point.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

import numpy as np

from pvt_dagster.formats.fastcsv import FIRST_BLOCK, MAX_BLOCK_BYTES, line_blocks
from pvt_dagster.formats.frames import bounded_lines

READ_BYTES = 8 * 1024 * 1024


class Blocks:
    """Iterates ``(raw bytes, line count)`` blocks of a binary file; ``offset`` is the byte
    position just after the last block handed out (for a caller that reads on by itself)."""

    def __init__(self, fh: BinaryIO, size: int, limit: int) -> None:
        self.fh, self.size, self.limit = fh, size, limit
        self.offset = 0
        self.line = 1  # physical line number at ``offset``
        self.buffer = b""
        self.eof = False
        self.first = True
        #: Bytes of the longest line of the last block (with its newline).
        self.longest = 0

    def __iter__(self) -> Iterator[tuple[bytes, int]]:
        """The blocks, in order."""
        if self.first:
            self.first = False
            lines = [line for _, line in zip(range(FIRST_BLOCK), self._slow_lines(), strict=False)]
            if not lines:
                return
            raw = b"".join(lines)
            self.offset += len(raw)
            self.line += len(lines)
            self.longest = max(len(line) for line in lines)
            yield raw, len(lines)
        while True:
            block = self._next_fast()
            if block is None:
                break
            if not block[1]:
                return
            yield block
        yield from self._slow_rest()

    def _fill(self, need: int) -> None:
        """Read until the buffer holds ``need`` bytes or the file ends."""
        parts = [self.buffer]
        held = len(self.buffer)
        while held < need and not self.eof:
            data = self.fh.read(max(READ_BYTES, need - held))
            if not data:
                self.eof = True
                break
            parts.append(data)
            held += len(data)
        self.buffer = b"".join(parts)

    def _next_fast(self) -> tuple[bytes, int] | None:
        """The next block from the buffer; None when a line is too long (slow path takes over),
        ``(b"", 0)`` at the end of the file."""
        self._fill(MAX_BLOCK_BYTES + self.limit + 2)
        data = self.buffer
        if not data:
            return b"", 0
        view = np.frombuffer(data, dtype=np.uint8)
        ends = np.flatnonzero(view == 10) + 1  # exclusive end of each complete line
        if self.eof and (not len(ends) or ends[-1] != len(data)):
            ends = np.append(ends, len(data))  # the last line has no newline
        if not len(ends):
            return None  # one line longer than the whole read: only possible past the limit
        lengths = np.diff(ends, prepend=0)
        # The block ends after ``size`` lines or at the line that brings it to MAX_BLOCK_BYTES.
        count = min(self.size, len(ends))
        over = np.flatnonzero(ends[:count] >= MAX_BLOCK_BYTES)
        if len(over):
            count = int(over[0]) + 1
        elif count < self.size and not self.eof:
            return None  # cannot happen with the read size above; be exact anyway
        longest = int(lengths[:count].max())
        if longest > self.limit:
            return None
        self.longest = longest
        end = int(ends[count - 1])
        raw, self.buffer = data[:end], data[end:]
        self.offset += end
        self.line += count
        return raw, count

    def _slow_lines(self) -> Iterator[bytes]:
        """Lines by ``bounded_lines`` from ``offset`` on (the file positioned there)."""
        self.fh.seek(self.offset)
        self.buffer, self.eof = b"", False
        return bounded_lines(self.fh, self.limit, first_line=self.line)

    def _slow_rest(self) -> Iterator[tuple[bytes, int]]:
        """Blocks cut by ``bounded_lines`` from ``offset`` to the end of the file."""
        for block in line_blocks(self._slow_lines(), self.size):
            raw = b"".join(block)
            self.offset += len(raw)
            self.line += len(block)
            self.longest = max(len(line) for line in block)
            yield raw, len(block)
