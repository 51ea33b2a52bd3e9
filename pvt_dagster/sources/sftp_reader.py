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
PIECE = 256 * 1024  # bytes handed out per read when the handle does not say its request size


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
        # One read request's worth per read: paramiko hands its prefetched block over as it is;
        # any other size makes it split and join blocks (a copy of every byte, measured 10-15%).
        self._piece = int(getattr(handle, "MAX_REQUEST_SIZE", PIECE))

    def readable(self) -> bool:
        """Always readable."""
        return True

    def read(self, size: int | None = -1) -> bytes:
        """The next bytes (at most ``size``, at most one read request's worth, without copying
        them); empty at the end of the file."""
        limit = self._piece if size is None or size < 0 else min(size, self._piece)
        if limit == 0:
            return b""
        if self._pos >= self._size:
            return self._read_past_size(limit)
        with self._translate():
            if self._pos >= self._window_end:
                self._window_end = min(self._size, self._pos + self._window)
                self._handle.prefetch(self._window_end)
            data: bytes = self._handle.read(min(limit, self._window_end - self._pos))
        if not data:
            self._size = self._pos  # shorter than listed: the caller sees the size differ
            self._ended = True
            return b""
        self._pos += len(data)
        return data

    def readinto(self, buffer: Any) -> int:
        """Fill ``buffer`` with the next bytes; 0 at the end of the file."""
        data = self.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)

    def _read_past_size(self, limit: int) -> bytes:
        """Bytes beyond the size the file was opened with (it grew); empty at its real end."""
        if self._ended:
            return b""
        with self._translate():
            data: bytes = self._handle.read(limit)
        if not data:
            self._ended = True
            return b""
        self._pos += len(data)
        return data
