"""The fault campaign (issue 15) with 1,000 files: real sftp, ftp, s3 and local sources and
real runs under ``dagster dev`` while a chaos thread kills servers and run workers, makes SMTP
and the Salesforce stand-in refuse or hang, and renames and rewrites files while they settle.
Prints the audit (delivered exactly once, failed with an error, lost, doubled, left at a
source, time) and asserts its promises. ``PVT_BENCH_FAULT_FILES`` sets the number of files."""

from __future__ import annotations

import os

from bench.common import Ratio
from pvt_dagster_tests.support.campaign import run_campaign
from pvt_dagster_tests.support.servers.sshd import missing_reason

FILES = int(os.environ.get("PVT_BENCH_FAULT_FILES", "1000"))


def run() -> list[Ratio]:
    """Run the campaign, print its figures, assert nothing was lost or doubled."""
    reason = missing_reason()
    if reason:
        print(f"skipped: {reason}")
        return []
    outcome = run_campaign(FILES, drop_seconds=max(60.0, FILES * 0.6),
                           chaos_seconds=max(90.0, FILES * 0.6),
                           settle_timeout=max(600.0, FILES * 12.0))
    for line in outcome.lines():
        print(line, flush=True)
    figures = outcome.figures
    assert outcome.settled, "files or messages did not reach an end state in time"
    assert not [k for k in outcome.faults if k.startswith("chaos_error")], outcome.faults
    assert figures.problems() == [], figures.problems()
    per_file = figures.seconds / max(figures.dropped, 1)
    return [Ratio("wall seconds per file under faults", per_file, 1.0, "s",
                  "report only: the figures above must show 0 lost and 0 doubled")]
