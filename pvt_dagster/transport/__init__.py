"""Transport: stream a source's file into the write-once vault, verify it, clean up the source."""

from __future__ import annotations

from pvt_dagster.transport.cleanup import (
    UNFINISHED_CLEANUP,
    CleanupResult,
    clean_up,
    received_entry,
    unfinished_cleanups,
)
from pvt_dagster.transport.transfer import (
    Received,
    after_transfer,
    receive,
    sha256_file,
)

__all__ = [
    "UNFINISHED_CLEANUP",
    "CleanupResult",
    "Received",
    "after_transfer",
    "clean_up",
    "receive",
    "received_entry",
    "sha256_file",
    "unfinished_cleanups",
]
