"""Streaming transfer from a source into the write-once vault, and clean-up at the source.

``receive`` never leaves a partial file at its destination: bytes go to a temporary file beside
it (0600, in folders created 0700), are hashed on the fly, flushed and fsynced, checked against
the source's size and a fresh stat, and only then published with an atomic, no-clobber link.

A copy never takes more than the smaller of the listed size and ``max_bytes``: the byte past
that limit stops it at once (the partial copy is discarded). A file that grew at the source
waits to settle again (SourceChangedError); a source that sends more than it lists, or more
than ``max_bytes``, fails the file (SizeLimitError).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import queue
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from pvt_dagster.config import AfterTransfer, Archive, Delete, Keep, Seen
from pvt_dagster.errors import (
    PvtError,
    SizeLimitError,
    SizeMismatchError,
    SourceChangedError,
    SourceEntryGoneError,
    SourceError,
    TransportError,
    VaultConflictError,
)
from pvt_dagster.fsutil import READ_ONLY_MODE, fsync_dir, private_temp_beside, start_writeback
from pvt_dagster.sources import MarksSeen, RemoteEntry, Source, iter_chunks

CHUNK = 1024 * 1024
QUEUED = 16  # chunks between the reader and the hashing writer (16 MiB at most)
THREADED_FROM = 4 * CHUNK  # copies this large hash and write on their own thread
SYNC_EVERY = 64 * CHUNK  # the writer thread flushes to disk as it goes (0: only at the end)


@dataclass(frozen=True)
class Received:
    """The outcome of one transfer: sha256 of the bytes, their count, time and throughput."""

    sha256: str
    bytes: int
    seconds: float
    throughput: float  # bytes per second


def sha256_file(path: Path) -> str:
    """The hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter_chunks(fh, CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class _Overrun(Exception):
    """The stream passed the copy's limit (internal: ``receive`` turns it into our error)."""


def receive(source: Source, entry: RemoteEntry, destination: Path, *,
            max_bytes: int | None = None) -> Received:
    """Stream ``entry`` into ``destination`` (write-once); verify size, sha256 and stability.
    The copy stops as soon as it passes the listed size or ``max_bytes``."""
    label = f"{source.name}:{entry.path!r}"
    limit = entry.size if max_bytes is None else min(entry.size, max_bytes)
    try:
        fd, tmp = private_temp_beside(destination)
    except OSError as exc:
        raise TransportError(f"cannot write into {destination.parent}: {exc.strerror}") from exc
    started = time.monotonic()
    try:
        try:
            sha, copied = _copy(source, entry, fd, label, limit)
        except _Overrun:
            raise _overrun_error(source, entry, label, limit, max_bytes) from None
        _check_unchanged(source, entry, label)
        if copied != entry.size:
            raise SizeMismatchError(
                f"{label}: copied {copied} bytes but the source reported {entry.size}")
        os.chmod(tmp, READ_ONLY_MODE)  # the vault is write-once: its copies are read-only
        _publish(tmp, destination, sha)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    seconds = time.monotonic() - started
    return Received(sha256=sha, bytes=copied, seconds=seconds,
                    throughput=copied / seconds if seconds > 0 else float(copied))


def _copy(source: Source, entry: RemoteEntry, fd: int, label: str,
          limit: int) -> tuple[str, int]:
    """Copy the source stream into the open temp file ``fd``, hashing as it goes; _Overrun
    (before writing it) when a chunk would take the copy past ``limit`` bytes."""
    copied = 0
    with os.fdopen(fd, "wb") as out:
        sink = _Sink(out, threaded=limit >= THREADED_FROM)
        try:
            with source.open_read(entry.path) as stream:
                for chunk in iter_chunks(stream, CHUNK):
                    if copied + len(chunk) > limit:
                        raise _Overrun
                    if not sink.put(chunk):
                        break  # a write failed: reported below
                    copied += len(chunk)
        except PvtError:
            raise
        except (OSError, EOFError) as exc:
            raise TransportError(f"{label}: reading failed after {copied} bytes: {exc}") from exc
        finally:
            failed = sink.close()
        if failed is not None:
            raise TransportError(f"{label}: cannot write the copy: {failed}") from failed
        try:
            out.flush()
            os.fsync(out.fileno())
        except OSError as exc:
            raise TransportError(f"{label}: cannot flush the copy: {exc.strerror}") from exc
    return sink.digest.hexdigest(), copied


class _Sink:
    """Hashes and writes chunks, on a thread of its own for large copies: sha256 and file
    writes release the GIL, so they overlap the reading (and, for sftp, paramiko's decryption)
    instead of taking turns with it. The queue between them is bounded."""

    def __init__(self, out: BinaryIO, *, threaded: bool) -> None:
        self.digest = hashlib.sha256()
        self._out = out
        self._failed: OSError | None = None
        self._synced = self._unsynced = 0
        self._queue: queue.Queue[bytes | None] | None = None
        self._thread: threading.Thread | None = None
        if threaded:
            self._queue = queue.Queue(QUEUED)
            self._thread = threading.Thread(target=self._drain, name="pvt-copy-writer",
                                            daemon=True)
            self._thread.start()

    def put(self, chunk: bytes) -> bool:
        """Hash and write ``chunk`` (queued when threaded); False once a write has failed."""
        if self._failed is not None:
            return False
        if self._queue is not None:
            self._queue.put(chunk)
            return True
        try:
            self._write(chunk)
        except OSError as exc:
            self._failed = exc
            return False
        return True

    def _write(self, chunk: bytes) -> None:
        self.digest.update(chunk)
        self._out.write(chunk)

    def _write_and_sync(self, chunk: bytes) -> None:
        """Write, and start the kernel's writeback every SYNC_EVERY bytes without waiting
        for it: the disk works while the network does, instead of taking the whole file at
        the final fsync (measured 1 s a 512 MiB), and the writer does not wait for the disk
        while the reader's queue fills (the final fsync still makes the copy durable)."""
        self._write(chunk)
        self._unsynced += len(chunk)
        if SYNC_EVERY and self._unsynced >= SYNC_EVERY:
            self._out.flush()
            start_writeback(self._out.fileno(), self._synced, self._unsynced)
            self._synced += self._unsynced
            self._unsynced = 0

    def _drain(self) -> None:
        assert self._queue is not None
        while (chunk := self._queue.get()) is not None:
            if self._failed is None:  # after a failure, only drain so put() never blocks
                try:
                    self._write_and_sync(chunk)
                except OSError as exc:
                    self._failed = exc

    def close(self) -> OSError | None:
        """Wait for the queued chunks to be written; the write failure, if any."""
        if self._queue is not None and self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._queue = self._thread = None
        return self._failed


def _overrun_error(source: Source, entry: RemoteEntry, label: str, limit: int,
                   max_bytes: int | None) -> PvtError:
    """Why a copy passed its limit: past ``max_bytes`` (failed), a file that grew at the
    source (waits to settle again), or a source sending more than it lists (failed)."""
    stopped = "the copy was stopped and discarded"
    if max_bytes is not None and limit == max_bytes and entry.size > max_bytes:
        return SizeLimitError(f"{label} grew past max_bytes ({max_bytes} bytes) while being "
                              f"copied; {stopped}")
    try:
        now = source.stat(entry.path)
    except SourceEntryGoneError:
        return SourceChangedError(f"{label} disappeared during the transfer")
    except PvtError as exc:
        return SizeLimitError(f"{label} grew past its listed {limit} bytes while being "
                              f"copied; {stopped} (and it cannot be checked again: {exc})")
    if now.size != entry.size or now.mtime != entry.mtime:
        return SourceChangedError(
            f"{label} grew past its listed {limit} bytes while being copied (now {now.size} "
            f"bytes); {stopped}, and it will be picked up again once it is stable")
    return SizeLimitError(f"{label} grew past {limit} bytes while being copied, though the "
                          f"source still lists {entry.size} bytes; {stopped}")


def _check_unchanged(source: Source, entry: RemoteEntry, label: str) -> None:
    """SourceChangedError if the entry's size or mtime differ from the listing."""
    try:
        now = source.stat(entry.path)
    except SourceEntryGoneError as exc:
        raise SourceChangedError(f"{label} disappeared during the transfer") from exc
    if now.size != entry.size or now.mtime != entry.mtime:
        raise SourceChangedError(
            f"{label} changed during the transfer (size {entry.size} -> {now.size}); "
            "it will be picked up again once it is stable")


def _publish(tmp: Path, destination: Path, sha: str) -> None:
    """Link ``tmp`` to ``destination`` unless it exists; identical bytes there are success."""
    try:
        os.link(tmp, destination)
    except FileExistsError:
        existing = sha256_file(destination)
        if existing != sha:
            raise VaultConflictError(
                f"{destination} already holds different bytes (sha256 {existing[:12]}..., "
                f"new {sha[:12]}...); the vault is write-once") from None
        tmp.unlink()
        os.chmod(destination, READ_ONLY_MODE)
        return
    except OSError as exc:
        if os.path.lexists(destination):
            raise VaultConflictError(f"{destination} appeared during publication") from exc
        try:  # a file system without hard links
            os.rename(tmp, destination)
        except OSError as exc2:
            raise TransportError(f"cannot publish {destination}: {exc2.strerror}") from exc2
    else:
        tmp.unlink()
    fsync_dir(destination.parent)


def after_transfer(source: Source, entry: RemoteEntry, policy: AfterTransfer) -> str:
    """Apply the source's ``after_transfer`` policy to ``entry``; a short description."""
    match policy:
        case Delete():
            source.remove(entry.path)
            return f"deleted {entry.path} at the source"
        case Keep():
            return f"kept {entry.path} at the source"
        case Archive(path=destination):
            new_path = source.archive(entry.path, destination)
            return f"archived {entry.path} to {new_path}"
        case Seen() if isinstance(source, MarksSeen):  # imap: mark the message seen
            return source.mark_seen(entry.path)
    raise SourceError(f"source {source.name} cannot apply after_transfer {policy}")
