"""The vault and stage outputs as files in the PVT home (the embedded default). Stages write
a file at its layout path, then ``publish`` it; they read an input through ``get``. Here both
are the file itself; the object store (``S3Store``) keeps the same promises with a scratch
folder in between."""

from __future__ import annotations

from pathlib import Path

from pvt_dagster.errors import StorageError
from pvt_dagster.transport import sha256_file


class StageStore:
    """Files under ``root`` (the PVT home): what a stage wrote is stored where it wrote it."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @property
    def is_local(self) -> bool:
        """Whether stored files are the local files themselves (no scratch copies)."""
        return True

    def where(self, path: Path) -> str:
        """How messages and the ledger name a stored file."""
        return str(path)

    def size(self, path: Path) -> int | None:
        """The size of the file stored at ``path`` (None when nothing is stored)."""
        return path.stat().st_size if path.is_file() else None

    def present(self, path: Path) -> bool:
        """Whether a file is stored at ``path``."""
        return self.size(path) is not None

    def get(self, path: Path) -> Path | None:
        """A local file with the stored bytes of ``path`` (None when nothing is stored)."""
        return path if path.is_file() else None

    def fetch(self, path: Path) -> Path:
        """Like ``get``, but StorageError when nothing is stored at ``path``."""
        local = self.get(path)
        if local is None:
            raise StorageError(f"{self.where(path)} is missing")
        return local

    def publish(self, path: Path, *, sha256: str, write_once: bool = False) -> None:
        """Store the local file ``path`` (whose sha256 is ``sha256``); write-once for the
        vault. Here the file is already where it is stored."""

    def sha256(self, path: Path) -> str | None:
        """The sha256 of the bytes stored at ``path``, read again (None when missing)."""
        return sha256_file(path) if path.is_file() else None

    def remove(self, path: Path) -> bool:
        """Delete what is stored at ``path``; whether there was something."""
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        return True

    def close(self) -> None:
        """Release connections and scratch space."""
