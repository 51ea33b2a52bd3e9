"""Where a file's bytes live in the PVT home: the write-once vault and the work folders."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pvt_dagster.transport import ensure_private_dir

STAGES = ("raw", "decrypted", "validated", "scrubbed", "delivered")


@dataclass(frozen=True)
class HomeLayout:
    """Paths under the PVT home for a file key ``client/feed/slug``."""

    home: Path

    def vault_path(self, key: str) -> Path:
        """The raw bytes of a delivery, write-once."""
        return self.home / "vault" / key

    def decrypted_path(self, key: str) -> Path:
        """The decrypted (or plain-copied) file."""
        return self.home / "work" / "decrypted" / key

    def scrubbed_path(self, key: str) -> Path:
        """The scrubbed CSV that delivery reads."""
        return self.home / "work" / "scrubbed" / f"{key}.csv"

    def ensure_home(self) -> None:
        """Create the home and its top-level folders with private modes."""
        for sub in ("", "vault", "work"):
            ensure_private_dir(self.home / sub)
