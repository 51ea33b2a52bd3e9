"""Streaming transfer into the vault: verification, write-once, clean failure, clean-up."""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import BinaryIO

import pytest

from pvt_dagster.config.models import Archive, Delete, Keep, LocalSource, Seen
from pvt_dagster.errors import (
    SizeMismatchError,
    SourceChangedError,
    SourceError,
    TransportError,
    VaultConflictError,
)
from pvt_dagster.sources import LocalFolderSource, RemoteEntry
from pvt_dagster.transport import after_transfer, receive, sha256_file

PAYLOAD = os.urandom(3 * 1024 * 1024 + 123)  # more than one chunk


class HookedStream:
    """A real file stream that calls ``hook(bytes_read_so_far)`` after each read."""

    def __init__(self, inner: BinaryIO, hook: Callable[[int], None]) -> None:
        self.inner = inner
        self.hook = hook
        self.done = 0

    def read(self, size: int = -1) -> bytes:
        """Read from the real file, then run the hook."""
        data = self.inner.read(size)
        self.done += len(data)
        self.hook(self.done)
        return data

    def __enter__(self) -> HookedStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.inner.close()


class HookedSource(LocalFolderSource):
    """A local source whose streams run a hook after every read."""

    def __init__(self, root: Path, hook: Callable[[int], None]) -> None:
        super().__init__("drop", LocalSource(kind="local", path=str(root), after_transfer="keep"))
        self.hook = hook

    def open_read(self, path: str) -> AbstractContextManager[BinaryIO]:
        """The real stream wrapped with the hook."""
        return HookedStream(super().open_read(path).__enter__(), self.hook)  # type: ignore[return-value]


@pytest.fixture()
def drop(tmp_path: Path) -> Path:
    """A source folder holding ``data.bin``."""
    folder = tmp_path / "drop"
    folder.mkdir()
    (folder / "data.bin").write_bytes(PAYLOAD)
    return folder


def local(drop: Path, after: str = "keep") -> LocalFolderSource:
    """A plain local source over ``drop``."""
    return LocalFolderSource("drop", LocalSource(kind="local", path=str(drop),
                                                 after_transfer=after))


def leftovers(folder: Path) -> list[str]:
    """Every name in ``folder`` (temp files included)."""
    return sorted(os.listdir(folder)) if folder.exists() else []


def test_receive_verifies_and_publishes_private_file(drop: Path, tmp_path: Path) -> None:
    source = local(drop)
    entry = source.stat("data.bin")
    dest = tmp_path / "vault" / "acme" / "members" / "k1"
    got = receive(source, entry, dest)
    assert got.sha256 == hashlib.sha256(PAYLOAD).hexdigest() == sha256_file(dest)
    assert got.bytes == len(PAYLOAD) and got.seconds >= 0 and got.throughput > 0
    assert dest.read_bytes() == PAYLOAD
    assert stat.S_IMODE(dest.stat().st_mode) == 0o400  # the vault is read-only once written
    for folder in (dest.parent, dest.parent.parent, tmp_path / "vault"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert leftovers(dest.parent) == ["k1"]


def test_rereceive_identical_bytes_is_idempotent(drop: Path, tmp_path: Path) -> None:
    source = local(drop)
    entry = source.stat("data.bin")
    dest = tmp_path / "v" / "k"
    first = receive(source, entry, dest)
    second = receive(source, entry, dest)
    assert first.sha256 == second.sha256
    assert leftovers(dest.parent) == ["k"]


def test_different_bytes_under_existing_name_conflict(drop: Path, tmp_path: Path) -> None:
    dest = tmp_path / "v" / "k"
    dest.parent.mkdir()
    dest.write_bytes(b"something else")
    source = local(drop)
    with pytest.raises(VaultConflictError, match="write-once"):
        receive(source, source.stat("data.bin"), dest)
    assert dest.read_bytes() == b"something else"
    assert leftovers(dest.parent) == ["k"]


class LyingSource(LocalFolderSource):
    """A local source whose stat reports five bytes more than the file has."""

    def stat(self, path: str) -> RemoteEntry:
        """The real entry with a wrong size."""
        real = super().stat(path)
        return RemoteEntry(path=real.path, name=real.name, size=real.size + 5, mtime=real.mtime)


def test_size_mismatch(drop: Path, tmp_path: Path) -> None:
    source = LyingSource("drop", LocalSource(kind="local", path=str(drop), after_transfer="keep"))
    with pytest.raises(SizeMismatchError, match=f"copied {len(PAYLOAD)} bytes"):
        receive(source, source.stat("data.bin"), tmp_path / "v" / "k")
    assert leftovers(tmp_path / "v") == []


def test_stream_failure_mid_transfer_leaves_nothing(drop: Path, tmp_path: Path) -> None:
    def boom(done: int) -> None:
        if done > 1024 * 1024:
            raise OSError(5, "Input/output error")

    source = HookedSource(drop, boom)
    dest = tmp_path / "v" / "k"
    with pytest.raises(TransportError, match="reading failed"):
        receive(source, source.stat("data.bin"), dest)
    assert leftovers(dest.parent) == []


def test_source_error_mid_transfer_leaves_nothing(drop: Path, tmp_path: Path) -> None:
    def boom(done: int) -> None:
        raise SourceError("connection lost")

    source = HookedSource(drop, boom)
    with pytest.raises(SourceError, match="connection lost"):
        receive(source, source.stat("data.bin"), tmp_path / "v" / "k")
    assert leftovers(tmp_path / "v") == []


def test_file_growing_during_transfer_is_source_changed(drop: Path, tmp_path: Path) -> None:
    def grow(done: int) -> None:
        if done and not getattr(grow, "fired", False):
            grow.fired = True  # type: ignore[attr-defined]
            with open(drop / "data.bin", "ab") as fh:
                fh.write(b"more rows arriving")

    source = HookedSource(drop, grow)
    entry = source.stat("data.bin")
    dest = tmp_path / "v" / "k"
    with pytest.raises(SourceChangedError, match=r"grew past its listed .* while being copied"):
        receive(source, entry, dest)
    assert leftovers(dest.parent) == []
    # Once stable, a fresh listing transfers the whole file.
    got = receive(local(drop), local(drop).stat("data.bin"), dest)
    assert got.bytes == len(PAYLOAD) + len(b"more rows arriving")


def test_file_removed_during_transfer_is_source_changed(drop: Path, tmp_path: Path) -> None:
    def vanish(done: int) -> None:
        if (drop / "data.bin").exists():
            (drop / "data.bin").unlink()

    source = HookedSource(drop, vanish)
    with pytest.raises(SourceChangedError, match="disappeared"):
        receive(source, source.stat("data.bin"), tmp_path / "v" / "k")
    assert leftovers(tmp_path / "v") == []


def test_after_transfer_policies(drop: Path, tmp_path: Path) -> None:
    source = local(drop)
    entry = source.stat("data.bin")
    assert "kept" in after_transfer(source, entry, Keep())
    assert (drop / "data.bin").exists()
    assert after_transfer(source, entry, Archive("done")) == "archived data.bin to done/data.bin"
    assert (drop / "done" / "data.bin").read_bytes() == PAYLOAD
    assert not (drop / "data.bin").exists()
    (drop / "data.bin").write_bytes(b"again")
    assert "deleted" in after_transfer(source, source.stat("data.bin"), Delete())
    assert not (drop / "data.bin").exists()
    with pytest.raises(SourceError, match="cannot apply after_transfer seen"):
        after_transfer(source, entry, Seen())  # only a mailbox marks a message seen
