"""A folder on this machine as a Source: lists with lstat, reads only regular files, never
follows a symlink (every path component is opened with O_NOFOLLOW relative to the root)."""

from __future__ import annotations

import errno
import os
import stat
from contextlib import AbstractContextManager
from pathlib import Path
from typing import BinaryIO

from pvt_dagster.config import LocalSource
from pvt_dagster.errors import PvtError, SourceError
from pvt_dagster.fsutil import ensure_private_dir
from pvt_dagster.sources.base import (
    BaseSource,
    EntryKind,
    RemoteEntry,
    archive_names,
    name_problem,
    unsafe_entry,
)

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_GONE = (errno.ENOENT, errno.ENOTDIR)


def entry_kind(mode: int) -> EntryKind:
    """The entry kind of an lstat mode."""
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISLNK(mode):
        return "symlink"
    if stat.S_ISDIR(mode):
        return "dir"
    if stat.S_ISFIFO(mode):
        return "fifo"
    if stat.S_ISBLK(mode) or stat.S_ISCHR(mode):
        return "device"
    if stat.S_ISSOCK(mode):
        return "socket"
    return "other"


def inode_identity(st: os.stat_result) -> str:
    """A local file's identity beside its size and mtime: device and inode."""
    return f"{st.st_dev}:{st.st_ino}"


def split_relative(path: str) -> list[str]:
    """The components of a relative source path; SourceError for absolute paths or '..'."""
    if not path or path.startswith("/") or "\x00" in path:
        raise SourceError(f"refusing path {path!r}: not a relative path inside the source")
    parts = [p for p in path.split("/") if p not in ("", ".")]
    if not parts or ".." in parts:
        raise SourceError(f"refusing path {path!r}: it points outside the source")
    return parts


class LocalFolderSource(BaseSource[LocalSource]):
    """A local folder: lists, stats, streams and cleans up files without following symlinks."""

    def __init__(self, name: str, config: LocalSource) -> None:
        super().__init__(name, config)
        self.root = Path(config.path)
        destination = self.archive_destination
        self._skip = self._archive_dir(destination) if destination is not None else None

    # -- listing ----------------------------------------------------------------------------

    def list_entries(self) -> list[RemoteEntry]:
        """Every entry under the root (recursively if configured), sorted by path."""
        entries: list[RemoteEntry] = []
        self._scan(self.root, "", entries)
        return sorted(entries, key=lambda e: e.path)

    def _scan(self, folder: Path, prefix: str, out: list[RemoteEntry]) -> None:
        try:
            with os.scandir(folder) as it:
                children = list(it)
        except FileNotFoundError as exc:
            if not prefix:
                raise SourceError(f"{self.label}: folder {folder} does not exist") from exc
            return  # a sub-folder vanished while we listed
        except OSError as exc:
            raise SourceError(f"{self.label}: cannot list {folder}: {exc.strerror}") from exc
        for child in children:
            rel = f"{prefix}{child.name}"
            problem = name_problem(child.name)
            if problem is not None:  # not UTF-8, a control character: refused, never read
                out.append(unsafe_entry(rel, child.name, problem))
                continue
            try:
                with self.translating("stat", rel):
                    st = child.stat(follow_symlinks=False)
            except FileNotFoundError:
                continue  # gone between scandir and lstat
            kind = entry_kind(st.st_mode)
            if kind == "dir":
                if self._skip is not None and Path(child.path) == self._skip:
                    continue  # our own archive folder
                if self.config.recursive:
                    self._scan(Path(child.path), f"{rel}/", out)
                    continue
            out.append(RemoteEntry(path=rel, name=child.name, size=st.st_size,
                                   mtime=st.st_mtime, kind=kind, identity=inode_identity(st)))

    # -- single entries ---------------------------------------------------------------------

    def translate_error(self, exc: Exception, action: str, path: str | None) -> PvtError | None:
        """An OS error on ``path``: SourceEntryGoneError if it is gone, else SourceError."""
        return self._os_error(exc, action, path or "") if isinstance(exc, OSError) else None

    def _os_error(self, exc: OSError, action: str, path: str) -> SourceError:
        if exc.errno in _GONE:
            return self.gone(path)
        return SourceError(f"{self.label}: cannot {action} {path!r}: {exc.strerror}")

    def _open_parent(self, path: str) -> tuple[int, str]:
        """An fd of the entry's folder (walked without following symlinks) and its last name."""
        parts = split_relative(path)
        try:
            fd = os.open(self.root, _DIR_FLAGS)
        except OSError as exc:
            raise SourceError(f"{self.label}: cannot open {self.root}: {exc.strerror}") from exc
        for part in parts[:-1]:
            try:
                nxt = os.open(part, _DIR_FLAGS, dir_fd=fd)
            except OSError as exc:
                crosses = exc.errno in (errno.ELOOP, errno.ENOTDIR) and _is_symlink(part, fd)
                os.close(fd)
                if crosses:
                    raise SourceError(f"{self.label}: {path!r} crosses a symlink") from exc
                raise self._os_error(exc, "open", path) from exc
            os.close(fd)
            fd = nxt
        return fd, parts[-1]

    def stat(self, path: str) -> RemoteEntry:
        """The entry at ``path`` now (lstat); SourceEntryGoneError if it is gone."""
        fd, name = self._open_parent(path)
        try:
            with self.translating("stat", path):
                st = os.stat(name, dir_fd=fd, follow_symlinks=False)
        finally:
            os.close(fd)
        return RemoteEntry(path="/".join(split_relative(path)), name=name, size=st.st_size,
                           mtime=st.st_mtime, kind=entry_kind(st.st_mode),
                           identity=inode_identity(st))

    def open_read(self, path: str) -> AbstractContextManager[BinaryIO]:
        """A binary stream of a regular file; symlinks, FIFOs, devices and folders are refused."""
        fd, name = self._open_parent(path)
        try:
            flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
            try:
                ffd = os.open(name, flags, dir_fd=fd)
            except OSError as exc:
                if exc.errno == errno.ELOOP:
                    raise SourceError(
                        f"{self.label}: {path!r} is a symlink, not a regular file") from exc
                raise self._os_error(exc, "open", path) from exc
        finally:
            os.close(fd)
        try:
            mode = os.fstat(ffd).st_mode
            if not stat.S_ISREG(mode):
                raise SourceError(f"{self.label}: {path!r} is a {entry_kind(mode)}, "
                                  "not a regular file")
            os.set_blocking(ffd, True)
        except BaseException:
            os.close(ffd)
            raise
        return open(ffd, "rb", closefd=True)  # the caller closes it

    def remove(self, path: str) -> None:
        """Delete the entry at the source."""
        fd, name = self._open_parent(path)
        try:
            with self.translating("delete", path):
                os.unlink(name, dir_fd=fd)
        finally:
            os.close(fd)

    def _archive_dir(self, destination: str) -> Path:
        """The archive folder: ``destination`` under the root, unless it is absolute."""
        dest = Path(destination)
        return dest if dest.is_absolute() else self.root / dest

    def archive(self, path: str, destination: str) -> str:
        """Move the entry into ``destination`` (relative to the root or absolute), as
        ``name-2.ext`` ... if its name is taken there; its new path."""
        target_dir = self._archive_dir(destination)
        try:
            ensure_private_dir(target_dir)
        except OSError as exc:
            raise SourceError(
                f"{self.label}: cannot create archive folder {target_dir}: {exc.strerror}"
            ) from exc
        fd, name = self._open_parent(path)
        try:
            target = self._move(fd, name, path, target_dir)
        finally:
            os.close(fd)
        try:
            return target.relative_to(self.root).as_posix()
        except ValueError:
            return str(target)

    def _move(self, fd: int, name: str, path: str, target_dir: Path) -> Path:
        """Link the entry under the first free archive name, then unlink the original."""
        for candidate in archive_names(name):
            target = target_dir / candidate
            try:
                os.link(name, target, src_dir_fd=fd, follow_symlinks=False)
            except FileExistsError:
                continue
            except OSError as exc:
                if exc.errno in _GONE:
                    raise self.gone(path) from exc
                if exc.errno not in (errno.EXDEV, errno.EPERM, errno.ENOTSUP):
                    raise SourceError(f"{self.label}: cannot archive {path!r} to "
                                      f"{target_dir}: {exc.strerror}") from exc
                if os.path.lexists(target):
                    continue
                try:  # no hard links here: rename (a small race, but never across a clash seen)
                    os.rename(name, target, src_dir_fd=fd)
                except OSError as exc2:
                    raise SourceError(f"{self.label}: cannot archive {path!r} to "
                                      f"{target_dir}: {exc2.strerror}") from exc2
                return target
            try:
                os.unlink(name, dir_fd=fd)
            except OSError as exc:
                raise SourceError(f"{self.label}: archived {path!r} but cannot remove "
                                  f"the original: {exc.strerror}") from exc
            return target
        raise SourceError(f"{self.label}: too many clashes archiving {path!r}")

    def close(self) -> None:
        """Nothing to release for a local folder."""


def _is_symlink(name: str, dir_fd: int) -> bool:
    """Whether ``name`` in the folder ``dir_fd`` is a symlink."""
    try:
        return stat.S_ISLNK(os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode)
    except OSError:
        return False

