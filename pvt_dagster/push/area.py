"""Writing one upload into a push area, so that discovery only ever sees whole files.

An upload of ``name`` streams into ``.partial/<name>`` under an exclusive ``flock``: a second
upload of the same name while the first runs is refused (409), in this process or another. Once
the body is complete it is fsynced and linked into ``incoming/`` (never over a file that is still
waiting to be taken in), then the temp name is removed. A failed or abandoned upload removes
its temp file; nothing partial ever reaches ``incoming/``."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import stat
from dataclasses import dataclass
from typing import BinaryIO

from pvt_dagster.errors import PushRefusedError, UnknownFileError
from pvt_dagster.fsutil import fsync_dir, open_private
from pvt_dagster.ledger import Ledger
from pvt_dagster.sources import PushArea

NAME_MAX_BYTES = 255
#: Statuses after which a file left in the area is done with: a new upload may replace it.
FINAL_STATUSES = frozenset({"delivered", "rejected", "failed"})
_CLAIM_ATTEMPTS = 20


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a file name in a push area, or None when it can."""
    if not name or name in (".", ".."):
        return "an empty name, '.' or '..' is not a file name"
    if "/" in name or "\\" in name:
        return "a name cannot hold '/' or '\\'"
    if name.startswith("."):
        return "names starting with '.' are not accepted"
    if not name.isprintable():
        return "a name cannot hold control characters"
    if len(name.encode("utf-8", "surrogatepass")) > NAME_MAX_BYTES:
        return f"a name is at most {NAME_MAX_BYTES} bytes"
    return None


@dataclass(frozen=True)
class Uploaded:
    """A finished upload: its name, size and sha256."""

    name: str
    bytes: int
    sha256: str


def replaces_existing(ledger: Ledger, area: PushArea, client: str, source: str,
                      name: str) -> bool:
    """Whether a new upload of ``name`` replaces a file left in ``incoming/`` that the intake
    is done with (True) or lands where there is none (False). PushRefusedError 409 when a file
    of that name is still waiting to be taken in."""
    try:
        st = os.stat(area.incoming / name, follow_symlinks=False)
    except FileNotFoundError:
        return False
    if not stat.S_ISREG(st.st_mode):
        raise PushRefusedError(409, f"{name!r} is taken in the area by something not a file")
    seen = ledger.observation(client, source, name)
    if seen is not None and seen.file_key and seen.gone_at is None and \
            (seen.size, seen.mtime) == (st.st_size, st.st_mtime):
        try:
            status = ledger.get_file(seen.file_key).status
        except UnknownFileError:
            status = None
        if status in FINAL_STATUSES:
            return True
    raise PushRefusedError(409, f"an upload named {name!r} is waiting to be taken in; "
                                "send it again once it is")


class UploadSlot:
    """One upload of one name in progress: the temp file, its lock, its size and sha256."""

    def __init__(self, area: PushArea, name: str, fd: int) -> None:
        self.area, self.name = area, name
        self.temp = area.partial / name
        self.size = 0
        self._sha = hashlib.sha256()
        self._file: BinaryIO | None = open(fd, "wb", closefd=True)  # noqa: SIM115

    @classmethod
    def claim(cls, area: PushArea, name: str) -> UploadSlot:
        """Take the name's slot; PushRefusedError 409 while another upload of it runs."""
        temp = area.partial / name
        for _ in range(_CLAIM_ATTEMPTS):
            fd = open_private(temp, os.O_RDWR | os.O_NOFOLLOW)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                raise PushRefusedError(
                    409, f"an upload named {name!r} is in progress") from None
            # The previous holder may have published (renamed) or removed this inode between
            # our open and our lock: then the path is not ours, and we try again.
            try:
                on_disk = os.stat(temp, follow_symlinks=False)
            except FileNotFoundError:
                on_disk = None
            mine = os.fstat(fd)
            if on_disk is None or (on_disk.st_dev, on_disk.st_ino) != (mine.st_dev, mine.st_ino):
                os.close(fd)
                continue
            os.ftruncate(fd, 0)  # a stale temp file of a crashed server
            return cls(area, name, fd)
        raise PushRefusedError(409, f"an upload named {name!r} is in progress")

    def write(self, chunk: bytes) -> None:
        """Append a chunk of the body (counted and hashed as it goes)."""
        assert self._file is not None
        self._file.write(chunk)
        self._sha.update(chunk)
        self.size += len(chunk)

    def publish(self, *, replace: bool) -> Uploaded:
        """Flush, fsync and move the file into ``incoming/`` (over a done-with file only when
        ``replace``); PushRefusedError 409 if a file of that name appeared meanwhile."""
        assert self._file is not None
        self._file.flush()
        os.fsync(self._file.fileno())
        target = self.area.incoming / self.name
        if replace:
            os.replace(self.temp, target)
        else:
            try:
                os.link(self.temp, target, follow_symlinks=False)
            except FileExistsError:
                raise PushRefusedError(409, f"an upload named {self.name!r} is waiting to be "
                                            "taken in; send it again once it is") from None
            os.unlink(self.temp)
        fsync_dir(self.area.incoming)
        fsync_dir(self.area.partial)
        self._close()
        return Uploaded(self.name, self.size, self._sha.hexdigest())

    def discard(self) -> None:
        """Remove the temp file and release the name (no-op once published)."""
        if self._file is None:
            return
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.temp)  # ours: only the lock holder renames or removes it
        self._close()

    def _close(self) -> None:
        if self._file is not None:
            self._file.close()  # releases the lock
            self._file = None


def sweep_partials(area: PushArea) -> int:
    """Remove temp files no upload holds (left by a server that was killed); how many."""
    removed = 0
    with contextlib.suppress(FileNotFoundError):
        for entry in os.scandir(area.partial):
            try:
                slot = UploadSlot.claim(area, entry.name)
            except (PushRefusedError, OSError):
                continue  # in use, or not a regular file we can open
            slot.discard()
            removed += 1
    return removed
