"""Large copies hash and write on their own thread, syncing to disk as they go: the same
verification and the same clean failures as the inline copy of small files."""

from __future__ import annotations

import hashlib
import os
import resource
import threading
from pathlib import Path

import pytest

from pvt_dagster.errors import SourceError, TransportError
from pvt_dagster.transport import receive, sha256_file
from pvt_dagster.transport import transfer as transfer_module
from pvt_dagster_tests.transport.test_transfer import HookedSource, leftovers, local

BIG = os.urandom(11 * 1024 * 1024 + 7)  # past THREADED_FROM: the writer thread is used


@pytest.fixture()
def big_drop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A source folder holding a large ``data.bin``; the copy syncs every MiB."""
    assert len(BIG) > transfer_module.THREADED_FROM
    monkeypatch.setattr(transfer_module, "SYNC_EVERY", 1024 * 1024)
    folder = tmp_path / "drop"
    folder.mkdir()
    (folder / "data.bin").write_bytes(BIG)
    return folder


def test_large_copy_is_hashed_and_written_whole(big_drop: Path, tmp_path: Path) -> None:
    source = local(big_drop)
    dest = tmp_path / "v" / "k"
    got = receive(source, source.stat("data.bin"), dest)
    assert got.sha256 == hashlib.sha256(BIG).hexdigest() == sha256_file(dest)
    assert got.bytes == len(BIG) and dest.read_bytes() == BIG
    assert leftovers(dest.parent) == ["k"]


def test_reading_failure_stops_the_writer_and_leaves_nothing(big_drop: Path,
                                                             tmp_path: Path) -> None:
    def boom(done: int) -> None:
        if done > 6 * 1024 * 1024:
            raise OSError(5, "Input/output error")

    dest = tmp_path / "v" / "k"
    source = HookedSource(big_drop, boom)
    with pytest.raises(TransportError, match="reading failed"):
        receive(source, source.stat("data.bin"), dest)
    assert leftovers(dest.parent) == []
    assert not [t for t in threading.enumerate() if t.name == "pvt-copy-writer"]


def test_source_error_stops_the_writer_and_leaves_nothing(big_drop: Path,
                                                          tmp_path: Path) -> None:
    def boom(done: int) -> None:
        if done > 5 * 1024 * 1024:
            raise SourceError("connection lost")

    source = HookedSource(big_drop, boom)
    with pytest.raises(SourceError, match="connection lost"):
        receive(source, source.stat("data.bin"), tmp_path / "v" / "k")
    assert leftovers(tmp_path / "v") == []


def test_write_failure_is_a_transport_error(big_drop: Path, tmp_path: Path) -> None:
    source = local(big_drop)
    entry = source.stat("data.bin")
    dest = tmp_path / "v" / "k"
    dest.parent.mkdir(mode=0o700)
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    # A real write failure: the file size limit (Python ignores SIGXFSZ, so write() fails EFBIG).
    resource.setrlimit(resource.RLIMIT_FSIZE, (4 * 1024 * 1024, hard))
    try:
        with pytest.raises(TransportError, match="cannot write the copy"):
            receive(source, entry, dest)
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    assert leftovers(dest.parent) == []
