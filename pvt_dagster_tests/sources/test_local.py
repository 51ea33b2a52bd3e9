"""The local folder source: listing with lstat, safe reads, removal and archiving."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from pvt_dagster.config.models import LocalSource, SftpSource
from pvt_dagster.errors import SourceEntryGoneError, SourceError
from pvt_dagster.sources import LocalFolderSource, Source, open_source


def make(root: Path, *, recursive: bool = False, after: str = "keep") -> LocalFolderSource:
    """A local source over ``root``."""
    config = LocalSource(kind="local", path=str(root), after_transfer=after, recursive=recursive)
    source = open_source("drop", config)
    assert isinstance(source, LocalFolderSource)
    return source


@pytest.fixture()
def root(tmp_path: Path) -> Path:
    """A source folder with one of each kind of entry."""
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "a.csv").write_bytes(b"x,y\n1,2\n")
    (drop / "link.csv").symlink_to(drop / "a.csv")
    os.mkfifo(drop / "pipe")
    (drop / "sub").mkdir()
    (drop / "sub" / "inner.csv").write_bytes(b"inner")
    return drop


def test_open_source_is_a_source_and_refuses_other_kinds(root: Path) -> None:
    assert isinstance(make(root), Source)
    sftp = SftpSource(kind="sftp", host="h", username="u", known_hosts=root / "known_hosts",
                      after_transfer="keep")
    assert isinstance(open_source("remote", sftp), Source)  # connects on first use only
    unknown = sftp.model_copy(update={"kind": "gopher"})
    with pytest.raises(SourceError, match="kind gopher is not supported yet"):
        open_source("remote", unknown)


def test_lists_every_kind_without_following(root: Path) -> None:
    entries = {e.path: e for e in make(root).list_entries()}
    assert set(entries) == {"a.csv", "link.csv", "pipe", "sub"}
    assert entries["a.csv"].kind == "file" and entries["a.csv"].size == 8
    assert entries["link.csv"].kind == "symlink"
    assert entries["pipe"].kind == "fifo"
    assert entries["sub"].kind == "dir"
    assert entries["a.csv"].is_regular_file and not entries["link.csv"].is_regular_file


def test_lists_socket(tmp_path: Path) -> None:
    drop = tmp_path / "d"
    drop.mkdir()
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.bind(str(drop / "s"))
        assert [e.kind for e in make(drop).list_entries()] == ["socket"]
    finally:
        sock.close()


def test_recursive_listing_uses_relative_slash_paths(root: Path) -> None:
    paths = [e.path for e in make(root, recursive=True).list_entries()]
    assert paths == ["a.csv", "link.csv", "pipe", "sub/inner.csv"]
    entry = make(root, recursive=True).stat("sub/inner.csv")
    assert entry.name == "inner.csv" and entry.size == 5


def test_symlinked_folder_is_not_descended(root: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.csv").write_text("s")
    (root / "escape").symlink_to(outside)
    source = make(root, recursive=True)
    entries = {e.path: e.kind for e in source.list_entries()}
    assert entries["escape"] == "symlink"
    assert "escape/secret.csv" not in entries
    with pytest.raises(SourceError, match="symlink"):
        source.open_read("escape/secret.csv")
    with pytest.raises(SourceError, match="symlink"):
        source.stat("escape/secret.csv")


def test_archive_folder_is_not_listed(root: Path) -> None:
    source = make(root, recursive=True, after="archive:done")
    source.archive("a.csv", "done")
    assert "done" not in {e.path.split("/")[0] for e in source.list_entries()}


@pytest.mark.parametrize("name", ["with space.csv", "ünïcødé_ß.csv", "a..b.csv", "..csv",
                                  "-dash.csv"])
def test_hostile_names_round_trip(tmp_path: Path, name: str) -> None:
    drop = tmp_path / "d"
    drop.mkdir()
    (drop / name).write_bytes(b"payload")
    source = make(drop)
    [entry] = source.list_entries()
    assert entry.path == name and entry.kind == "file"
    with source.open_read(entry.path) as stream:
        assert stream.read() == b"payload"
    assert source.stat(name).size == 7
    source.remove(name)
    assert source.list_entries() == []


def test_a_name_with_a_control_character_is_listed_unsafe(tmp_path: Path) -> None:
    drop = tmp_path / "d"
    drop.mkdir()
    (drop / "x\nnewline.csv").write_bytes(b"payload")
    [entry] = make(drop).list_entries()
    assert (entry.kind, entry.name) == ("unsafe", "x\\x0anewline.csv")
    assert entry.problem == "its name holds a control character (CR, LF, tab ...)"


def test_open_read_returns_bytes(root: Path) -> None:
    with make(root).open_read("a.csv") as stream:
        assert stream.read() == b"x,y\n1,2\n"


@pytest.mark.parametrize("path", ["link.csv", "pipe", "sub"])
def test_open_read_refuses_non_regular_entries(root: Path, path: str) -> None:
    with pytest.raises(SourceError, match=path):
        make(root).open_read(path)


@pytest.mark.parametrize("path", ["../a.csv", "sub/../../a.csv", "/etc/passwd", "", ".."])
def test_escapes_are_refused(root: Path, path: str) -> None:
    source = make(root)
    for call in (source.open_read, source.stat, source.remove):
        with pytest.raises(SourceError, match="refusing"):
            call(path)


def test_gone_entries(root: Path) -> None:
    source = make(root)
    for call in (source.open_read, source.stat, source.remove):
        with pytest.raises(SourceEntryGoneError, match=r"nope\.csv"):
            call("nope.csv")
    with pytest.raises(SourceEntryGoneError):
        source.stat("nosub/x.csv")


def test_missing_root_is_a_source_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="does not exist"):
        make(tmp_path / "missing").list_entries()


def test_remove_deletes_only_that_file(root: Path) -> None:
    source = make(root)
    source.remove("link.csv")
    assert (root / "a.csv").exists() and not (root / "link.csv").is_symlink()


def test_archive_relative_absolute_and_clash(root: Path, tmp_path: Path) -> None:
    source = make(root)
    assert source.archive("a.csv", "archive/2024") == "archive/2024/a.csv"
    assert (root / "archive" / "2024" / "a.csv").read_bytes() == b"x,y\n1,2\n"
    (root / "a.csv").write_bytes(b"second")
    # A taken name gets -2 (then -3 ...), as on every source kind and as file keys do.
    assert source.archive("a.csv", "archive/2024") == "archive/2024/a-2.csv"
    assert (root / "archive" / "2024" / "a-2.csv").read_bytes() == b"second"
    assert not (root / "a.csv").exists()
    elsewhere = tmp_path / "elsewhere"
    new = source.archive("sub/inner.csv", str(elsewhere))
    assert new == str(elsewhere / "inner.csv") and Path(new).read_bytes() == b"inner"
    with pytest.raises(SourceEntryGoneError):
        source.archive("a.csv", "archive")
