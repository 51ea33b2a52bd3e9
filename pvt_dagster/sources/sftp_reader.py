"""A bounded-memory, prefetching reader over a paramiko SFTP file: it asks for one window of
the file at a time (many read requests in flight), so throughput stays high and memory stays
at about one window however large the file is. Past the size it was opened with, it goes on
reading without prefetch until the end of the file, so a file that grows while it is read is
seen growing (the transfer stops it at its listed size) instead of being cut short."""

from __future__ import annotations

import io
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

WINDOW = 8 * 1024 * 1024  # bytes requested ahead of the reader
PIECE = 256 * 1024  # bytes handed out per read (paramiko joins 32 KiB blocks below this)


class PrefetchReader(io.RawIOBase):
    """Reads an open SFTP file of ``size`` bytes, prefetching window by window (and reading on
    without prefetch past ``size`` until the end of the file)."""

    def __init__(self, handle: Any, size: int,
                 translate: Callable[[], AbstractContextManager[None]],
                 window: int = WINDOW) -> None:
        super().__init__()
        self._handle, self._size, self._translate = handle, size, translate
        self._window, self._pos, self._window_end = window, 0, 0
        self._ended = False

    def readable(self) -> bool:
        """Always readable."""
        return True

    def readinto(self, buffer: Any) -> int:
        """Fill ``buffer`` with the next bytes; 0 at the end of the file."""
        if self._pos >= self._size:
            return self._read_past_size(buffer)
        with self._translate():
            if self._pos >= self._window_end:
                self._window_end = min(self._size, self._pos + self._window)
                self._handle.prefetch(self._window_end)
            want = min(len(buffer), self._window_end - self._pos, PIECE)
            data = self._handle.read(want)
        n = len(data)
        if n == 0:
            self._size = self._pos  # shorter than listed: the caller sees the size differ
            self._ended = True
            return 0
        buffer[:n] = data
        self._pos += n
        return n

    def _read_past_size(self, buffer: Any) -> int:
        """Bytes beyond the size the file was opened with (it grew); 0 at its real end."""
        if self._ended:
            return 0
        with self._translate():
            data = self._handle.read(min(len(buffer), PIECE))
        n = len(data)
        if n == 0:
            self._ended = True
            return 0
        buffer[:n] = data
        self._pos += n
        return n
