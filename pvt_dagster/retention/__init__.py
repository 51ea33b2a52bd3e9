"""Retention: deleting a final file's vault copy, work files and daily CSVs once they are
older than its client's ``retention:`` days, each deletion recorded on the file's chain."""

from __future__ import annotations

from pvt_dagster.retention.purge import WHAT, Kept, PurgeItem, PurgeReport, plan_purge, purge

__all__ = [
    "WHAT",
    "Kept",
    "PurgeItem",
    "PurgeReport",
    "plan_purge",
    "purge",
]
