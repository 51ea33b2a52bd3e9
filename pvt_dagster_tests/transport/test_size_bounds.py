"""A transfer never takes more than the smaller of the listed size and ``max_bytes`` (2 GiB
unless configured): a file that grows while it is copied, or a source that sends more than it
lists, is stopped at once, recorded, and leaves no partial file. Real servers: a local folder,
OpenSSH's sshd, and a pull-API server over TLS that sends more than it lists."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

import pytest

from pvt_dagster.config.models import DEFAULT_MAX_BYTES, LocalSource
from pvt_dagster.errors import SizeLimitError, SourceChangedError
from pvt_dagster.pipeline.raw import run_raw
from pvt_dagster.sources import LocalFolderSource
from pvt_dagster.sources.sftp import SftpFolderSource
from pvt_dagster.transport import receive
from pvt_dagster_tests.sources.test_sftp import source as sftp_source
from pvt_dagster_tests.support.fixtures import GOOD_ROWS, IntakeEnv, csv_bytes
from pvt_dagster_tests.support.flow import settle
from pvt_dagster_tests.support.remote_env import use_source
from pvt_dagster_tests.support.servers.pull_api import TOKEN, PullApi
from pvt_dagster_tests.support.servers.sshd import SshServer
from pvt_dagster_tests.transport.test_transfer import HookedSource, HookedStream

MB = 1024 * 1024


def leftovers(folder: Path) -> list[Path]:
    """Every file under ``folder`` (temp files included)."""
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def test_local_file_growing_while_copied_stops_at_its_listed_size(tmp_path: Path) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    path = drop / "plain_grows.csv"
    path.write_bytes(os.urandom(2 * MB))
    read: list[int] = []
    src = HookedSource(drop, read.append)
    entry = src.stat("plain_grows.csv")
    with path.open("ab") as out:  # the file grows after it was listed
        out.write(os.urandom(30 * MB))
    with pytest.raises(SourceChangedError,
                       match=rf"grew past its listed {2 * MB} bytes while being copied"):
        receive(src, entry, tmp_path / "vault" / "x")
    assert max(read) <= 2 * MB + MB  # stopped at the first chunk past the listed size
    assert leftovers(tmp_path / "vault") == []


def test_max_bytes_stops_a_copy_whatever_the_listing_says(tmp_path: Path) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "plain_big.csv").write_bytes(os.urandom(5 * MB))
    src = LocalFolderSource("drop", LocalSource(kind="local", path=str(drop),
                                                after_transfer="keep"))
    entry = src.stat("plain_big.csv")
    with pytest.raises(SizeLimitError, match=rf"grew past max_bytes \({MB} bytes\)"):
        receive(src, entry, tmp_path / "vault" / "x", max_bytes=MB)
    assert leftovers(tmp_path / "vault") == []


class CountingSftp(SftpFolderSource):
    """An sftp source that counts the bytes its streams hand out."""

    read: list[int]

    @contextmanager
    def _open(self, path: str) -> Iterator[BinaryIO]:
        with super()._open(path) as stream:
            yield HookedStream(stream, self.read.append)  # type: ignore[misc]


def test_sftp_file_growing_while_copied_is_stopped_early(sshd: SshServer,
                                                        tmp_path: Path) -> None:
    path = sshd.put("plain_grows.csv", os.urandom(MB))
    plain = sftp_source(sshd)
    src = CountingSftp("drop", plain.config)
    src.read = []
    try:
        entry = src.stat("plain_grows.csv")
        with path.open("ab") as out:
            out.write(os.urandom(40 * MB))
        with pytest.raises(SourceChangedError,
                           match=rf"grew past its listed {MB} bytes while being copied"):
            receive(src, entry, tmp_path / "vault" / "x")
    finally:
        src.close()
    assert leftovers(tmp_path / "vault") == []
    assert max(src.read) <= 2 * MB  # not the 41 MB now in the file


def test_a_source_that_sends_more_than_it_lists_fails_the_file(
        pull_api: PullApi, intake_env: IntakeEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PVT_TEST_PULL_TOKEN", TOKEN)
    use_source(intake_env, pull_api.source_yaml(after_transfer="delete",
                                                token_env="PVT_TEST_PULL_TOKEN"))
    listed = csv_bytes(GOOD_ROWS)
    pull_api.put("pkg-1", "plain_lies.csv", listed, extra=64 * MB)
    intake = intake_env.intake()
    try:
        (ready,) = settle(intake)
        with pytest.raises(SizeLimitError, match=rf"grew past {len(listed)} bytes while "
                                                 "being copied"):
            run_raw(intake, ready.key, run_id="r1")
        record = intake.ledger.get_file(ready.key)
        assert record.status == "failed" and record.stage is None
        assert f"grew past {len(listed)} bytes while being copied" in (record.error or "")
        assert "raw_failed" in [m.kind for m in intake.ledger.messages()
                                if m.file_key == ready.key]
        assert leftovers(intake.config.home / "vault") == []
        assert "pkg-1" in pull_api.state.packages  # never deleted at the source
    finally:
        intake.close()
    deadline = time.monotonic() + 10
    while "pkg-1" not in pull_api.state.sent and time.monotonic() < deadline:
        time.sleep(0.05)
    assert pull_api.state.sent["pkg-1"] < 32 * MB  # the server was cut off, not drained


def test_files_over_the_default_max_bytes_are_rejected(intake_env: IntakeEnv) -> None:
    huge = intake_env.inbox / "plain_huge.csv"
    with huge.open("wb") as out:  # sparse: 2 GiB + 1 byte listed, no disk used
        out.truncate(DEFAULT_MAX_BYTES + 1)
    intake = intake_env.intake()
    try:
        assert intake.config.feed("acme", "plain").constraints.max_bytes == DEFAULT_MAX_BYTES
        assert settle(intake) == []
        (record,) = intake.ledger.list_files(client="acme")
        assert record.status == "rejected"
        assert record.error is not None and f"limit is {DEFAULT_MAX_BYTES} bytes" in record.error
    finally:
        intake.close()
