"""Quiescence: a file is ready when our own observations saw it unchanged long enough."""

from __future__ import annotations

from datetime import datetime


def is_quiesced(
    *, stable_since: datetime, seen_count: int, now: datetime, quiesce_seconds: float
) -> bool:
    """Ready when seen at least twice with the same size and mtime for ``quiesce_seconds``.

    Times are from OUR clock (when we observed), never the server's mtime.
    """
    if seen_count < 2:
        return False
    return (now - stable_since).total_seconds() >= quiesce_seconds
