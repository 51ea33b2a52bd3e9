"""A ``kind: push`` source: the folder ``pvt serve`` renames finished uploads into, read like a
local folder. Its area under the PVT home holds two folders on one file system:

- ``incoming/``: whole files only (the source lists this folder and nothing else);
- ``.partial/``: uploads still streaming, never listed, renamed into ``incoming/`` when done.

Because a listed file is always complete, the source ``delivers_whole_files``: discovery takes
each file at its first sighting instead of waiting for it to settle."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pvt_dagster.config import LocalSource, PushSource
from pvt_dagster.fsutil import ensure_private_dir
from pvt_dagster.sources.local import LocalFolderSource

INCOMING = "incoming"
PARTIAL = ".partial"


@dataclass(frozen=True)
class PushArea:
    """The folders of one push source: ``home/push/<client>/<source>/``."""

    root: Path

    @classmethod
    def of(cls, home: Path, client: str, source: str) -> PushArea:
        """The area of ``client``'s push source ``source`` under the PVT home."""
        return cls(home / "push" / client / source)

    @property
    def incoming(self) -> Path:
        """Finished uploads, listed by discovery."""
        return self.root / INCOMING

    @property
    def partial(self) -> Path:
        """Uploads in progress (never listed)."""
        return self.root / PARTIAL

    def ensure(self) -> PushArea:
        """Create both folders with mode 0700 (idempotent)."""
        ensure_private_dir(self.incoming, tighten=True)
        ensure_private_dir(self.partial, tighten=True)
        return self


class PushAreaSource(LocalFolderSource):
    """The ``incoming/`` folder of a push area, as a local folder source whose files are whole."""

    delivers_whole_files = True

    def __init__(self, name: str, config: PushSource, *, area: PushArea) -> None:
        area.ensure()
        local = LocalSource(kind="local", path=str(area.incoming),
                            after_transfer=config.after_transfer, unmatched=config.unmatched)
        super().__init__(name, local)
        self.area = area
