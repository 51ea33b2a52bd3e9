"""The Source protocol: a place where a client's files appear. A source only lists, stats,
streams and cleans up; it knows nothing of feeds, the ledger or Dagster."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import BinaryIO, Literal, Protocol, runtime_checkable

# "unsafe": a listed name no path can be built from ("", ".", "..", a "/" or a NUL in it).
EntryKind = Literal["file", "symlink", "dir", "fifo", "device", "socket", "other", "unsafe"]


@dataclass(frozen=True)
class RemoteEntry:
    """One entry as a source lists it.

    ``path`` is relative to the source's root, with ``/`` separators; ``name`` is its last
    part. Both are untrusted text from the client's side.
    """

    path: str
    name: str
    size: int
    mtime: float
    kind: EntryKind = "file"
    # An opaque version token when the source has one (S3 ETag, HTTP ETag), else None.
    etag: str | None = None

    @property
    def is_regular_file(self) -> bool:
        """Whether the entry is a plain file that may be read."""
        return self.kind == "file"


@runtime_checkable
class Source(Protocol):
    """What every source kind offers."""

    name: str

    def list_entries(self) -> list[RemoteEntry]:
        """Every entry under the source's root (recursively if configured); one listing."""
        ...

    def stat(self, path: str) -> RemoteEntry:
        """The entry at ``path`` now; raises SourceEntryGoneError if it is gone."""
        ...

    def open_read(self, path: str) -> AbstractContextManager[BinaryIO]:
        """A binary stream of the entry's bytes; never follows a symlink."""
        ...

    def remove(self, path: str) -> None:
        """Delete the entry at the source."""
        ...

    def archive(self, path: str, destination: str) -> str:
        """Move the entry into ``destination`` at the source; returns its new path."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


@runtime_checkable
class MarksSeen(Protocol):
    """A source with an ``after_transfer: seen`` policy (a mailbox)."""

    def mark_seen(self, path: str) -> str:
        """Mark the entry as seen at the source; a short description of what was done."""
        ...


def iter_chunks(stream: BinaryIO, chunk_size: int = 1024 * 1024) -> Iterator[bytes]:
    """Read a stream in chunks until it ends."""
    while chunk := stream.read(chunk_size):
        yield chunk
