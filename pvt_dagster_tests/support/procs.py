"""Process facts from /proc, for tests that look at the processes the product starts."""

from __future__ import annotations

from pathlib import Path


def parent_pid(pid: int) -> int:
    """The parent of ``pid`` (OSError once it is gone)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat.rsplit(")", 1)[1].split()[1])  # after the command name, which may hold ")"


def argv(pid: int) -> list[bytes]:
    """The command line of ``pid``, one element per argument."""
    return Path(f"/proc/{pid}/cmdline").read_bytes().rstrip(b"\0").split(b"\0")
