"""Where a file's bytes live: the write-once vault and the work folders, under the PVT home
(or, with object storage, under a run's scratch folder whose files are copies of objects)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pvt_dagster.domain import Stage
from pvt_dagster.fsutil import ensure_private_dir


@dataclass(frozen=True)
class HomeLayout:
    """Paths for a file key ``client/feed/slug``: the stage files under ``files`` (the home,
    or a run's scratch folder when they are stored as objects)."""

    home: Path
    scratch: Path | None = None

    @property
    def files(self) -> Path:
        """The folder that holds ``vault/`` and ``work/``."""
        return self.scratch or self.home

    def vault_path(self, key: str) -> Path:
        """The raw bytes of a delivery, write-once."""
        return self.files / "vault" / key

    def decrypted_path(self, key: str) -> Path:
        """The decrypted (or plain-copied) file."""
        return self.files / "work" / "decrypted" / key

    def scrubbed_path(self, key: str) -> Path:
        """The scrubbed CSV that delivery reads."""
        return self.files / "work" / "scrubbed" / f"{key}.csv"

    def job_work_dir(self, client: str, job: str) -> Path:
        """A processing job's typed outputs (what other jobs read) and scratch files."""
        return self.files / "work" / "jobs" / client / job

    def relative(self, path: Path) -> str:
        """``path`` relative to ``files`` when inside it (how events name files), else as
        is."""
        try:
            return str(path.relative_to(self.files))
        except ValueError:
            return str(path)

    def stored(self, name: str) -> Path:
        """The path of a stored file from the name an event or the ledger gave it (relative
        to ``files``, or absolute)."""
        path = Path(name)
        return path if path.is_absolute() else self.files / path

    def stage_io(self, stage: Stage, key: str) -> tuple[Path | None, Path | None]:
        """The files a stage reads and writes in the home (None where it is elsewhere)."""
        vault, decrypted = self.vault_path(key), self.decrypted_path(key)
        scrubbed = self.scrubbed_path(key)
        return {"raw": (None, vault), "decrypted": (vault, decrypted),
                "validated": (decrypted, None), "scrubbed": (decrypted, scrubbed),
                "delivered": (scrubbed, None)}.get(stage, (None, None))

    def ensure_home(self) -> None:
        """Create the home and its top-level folders with private modes (0700), tightening
        any that already exist with looser ones (and the other folders the home holds)."""
        ensure_private_dir(self.home, tighten=True)
        for sub in ("vault", "work", "work/decrypted", "work/scrubbed"):
            ensure_private_dir(self.files / sub, tighten=True)
        for sub in ("work/jobs", "push", "logs", "keystore"):
            if (self.home / sub).is_dir():
                ensure_private_dir(self.home / sub, tighten=True)
