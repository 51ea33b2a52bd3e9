"""A read-only binary stream over an iterator of byte chunks, for sources whose client library
yields chunks (boto3's ``iter_chunks``, requests' ``iter_content``, IMAP partial fetches)."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from typing import BinaryIO, cast

from pvt_dagster.errors import PvtError

Translate = Callable[[Exception], PvtError | None]


class ChunkStream(io.RawIOBase):
    """Bytes of ``chunks`` as a stream; ``translate`` turns library errors into ours (or None
    to let them through); ``on_close`` releases the connection behind the chunks."""

    def __init__(self, chunks: Iterator[bytes], *, translate: Translate,
                 on_close: Callable[[], None] | None = None) -> None:
        super().__init__()
        self._chunks = chunks
        self._translate = translate
        self._on_close = on_close
        self._pending = b""
        self._offset = 0

    def readable(self) -> bool:
        """Always readable until closed."""
        return True

    def _fill(self) -> bool:
        """Make sure some bytes are pending; False at the end of the chunks."""
        while self._offset >= len(self._pending):
            try:
                self._pending, self._offset = next(self._chunks), 0
            except StopIteration:
                return False
            except PvtError:
                raise
            except Exception as exc:
                ours = self._translate(exc)
                if ours is None:
                    raise
                raise ours from exc
        return True

    def read(self, size: int | None = -1) -> bytes:
        """Up to ``size`` bytes (one chunk at most); b"" at the end."""
        if size is None or size < 0:
            return self.readall()
        if size == 0 or not self._fill():
            return b""
        start = self._offset
        end = min(len(self._pending), start + size)
        self._offset = end
        if start == 0 and end == len(self._pending):
            return self._pending
        return self._pending[start:end]

    def readall(self) -> bytes:
        """Every remaining byte (only for small streams)."""
        parts = []
        while chunk := self.read(1 << 20):
            parts.append(chunk)
        return b"".join(parts)

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        """Fill ``buffer`` from the pending chunk; 0 at the end."""
        view = memoryview(buffer).cast("B")
        data = self.read(len(view))
        view[: len(data)] = data
        return len(data)

    def close(self) -> None:
        """Release the connection behind the chunks (once)."""
        if not self.closed and self._on_close is not None:
            on_close, self._on_close = self._on_close, None
            on_close()
        super().close()

    def as_binary(self) -> BinaryIO:
        """This stream typed as a BinaryIO (what Source.open_read returns)."""
        return cast(BinaryIO, self)
