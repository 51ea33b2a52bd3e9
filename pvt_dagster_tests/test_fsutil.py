"""Private files and folders: folders 0700 (parents included), files 0600, whatever the umask."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from pvt_dagster.fsutil import (
    ensure_private_dir,
    open_private,
    private_temp_beside,
    touch_private,
    write_private_text,
)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    """A permissive umask, so only explicit modes can make the results private."""
    old = os.umask(0o002)
    try:
        yield
    finally:
        os.umask(old)


@pytest.mark.usefixtures("open_umask")
def test_ensure_private_dir_creates_every_missing_parent_0700(tmp_path: Path) -> None:
    """Each folder it creates is 0700; an existing one is left alone unless asked to tighten."""
    existing = tmp_path / "shared"
    existing.mkdir(mode=0o755)
    os.chmod(existing, 0o755)
    ensure_private_dir(existing / "a" / "b")
    assert _mode(existing / "a") == 0o700 and _mode(existing / "a" / "b") == 0o700
    assert _mode(existing) == 0o755
    ensure_private_dir(existing / "a" / "b")  # again: nothing to do, no error
    ensure_private_dir(existing, tighten=True)
    assert _mode(existing) == 0o700


@pytest.mark.usefixtures("open_umask")
def test_private_files_are_0600_before_and_after_writing(tmp_path: Path) -> None:
    """touch, open and write create 0600 files; touch also tightens an existing file."""
    loose = tmp_path / "loose"
    loose.write_text("x")
    os.chmod(loose, 0o644)
    touch_private(loose)
    assert _mode(loose) == 0o600 and loose.read_text() == "x"
    os.close(open_private(tmp_path / "lock"))
    assert _mode(tmp_path / "lock") == 0o600
    write_private_text(tmp_path / "secret", "s3cret\n")
    assert _mode(tmp_path / "secret") == 0o600
    assert (tmp_path / "secret").read_text() == "s3cret\n"


@pytest.mark.usefixtures("open_umask")
def test_private_temp_beside_is_hidden_0600_in_a_new_0700_folder(tmp_path: Path) -> None:
    """The temporary file sits in the destination's folder, hidden, named after it."""
    destination = tmp_path / "out" / "members.csv"
    fd, tmp = private_temp_beside(destination, suffix=".tmp")
    os.close(fd)
    assert tmp.parent == destination.parent and _mode(destination.parent) == 0o700
    assert tmp.name.startswith(".members.csv.") and tmp.name.endswith(".tmp")
    assert _mode(tmp) == 0o600
