"""The Source protocol: a place where a client's files appear. A source only lists, stats,
streams and cleans up; it knows nothing of feeds, the ledger or Dagster.

``BaseSource`` is what the six kinds share: the label their messages start with, one
translation of third-party errors into SourceError subclasses (each kind supplies its mapping),
the archive folder of an ``archive:PATH`` policy, and the one rule for a name that is taken
in the archive folder: ``name-2.ext``, then ``name-3.ext`` ... (as file keys get ``-2``).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import BinaryIO, Generic, Literal, Protocol, TypeVar, runtime_checkable

from pvt_dagster.config import Archive, SourceBase
from pvt_dagster.errors import PvtError, SourceEntryGoneError, SourceError

# "unsafe": a listed name no path can be built from ("", ".", "..", a "/"), or one that holds
# a NUL, a control character (CR, LF, ...) or bytes that are not UTF-8 (see ``unsafe_entry``).
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
    # What else tells this entry from a same-named replacement (a local file's device and
    # inode), else None.
    identity: str | None = None
    # Why an "unsafe" entry is refused (its name's problem), else None.
    problem: str | None = None

    @property
    def fingerprint(self) -> str | None:
        """The version token or identity kept in the ledger to recognise the entry later."""
        return self.etag or self.identity

    def same_as(self, other: RemoteEntry) -> bool:
        """Whether ``other`` (a later stat) is still this entry: same size and mtime, and the
        same ETag and identity where both sides have one."""
        return ((self.size, self.mtime) == (other.size, other.mtime)
                and (self.etag is None or other.etag is None or self.etag == other.etag)
                and (self.identity is None or other.identity is None
                     or self.identity == other.identity))

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


@runtime_checkable
class DeliversWholeFiles(Protocol):
    """A source whose listed files are already complete (a push area: every upload is written
    to a temp file elsewhere and renamed into place), so discovery need not wait for them to
    settle: ``delivers_whole_files`` is True."""

    delivers_whole_files: bool


_UNDECODED = re.compile("[\ud800-\udfff\ufffd]")
_SUSPECT = re.compile("[\x00-\x1f\x7f\ud800-\udfff\ufffd]")


def name_problem(name: str) -> str | None:
    """Why a listed name can never be taken as is (a NUL, a control character, bytes that are
    not UTF-8), or None. Every kind checks the names it lists: one bad name is refused and
    recorded, and the rest of the listing goes on."""
    if _SUSPECT.search(name) is None:  # the common case: one C-speed scan of a big listing
        return None
    if "\x00" in name:
        return "its name holds a NUL byte"
    if _UNDECODED.search(name) is not None:
        return "its name is not valid UTF-8"
    return "its name holds a control character (CR, LF, tab ...)"


def unsafe_reason(name: str) -> str | None:
    """Why no path can be built from a listed name (``""``, ``.``, ``..``, a ``/``), or its
    ``name_problem``; None for a usable name."""
    if name in ("", ".", ".."):
        return f"{name!r} is not a file name"
    if "/" in name:
        return "its name holds a '/'"
    return name_problem(name)


def shown_name(name: str) -> str:
    """``name`` safe to store and show: control characters and undecodable bytes (surrogate
    escapes) written as ``\\xNN``, other lone surrogates as ``\\uNNNN``."""
    out = []
    for char in name:
        code = ord(char)
        if 0xDC80 <= code <= 0xDCFF:
            out.append(f"\\x{code - 0xDC00:02x}")
        elif 0xD800 <= code <= 0xDFFF:
            out.append(f"\\u{code:04x}")
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\x{code:02x}")
        else:
            out.append(char)
    return "".join(out)


def unsafe_entry(path: str, name: str, reason: str) -> RemoteEntry:
    """A listed entry that is refused, never read: its path and name made safe to record."""
    return RemoteEntry(path=shown_name(path), name=shown_name(name), size=0, mtime=0.0,
                       kind="unsafe", problem=reason)


def iter_chunks(stream: BinaryIO, chunk_size: int = 1024 * 1024) -> Iterator[bytes]:
    """Read a stream in chunks until it ends."""
    while chunk := stream.read(chunk_size):
        yield chunk


MAX_ARCHIVE_CLASHES = 1000


def numbered(name: str, n: int) -> str:
    """``name`` for n == 1, else the name with ``-n`` before its first suffix (``a-2.csv.pgp``)."""
    if n == 1:
        return name
    dot = name.find(".", 1)
    if dot == -1:
        return f"{name}-{n}"
    return f"{name[:dot]}-{n}{name[dot:]}"


def archive_names(name: str) -> Iterator[str]:
    """The names an archived ``name`` may take, in order: ``name``, ``name-2``, ``name-3`` ..."""
    for n in range(1, MAX_ARCHIVE_CLASHES + 1):
        yield numbered(name, n)


def free_name(folder: str, name: str, exists: Callable[[str], bool]) -> str:
    """The first ``folder/name`` (then ``name-2`` ...) that ``exists`` says is free."""
    for candidate in archive_names(name):
        path = posixpath.join(folder, candidate)
        if not exists(path):
            return path
    raise SourceError(f"too many clashes archiving {name!r} into {folder}")


SourceConfigT = TypeVar("SourceConfigT", bound=SourceBase)


class BaseSource(Generic[SourceConfigT]):
    """The base of every source kind (``Source`` stays the public contract)."""

    def __init__(self, name: str, config: SourceConfigT, *, where: str | None = None) -> None:
        self.name = name
        self.config = config
        self.label = f"source {name} ({where})" if where else f"source {name}"

    @property
    def archive_destination(self) -> str | None:
        """PATH of an ``archive:PATH`` policy as configured, else None."""
        policy = self.config.after_transfer
        return policy.path if isinstance(policy, Archive) else None

    def gone(self, path: str) -> SourceEntryGoneError:
        """The error for an entry that is no longer at the source."""
        return SourceEntryGoneError(f"{self.label}: {path!r} is gone")

    def translate_error(self, exc: Exception, action: str, path: str | None) -> PvtError | None:
        """Our error for a third-party error while doing ``action`` on ``path`` (None: not one
        this kind knows, let it through). Kinds supply their mapping; it may drop a broken
        connection so that the next call reconnects."""
        return None

    @contextmanager
    def translating(self, action: str, path: str | None = None) -> Iterator[None]:
        """Run the block with third-party errors translated by ``translate_error``."""
        try:
            yield
        except PvtError:
            raise
        except Exception as exc:
            ours = self.translate_error(exc, action, path)
            if ours is None:
                raise
            raise ours from exc

    def reading_error(self, path: str, known: tuple[type[BaseException], ...]
                      ) -> Callable[[Exception], PvtError | None]:
        """For a chunked read of ``path``: a ``known`` library error becomes a SourceError."""
        def translate(exc: Exception) -> PvtError | None:
            if isinstance(exc, known):
                return SourceError(f"{self.label}: reading {path!r} failed: "
                                   f"{type(exc).__name__}")
            return None
        return translate
