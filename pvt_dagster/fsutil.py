"""Private files and folders (the PVT home's rule: folders 0700, files 0600), in one place.

Modes are set explicitly rather than left to the umask, and temporary files are created beside
their destination so that publishing them is an atomic rename on the same file system.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import tempfile
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600
READ_ONLY_MODE = 0o400  # a vault copy, once written


def ensure_private_dir(folder: Path, *, tighten: bool = False) -> None:
    """Create ``folder`` and its missing parents with mode 0700 (safe when several processes
    do it at once); with ``tighten``, an existing ``folder`` is set to 0700 too."""
    missing: list[Path] = []
    current = Path(folder)
    while not current.exists():
        missing.append(current)
        current = current.parent
    for path in reversed(missing):
        try:
            path.mkdir(mode=DIR_MODE)
        except FileExistsError:
            continue
        os.chmod(path, DIR_MODE)
    if tighten:
        os.chmod(folder, DIR_MODE)


def open_private(path: Path, flags: int = os.O_RDWR) -> int:
    """A file descriptor on ``path`` opened with ``flags``, the file created 0600 if missing."""
    return os.open(path, flags | os.O_CREAT | os.O_CLOEXEC, FILE_MODE)


def touch_private(path: Path) -> None:
    """Create ``path`` empty if it is missing, and make it 0600 either way."""
    os.close(open_private(path))
    os.chmod(path, FILE_MODE)


def write_private_text(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path``, a file that is 0600 before it holds anything."""
    touch_private(path)
    path.write_text(text, encoding="utf-8")


def private_temp_beside(destination: Path, suffix: str = ".part") -> tuple[int, Path]:
    """A new, open 0600 temporary file in ``destination``'s folder (created 0700 if missing),
    named after it and hidden; its descriptor and path. The caller publishes or removes it.
    The folder is ours (the vault, the work folders), so an existing one is tightened to 0700."""
    ensure_private_dir(destination.parent, tighten=True)
    fd, name = tempfile.mkstemp(prefix=f".{destination.name[:40]}.", suffix=suffix,
                                dir=destination.parent)
    return fd, Path(name)


def fsync_dir(folder: Path) -> None:
    """Flush ``folder``'s entries (a published rename or link) to disk, where that is possible."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


#: Linux's sync_file_range(2), to start writing out a file as it is written; None elsewhere.
_LIBC = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
_SYNC_FILE_RANGE = getattr(_LIBC, "sync_file_range", None)
_SYNC_FILE_RANGE_WRITE = 2


def start_writeback(fd: int, offset: int, length: int) -> None:
    """Ask the kernel to start writing a range of a file to disk, without waiting (so the
    final fsync has little left to write); nothing where sync_file_range is missing."""
    if _SYNC_FILE_RANGE is not None:
        _SYNC_FILE_RANGE(fd, ctypes.c_int64(offset), ctypes.c_int64(length),
                         ctypes.c_uint(_SYNC_FILE_RANGE_WRITE))
