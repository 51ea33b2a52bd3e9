"""Transport: stream a source's file into the write-once vault, verify it, clean up the source."""

from __future__ import annotations

from pvt_dagster.transport.transfer import (
    Received,
    after_transfer,
    receive,
    sha256_file,
)

__all__ = ["Received", "after_transfer", "receive", "sha256_file"]
